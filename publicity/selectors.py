"""Reads of publicity data, scoped through the registry's village selectors."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from households.models import Village
from households.selectors import villages_visible_to
from kanjia import roles
from publicity.models import GenerationJob, NoticeFile, Objection, PolicySheet, PublicityRound, RoundCase

User = AbstractBaseUser | AnonymousUser


def rounds_visible_to(*, user: User) -> QuerySet[PublicityRound]:
    return PublicityRound.objects.filter(village__in=villages_visible_to(user=user))


def objections_visible_to(*, user: User) -> QuerySet[Objection]:
    return Objection.objects.filter(round__village__in=villages_visible_to(user=user))


def round_list(*, user: User, campaign_id: int | None = None, village_id: int | None = None) -> QuerySet:
    rounds = rounds_visible_to(user=user).select_related("campaign", "village")
    if campaign_id:
        rounds = rounds.filter(campaign_id=campaign_id)
    if village_id:
        rounds = rounds.filter(village_id=village_id)
    return rounds.annotate(
        listed=Count("entries", distinct=True),
        open_objections=Count("objections", filter=Q(objections__result=""), distinct=True),
    ).order_by("-campaign__scope_date", "campaign_id", "village__order", "number", "-id")


def round_for_page(*, user: User, pk: int) -> PublicityRound | None:
    return (
        rounds_visible_to(user=user)
        .select_related("campaign", "village__town", "prepared_by", "opened_by", "closed_by", "posted_by")
        .filter(pk=pk)
        .first()
    )


def round_entries(*, round: PublicityRound) -> QuerySet[RoundCase]:
    return round.entries.select_related("case__household__group").order_by(
        "case__household__group__number", "case__household__head_name", "pk"
    )


def round_objections(*, round: PublicityRound) -> QuerySet[Objection]:
    return round.objections.select_related("case__household", "registered_by", "handler").order_by("received_on", "pk")


def latest_jobs(*, campaign_ids: list[int]) -> dict[tuple[int, int], GenerationJob]:
    jobs: dict[tuple[int, int], GenerationJob] = {}
    for job in GenerationJob.objects.filter(campaign_id__in=campaign_ids).order_by("-created_at", "-id"):
        jobs.setdefault((job.campaign_id, job.number), job)
    return jobs


def can_see_town_wide(*, user: User) -> bool:
    """Combined files list every village: only for town-wide roles."""
    return roles.has_role(user, *roles.TOWN_WIDE_READERS)


def combined_files(*, user: User) -> QuerySet[NoticeFile]:
    if not can_see_town_wide(user=user):
        return NoticeFile.objects.none()
    return NoticeFile.objects.filter(kind=NoticeFile.Kind.COMBINED).select_related("campaign")


def boards(*, user: User) -> list[tuple[Village, NoticeFile | None]]:
    villages = list(villages_visible_to(user=user).order_by("order", "name"))
    files = {f.village_id: f for f in NoticeFile.objects.filter(kind=NoticeFile.Kind.BOARD, village__in=villages)}
    return [(village, files.get(village.pk)) for village in villages]


def policy_sheet() -> PolicySheet | None:
    """The policy sheet printed now (the newest active one), or None: the default text is printed."""
    return PolicySheet.objects.filter(active=True).select_related("updated_by").first()


def policy_history(*, limit: int = 20) -> QuerySet:
    """Every saved version of the policy sheets, newest first, with who saved it."""
    return PolicySheet.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]
