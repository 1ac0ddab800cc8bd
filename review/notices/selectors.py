"""Reads of decision notices and complaints, scoped through the registry's village selectors.

`notices_undelivered`, `notices_overdue` and `complaints_open` are what a worklist
needs (the town's 我的待办 shows them; issue 17's worklists can use them as they are).
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from households.selectors import village_scoped
from kanjia import roles
from kanjia.worklists import WorkItem
from review.models import Case, Complaint, DecisionNotice

User = AbstractBaseUser | AnonymousUser


def notices_visible_to(*, user: User) -> QuerySet[DecisionNotice]:
    return village_scoped(DecisionNotice, "household__village_id", user=user)


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
    return village_scoped(Complaint, "household__village_id", user=user)


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


def paperwork_work_items(*, user: User) -> list[WorkItem]:
    """The town office's worklist: notices to deliver and complaints to answer, per village (2 queries)."""
    if roles.is_read_only(user) or not roles.has_role(user, roles.TOWN_OFFICE):
        return []
    today = timezone.localdate()
    items = []
    for queryset, action, url, order in (
        (notices_undelivered(user=user), "决定通知书待送达", reverse("review:notices"), 900),
        (complaints_open(user=user), "申诉、复核申请待答复", reverse("review:complaints"), 910),
    ):
        rows = (
            queryset.order_by()
            .values("household__village__name")
            .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
        )
        for row in rows:
            items.append(
                WorkItem(
                    section="通知与申诉",
                    action=action,
                    village=row["household__village__name"],
                    count=row["n"],
                    url=url,
                    overdue=row["late"],
                    overdue_url=url,
                    order=order,
                )
            )
    return items
