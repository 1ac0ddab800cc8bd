from celery import shared_task


@shared_task(name="households.refresh_payment_checks")
def refresh_payment_checks(household_ids: list[int] | None = None, town_id: int | None = None) -> int:
    """Recompute the kept computations (idempotent; also the nightly beat job)."""
    from households.paychecks.services import payment_checks_refresh

    return payment_checks_refresh(household_ids=household_ids, town_id=town_id)
