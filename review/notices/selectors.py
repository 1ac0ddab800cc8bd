"""Reads of decision notices and complaints, scoped through the registry's village selectors.

`notices_undelivered`, `notices_overdue` and `complaints_open` are what a worklist
needs (the town's 我的待办 shows them; issue 17's worklists can use them as they are).
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from households.selectors import households_visible_to
from kanjia import roles
from review.models import Case, Complaint, DecisionNotice

User = AbstractBaseUser | AnonymousUser


def notices_visible_to(*, user: User) -> QuerySet[DecisionNotice]:
    return DecisionNotice.objects.filter(household__in=households_visible_to(user=user))


def notices_undelivered(*, user: User) -> QuerySet[DecisionNotice]:
    """Notices not yet delivered, the most urgent first."""
    return (
        notices_visible_to(user=user)
        .filter(delivered_on__isnull=True)
        .select_related("case", "household__village")
        .order_by("due_on", "id")
    )


def notices_overdue(*, user: User, today: date | None = None) -> QuerySet[DecisionNotice]:
    return notices_undelivered(user=user).filter(due_on__lt=today or timezone.localdate())


def complaints_visible_to(*, user: User) -> QuerySet[Complaint]:
    """The register is the town office's, read by the district and the inspector (not the village teams)."""
    if not roles.reads_whole_town(user):
        return Complaint.objects.none()
    return Complaint.objects.filter(household__in=households_visible_to(user=user))


def complaints_open(*, user: User) -> QuerySet[Complaint]:
    return (
        complaints_visible_to(user=user)
        .filter(result="")
        .select_related("case", "household__village")
        .order_by("due_on", "id")
    )


def case_paperwork(*, case: Case, user: User) -> dict:
    """The case page's box: its notice, the complaints against it, and the complaint that opened it."""
    complaints = complaints_visible_to(user=user).select_related("handler", "follow_up_case")
    return {
        "notice": notices_visible_to(user=user).filter(case=case).first(),
        "complaints": list(complaints.filter(case=case).order_by("-received_on", "-id")),
        "opened_by": list(complaints.filter(follow_up_case=case).select_related("case")),
        "can_see_complaints": roles.reads_whole_town(user),
    }
