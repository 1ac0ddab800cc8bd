"""Celery's autodiscovery imports `<app>.tasks`; each topic keeps its tasks in its own package."""

from review.dynamic.tasks import district_monthly_report, dynamic_daily, monthly_report

__all__ = ["district_monthly_report", "dynamic_daily", "monthly_report"]
