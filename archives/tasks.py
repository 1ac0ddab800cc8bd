"""Celery's autodiscovery imports `<app>.tasks`; each topic keeps its tasks in its own package.

Task names are explicit (`archives.tasks.…`) and do not follow the module path.
"""

from archives.audit.tasks import seal_audit, verify_audit
from archives.documents.tasks import locations_sync_task
from archives.payments.tasks import district_rolls

__all__ = ["district_rolls", "locations_sync_task", "seal_audit", "verify_audit"]
