"""Reads: how many in-care households are paid other than their computation this month."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Max, QuerySet

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


def paid_off(households: QuerySet[Household], *, month: date) -> QuerySet[Household]:
    """Those of `households` in care whose paid total differs from the kept computation of `month`."""
    return (
        _in_care(households)
        .filter(payment_check__month=first_of_month(month))
        .alias(
            computed=F("payment_check__base_amount") + F("payment_check__extra_amount"),
            paid=F("base_amount") + F("extra_amount"),
        )
        .exclude(computed=F("paid"))
    )


def paid_off_summary(households: QuerySet[Household], *, month: date) -> PaidOffSummary:
    month = first_of_month(month)
    in_care = _in_care(households)
    return PaidOffSummary(
        month=month,
        differing=paid_off(households, month=month).count(),
        unchecked=in_care.exclude(payment_check__month=month).count(),
        checked_at=in_care.filter(payment_check__month=month).aggregate(at=Max("payment_check__checked_at"))["at"],
    )


def may_refresh_checks(*, user: AbstractBaseUser) -> bool:
    """The town office asks for a computation now (e.g. on the 1st when no beat runs, `make run`)."""
    return roles.has_role(user, roles.TOWN_OFFICE)


def paid_off_by_village(*, town_id: int, month: date) -> dict[int, int]:
    """In-care households of the town whose paid total differs from their computation for `month`,
    counted per village (月上报). Computed at the time of asking, from the registry as it stands."""
    households = Household.objects.filter(status=Household.Status.ACTIVE, village__town_id=town_id)
    counts: dict[int, int] = {}
    for household, computation in compute_many(households=households, month=month):
        if computation.total != household.monthly_total:
            counts[household.village_id] = counts.get(household.village_id, 0) + 1
    return counts
