"""Periodic audit tasks: sealing (every 10 minutes) and a nightly verification."""

from celery import shared_task

# Scheduled in settings.CELERY_BEAT_SCHEDULE.


@shared_task(name="archives.tasks.seal_audit")
def seal_audit() -> int:
    """Idempotent: seals only settled rows not sealed yet; concurrent runs serialise on a lock."""
    from archives.audit.seals import seal_audit as seal

    return seal()


@shared_task(name="archives.tasks.verify_audit")
def verify_audit() -> bool:
    from archives.audit.seals import verify_audit as verify

    return verify(trigger="task").ok
