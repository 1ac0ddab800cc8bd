"""Celery task of the payment rolls: the district's set of rolls (a DistrictRollExport job row)."""

from celery import shared_task


@shared_task(name="archives.district_rolls")
def district_rolls(job_id: int) -> None:
    """Idempotent through the job row's status (Redis may deliver twice)."""
    from archives.payments.district import run_district_roll

    run_district_roll(job_id=job_id)
