"""Celery tasks of dynamic management. They take ISO dates (or nothing: today) and are idempotent.

Scheduled in settings.CELERY_BEAT_SCHEDULE:
- every day at 01:30: triggers, rhythms, due 定期核查 cases, grace periods ending;
- on the 1st of each month at 02:00: the previous month's 月上报 (regenerated, not duplicated).
"""

from datetime import date

from celery import shared_task


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@shared_task(name="review.dynamic_daily")
def dynamic_daily(today: str | None = None) -> dict:
    from review.dynamic.services import run_daily

    return run_daily(today=_day(today))


@shared_task(name="review.monthly_report")
def monthly_report(month: str | None = None, town_id: int | None = None) -> list[int]:
    """The report of `month` (default: the previous month) for every town (or one); returns report ids."""
    from review.dynamic.monthly import generate_due_reports

    return [r.pk for r in generate_due_reports(month=_day(month), town_id=town_id)]


@shared_task(name="review.district_monthly_report")
def district_monthly_report(job_id: int) -> None:
    """The district's 月上报 (a DistrictMonthlyReport job row); a second delivery does nothing."""
    from review.dynamic.district import run_district_report

    run_district_report(job_id=job_id)
