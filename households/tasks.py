"""Celery's autodiscovery imports `<app>.tasks`; each topic keeps its tasks in its own module."""

from households.ledger.tasks import ledger_commit, ledger_dry_run, ledger_export, roster_match
from households.paychecks.tasks import refresh_payment_checks

__all__ = ["ledger_commit", "ledger_dry_run", "ledger_export", "refresh_payment_checks", "roster_match"]
