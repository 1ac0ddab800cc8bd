"""Reads for dynamic management, scoped through the registry's village selectors."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from households.models import Household
from households.selectors import households_visible_to, village_scoped
from review.dynamic.services import month_end
from review.models import Case, GracePeriod, HouseholdRhythm, PeriodicRecheck, RecheckRule, RecheckTrigger
from review.models.cases import FINAL_STATUSES

User = AbstractBaseUser | AnonymousUser


def open_rechecks(*, user: User, today: date | None = None) -> QuerySet[PeriodicRecheck]:
    """定期核查 cases still open in the user's villages, overdue ones marked, earliest first."""
    today = today or timezone.localdate()
    return (
        village_scoped(PeriodicRecheck, "household__village_id", user=user)
        .exclude(case__status__in=FINAL_STATUSES)
        .select_related("household__village", "case", "team")
        .annotate(overdue=ExpressionWrapper(Q(due_on__lt=today), output_field=BooleanField()))
        .order_by("due_on", "pk")
    )


def upcoming(*, user: User, today: date | None = None) -> QuerySet[HouseholdRhythm]:
    """In-care households whose scheduled re-check falls due by the end of the month and has no open case yet."""
    today = today or timezone.localdate()
    open_cases = Case.objects.exclude(status__in=FINAL_STATUSES).values("household_id")
    return (
        HouseholdRhythm.objects.filter(
            household__in=households_visible_to(user=user).filter(status=Household.Status.ACTIVE),
            next_due__lte=month_end(today),
        )
        .exclude(household_id__in=open_cases)
        .select_related("household__village")
        .order_by("next_due", "household_id")
    )


def waiting_triggers(*, user: User) -> QuerySet[RecheckTrigger]:
    return (
        village_scoped(RecheckTrigger, "household__village_id", user=user)
        .filter(recheck__isnull=True)
        .select_related("household__village")
        .order_by("due_on", "pk")
    )


def household_dynamic(*, household: Household) -> dict:
    """Rhythm, triggers, re-checks, grace periods and spot checks of one (already visible) household."""
    return {
        "rhythm": HouseholdRhythm.objects.filter(household=household).select_related("rule").first(),
        "triggers": RecheckTrigger.objects.filter(household=household).select_related("recheck__case"),
        "rechecks": PeriodicRecheck.objects.filter(household=household).select_related("case").order_by("-period"),
        "graces": GracePeriod.objects.filter(household=household).select_related("case"),
        "spot_checks": household.spot_checks.select_related("sample").order_by("-sample__drawn_at"),
    }


def current_grace(*, household: Household, today: date | None = None) -> GracePeriod | None:
    """The grace period paying now or next (the household page shows its end month)."""
    today = today or timezone.localdate()
    return (
        GracePeriod.objects.filter(household=household, ended_on__isnull=True, end_month__gte=today.replace(day=1))
        .order_by("start_month")
        .first()
    )


def graces_visible_to(*, user: User) -> QuerySet[GracePeriod]:
    return (
        village_scoped(GracePeriod, "household__village_id", user=user)
        .select_related("household__village", "case")
        .order_by("ended_on", "-start_month", "-pk")
    )


def rules_for(*, town_ids: list[int]) -> QuerySet[RecheckRule]:
    return RecheckRule.objects.filter(town_id__in=town_ids).select_related("town")
