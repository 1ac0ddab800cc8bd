"""The import as real Celery tasks on a worker through Redis (skipped without a broker)."""

import time

import pytest

from households.ledger.importer import import_commit_request, import_start
from households.models import Household, ImportBatch, Member
from tests.ledger.helpers import member_row, new_id, upload, workbook_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(batch: ImportBatch, *statuses: str, timeout: float = 60) -> ImportBatch:
    deadline = time.time() + timeout
    while time.time() < deadline:
        batch.refresh_from_db()
        if batch.status in statuses:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch stayed {batch.status}: {batch.stage}")


def test_dry_run_and_commit_run_on_the_worker(celery_worker_process, places, town_officer):
    head = new_id()
    child = {"成员姓名": "张小明", "身份证号码": new_id(), "与户主关系": "子女"}
    rows = [member_row(head_id=head), member_row(head_id=head, **child)]
    batch = import_start(user=town_officer, upload=upload(workbook_bytes(rows)))  # autocommit: sent at once
    try:
        batch = wait_for(batch, ImportBatch.Status.CHECKED, ImportBatch.Status.FAILED)
        assert (batch.status, batch.members_created, batch.progress) == (ImportBatch.Status.CHECKED, 2, 100)
        assert Member.objects.count() == 0
        import_commit_request(batch=batch, user=town_officer)
        batch = wait_for(batch, ImportBatch.Status.COMMITTED, ImportBatch.Status.FAILED)
        assert batch.status == ImportBatch.Status.COMMITTED, batch.error
        household = Household.objects.get()
        assert household.members.count() == 2
        # The worker had no request: history names the importer from the batch row.
        assert household.history.earliest().history_user_id == town_officer.pk
    finally:
        batch.file.delete(save=False)
