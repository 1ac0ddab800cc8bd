"""Reads of publicity data, scoped through the registry's village selectors."""

from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from households.models import Village
from households.selectors import town_ids_of, villages_visible_to
from kanjia import roles
from kanjia.worklists import WorkItem
from publicity import rounds
from publicity.models import GenerationJob, NoticeFile, Objection, PolicySheet, PublicityRound, RoundCase
from review.models import Case

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
    towns = town_ids_of(user=user)  # the user's own towns' campaigns (issue 19)
    files = NoticeFile.objects.filter(kind=NoticeFile.Kind.COMBINED).select_related("campaign")
    return files if towns is None else files.filter(campaign__town_id__in=towns)


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


def publicity_work_items(*, user: User) -> list[WorkItem]:
    """The town office's worklist: rounds to prepare, publish and close, objections to handle (5 queries)."""
    if not rounds.can_manage_rounds(user=user):
        return []
    today = timezone.localdate()
    items = []
    cases = Case.objects.filter(household__village__in=villages_visible_to(user=user))
    for number in (1, 2, 3):
        rows = (
            rounds.ready_for_round(cases, number=number)
            .order_by()
            .values("campaign_id", "household__village_id", "household__village__name")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            query = urlencode({"campaign": row["campaign_id"] or "", "village": row["household__village_id"]})
            items.append(
                WorkItem(
                    section="三榜公示",
                    action=f"第{rounds.NUMERALS[number]}榜待生成公示（户）",
                    village=row["household__village__name"],
                    count=row["n"],
                    url=f"{reverse('publicity:rounds')}?{query}&number={number}#prepare",
                    order=500 + number * 10,
                )
            )
    visible = rounds_visible_to(user=user).select_related("village").order_by("village__order", "number", "pk")
    for found in visible.filter(status=PublicityRound.Status.DRAFT):
        items.append(_round_item(found, "公示草稿待发布", 501 + found.number * 10))
    for found in visible.filter(status=PublicityRound.Status.OPEN, ends_on__lt=today):
        items.append(_round_item(found, "公示期满待结束", 502 + found.number * 10))
    late = objections_visible_to(user=user).filter(result="").select_related("round__village")
    for row in late.order_by().values("round__village__name").annotate(n=Count("pk")):
        items.append(
            WorkItem(
                section="三榜公示",
                action="公示异议待处理",
                village=row["round__village__name"],
                count=row["n"],
                url=reverse("publicity:objections"),
                order=505,
            )
        )
    return items


def _round_item(found: PublicityRound, action: str, order: int) -> WorkItem:
    return WorkItem(
        section="三榜公示",
        action=f"第{rounds.NUMERALS[found.number]}榜{action}",
        village=found.village.name,
        count=1,
        url=reverse("publicity:round", args=[found.pk]),
        order=order,
    )
