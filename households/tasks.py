"""Celery's autodiscovery imports `<app>.tasks`; each topic keeps its tasks in its own module."""

from households.ledger.tasks import ledger_commit, ledger_dry_run, ledger_export, roster_match

__all__ = ["ledger_commit", "ledger_dry_run", "ledger_export", "roster_match"]
