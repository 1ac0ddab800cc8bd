"""Celery's autodiscovery imports `<app>.tasks`; each topic keeps its tasks in its own package."""

from review.dynamic.tasks import dynamic_daily, monthly_report

__all__ = ["dynamic_daily", "monthly_report"]
