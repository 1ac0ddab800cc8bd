"""Celery tasks of the ledger: dry run, commit, export and roster matching.

Each task takes only ids. It is idempotent through its job row's status (Redis
may deliver a task twice), and the acting user comes from the job row, never
from a request, so history records the right person (simple-history #780).
Sent with `delay_on_commit` so the worker never sees a row before it exists.
"""

from celery import shared_task


@shared_task(name="households.ledger_dry_run")
def ledger_dry_run(batch_id: int) -> None:
    from households.ledger.importer import run_dry_run

    run_dry_run(batch_id=batch_id)


@shared_task(name="households.ledger_commit")
def ledger_commit(batch_id: int) -> None:
    from households.ledger.importer import run_commit

    run_commit(batch_id=batch_id)


@shared_task(name="households.ledger_export")
def ledger_export(job_id: int) -> None:
    from households.ledger.exporter import run_export

    run_export(job_id=job_id)


@shared_task(name="households.roster_match")
def roster_match(roster_id: int) -> None:
    from households.ledger.rosters import run_roster

    run_roster(roster_id=roster_id)
