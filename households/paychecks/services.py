"""Refresh the kept computations (`PaymentCheck`) that the paid-vs-computed count reads."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from households.benefit import compute_many, first_of_month
from households.models import Household, PaymentCheck

CHUNK = 1000


def payment_checks_refresh(
    *, household_ids: Iterable[int] | None = None, town_id: int | None = None, month: date | None = None
) -> int:
    """Recompute in-care households (these, a town's, or all) for `month` (default: this month).

    Idempotent: each household keeps one row, rewritten in place. Returns how many were computed.
    """
    month = first_of_month(month or timezone.localdate())
    households = Household.objects.filter(status=Household.Status.ACTIVE)
    if household_ids is not None:
        households = households.filter(pk__in=list(household_ids))
    if town_id is not None:
        households = households.filter(village__town_id=town_id)
    now = timezone.now()
    done = 0
    batch: list[PaymentCheck] = []
    for household, computation in compute_many(households=households, month=month, chunk=CHUNK):
        batch.append(
            PaymentCheck(
                household_id=household.pk,
                month=month,
                eligible=computation.eligible,
                base_amount=computation.base_amount,
                extra_amount=computation.extra_amount,
                checked_at=now,
            )
        )
        if len(batch) >= CHUNK:
            done += _write(batch)
            batch = []
    return done + _write(batch)


def _write(batch: list[PaymentCheck]) -> int:
    if batch:
        with transaction.atomic():
            PaymentCheck.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["household"],
                update_fields=["month", "eligible", "base_amount", "extra_amount", "checked_at"],
            )
    return len(batch)


def on_households_changed(*, household_ids: frozenset[int] | None, by=None) -> None:
    """households.hooks listener (after commit): an edit recomputes its households at once (a few
    queries); "any household" (an import, the generator) is a background task."""
    from households.paychecks.tasks import refresh_payment_checks

    if household_ids is None:
        refresh_payment_checks.delay()
        return
    payment_checks_refresh(household_ids=sorted(household_ids))


def policy_changed(*, town_id: int) -> None:
    """A standard, category or property rule of the town changed: recompute its households after commit."""
    from households.paychecks.tasks import refresh_payment_checks

    refresh_payment_checks.delay_on_commit(town_id=town_id)
