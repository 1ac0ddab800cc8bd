"""Reads: how many in-care households are paid other than their computation this month."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Max, Q, QuerySet

from households.benefit import compute_many, first_of_month
from households.models import Household
from kanjia import roles


@dataclass(frozen=True)
class PaidOffSummary:
    month: date
    differing: int  # paid ≠ computed (an ineligible household computes to 0)
    unchecked: int  # in care, but no computation kept for this month yet
    checked_at: datetime | None


def _in_care(households: QuerySet[Household]) -> QuerySet[Household]:
    return households.filter(status=Household.Status.ACTIVE)


COMPUTED = F("payment_check__base_amount") + F("payment_check__extra_amount")
PAID = F("base_amount") + F("extra_amount")


def paid_off(households: QuerySet[Household], *, month: date) -> QuerySet[Household]:
    """Those of `households` in care whose paid total differs from the kept computation of `month`
    (annotated `computed_total`, for the list's side-by-side column)."""
    return (
        _in_care(households)
        .filter(payment_check__month=first_of_month(month))
        .annotate(computed_total=COMPUTED)
        .exclude(computed_total=PAID)
    )


def paid_off_summary(households: QuerySet[Household], *, month: date) -> PaidOffSummary:
    """The list page's figures in one query."""
    month = first_of_month(month)
    checked = Q(payment_check__month=month)
    row = (
        _in_care(households)
        .alias(computed=COMPUTED)
        .aggregate(
            differing=Count("pk", filter=checked & ~Q(computed=PAID)),
            unchecked=Count("pk", filter=~checked | Q(payment_check__isnull=True)),
            checked_at=Max("payment_check__checked_at", filter=checked),
        )
    )
    return PaidOffSummary(month=month, **row)


def may_refresh_checks(*, user: AbstractBaseUser) -> bool:
    """The town office asks for a computation now (e.g. on the 1st when no beat runs, `make run`)."""
    return roles.has_role(user, roles.TOWN_OFFICE)


def paid_off_by_village(
    *, month: date, town_id: int | None = None, town_ids: list[int] | None = None
) -> dict[int, int]:
    """In-care households of the town (or towns) whose paid total differs from their computation for
    `month`, counted per village (月上报).

    The kept computations (`PaymentCheck`, rewritten after every registry and policy change and every
    night) are counted in one grouped query; only households with no computation kept for `month`
    (a past month, or never computed yet) are computed now, from the registry as it stands. At district
    scale this is what keeps 全区月上报 of the current month a matter of seconds.
    """
    month = first_of_month(month)
    ids = [town_id] if town_id is not None else list(town_ids or [])
    in_care = _in_care(Household.objects.filter(village__town_id__in=ids))
    counts: dict[int, int] = {
        row["village_id"]: row["n"]
        for row in paid_off(in_care, month=month).order_by().values("village_id").annotate(n=Count("pk"))
    }
    unchecked = in_care.exclude(payment_check__month=month)
    for household, computation in compute_many(households=unchecked, month=month):
        if computation.total != household.monthly_total:
            counts[household.village_id] = counts.get(household.village_id, 0) + 1
    return counts
