"""Celery tasks of publicity. They take ids only and are idempotent (see publicity.generation)."""

from celery import shared_task


@shared_task(name="publicity.generate_notices")
def generate_notices(job_id: int) -> None:
    from publicity.generation import run_job

    run_job(job_id=job_id)
