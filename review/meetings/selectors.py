"""Reads of meeting records, scoped through the registry's village selectors.

The town-wide roles see every meeting of their town. A team member sees only
the 民主评议 meetings held in their villages (the meetings their cases were
appraised in); the town's own meetings belong to its 综合档案, which teams never see.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from households.models import Town, Village
from households.selectors import households_changeable_by, villages_visible_to
from kanjia import roles
from review.models import Appraisal, Case, Meeting, MeetingAppraisal

User = AbstractBaseUser | AnonymousUser


def towns_of(*, user: User) -> QuerySet[Town]:
    return Town.objects.filter(pk__in=villages_visible_to(user=user).values("town_id")).order_by("pk")


def meetings_visible_to(*, user: User) -> QuerySet[Meeting]:
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    if roles.reads_whole_town(user):
        return Meeting.objects.filter(town__in=towns_of(user=user))
    return Meeting.objects.filter(kind=Meeting.Kind.APPRAISAL, village__in=villages_visible_to(user=user))


def meeting_list(*, user: User, campaign_id: int | None = None, kind: str = "") -> QuerySet[Meeting]:
    meetings = meetings_visible_to(user=user).select_related("village", "campaign")
    if campaign_id:
        meetings = meetings.filter(campaign_id=campaign_id)
    if kind:
        meetings = meetings.filter(kind=kind)
    return meetings.annotate(cases=Count("links")).order_by("-held_on", "-id")


def meeting_links(*, meeting: Meeting) -> QuerySet[MeetingAppraisal]:
    """The appraisals held in this meeting, with their cases and households."""
    return (
        MeetingAppraisal.objects.filter(meeting=meeting)
        .select_related("appraisal__case__household__group", "linked_by")
        .order_by("appraisal__case__household__group__number", "appraisal__case_id")
    )


def appraisals_to_link(*, meeting: Meeting, user: User) -> QuerySet[Appraisal]:
    """Appraisals of the meeting's village on the meeting's day, not in any meeting yet, that `user` may change."""
    if meeting.kind != Meeting.Kind.APPRAISAL:
        return Appraisal.objects.none()
    return (
        Appraisal.objects.filter(
            case__household__in=households_changeable_by(user=user).filter(village_id=meeting.village_id),
            held_on=meeting.held_on,
            meeting_link__isnull=True,
        )
        .select_related("case__household__group")
        .order_by("case__household__group__number", "case_id")
    )


def meeting_of_case(*, case: Case) -> Meeting | None:
    """The 民主评议 meeting the case's appraisal was held in, if linked."""
    link = MeetingAppraisal.objects.filter(appraisal__case=case).select_related("meeting__village").first()
    return link.meeting if link else None


def village_choices(*, user: User) -> QuerySet[Village]:
    return villages_visible_to(user=user).order_by("order", "id")
