"""The hash chain: sealing, verification naming exactly the tampered rows, retention."""

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from archives.audit.seals import last_verification, purge_audit, seal_audit, verify_audit
from archives.models import AuditPurge, AuditSeal, VerificationRun
from households.models import Household, Member
from kanjia.access import log_access
from kanjia.models import AccessLog

H = Household.history.model._meta.db_table
M = Member.history.model._meta.db_table
A = AccessLog._meta.db_table


def sql(statement: str, params=()) -> None:
    """Raw SQL as a tamperer would type it (table names come from model metadata)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def found(run: VerificationRun) -> set[tuple[str, str, int]]:
    return {(p["kind"], p["table"], p["row_id"]) for p in run.problems}


def test_clean_data_verifies_and_sealing_is_idempotent(history, capsys):
    assert seal_audit() > 0
    assert seal_audit() == 0
    run = verify_audit()
    assert run.ok and run.problems == []
    assert run.rows_checked == sum(s.row_count for s in AuditSeal.objects.all())
    call_command("verify_audit")
    assert "审计链校验通过" in capsys.readouterr().out
    # New rows are sealed in a new block chained to the last one.
    head = AuditSeal.objects.order_by("-number").first()
    log_access(request=None, user=AccessLog.objects.first().user, action=AccessLog.Action.PRINT, detail="打印")
    assert seal_audit() == 1
    assert AuditSeal.objects.order_by("-number").first().previous_digest == head.digest


def test_verify_names_exactly_the_rows_changed_deleted_and_inserted(history, capsys):
    household = history[0]
    changed = household.history.order_by("history_id").first().history_id
    deleted = AccessLog.objects.order_by("id").first().pk
    # A row that will be inserted back into the sealed range later: take it out before sealing.
    member_row = history[0].members.get().history.get()
    inserted = member_row.history_id
    columns = [f.column for f in Member.history.model._meta.concrete_fields]
    values = [getattr(member_row, f.attname) for f in Member.history.model._meta.concrete_fields]
    sql(f'DELETE FROM "{M}" WHERE history_id = %s', [inserted])  # noqa: S608
    seal_audit()

    sql(f'UPDATE "{H}" SET base_amount = 9999 WHERE history_id = %s', [changed])  # noqa: S608
    sql(f'DELETE FROM "{A}" WHERE id = %s', [deleted])  # noqa: S608
    marks = ", ".join(["%s"] * len(columns))
    sql(f'INSERT INTO "{M}" ({", ".join(columns)}) VALUES ({marks})', values)  # noqa: S608

    run = verify_audit()
    assert not run.ok
    assert found(run) == {("changed", H, changed), ("deleted", A, deleted), ("inserted", M, inserted)}
    with pytest.raises(CommandError):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"{H} 第 {changed} 行封存后被修改" in out
    assert f"{A} 第 {deleted} 行封存后被删除" in out
    assert f"{M} 第 {inserted} 行在已封存范围内被插入" in out
    assert last_verification().ok is False


def test_tampering_with_a_seal_breaks_the_chain(history):
    seal_audit()
    first = AuditSeal.objects.order_by("number").first()
    AuditSeal.objects.filter(pk=first.pk).update(row_hashes=[[first.first_id, "0" * 32]])
    run = verify_audit()
    assert any(p["kind"] == "chain" and p["seal"] == first.number for p in run.problems)


def test_truncating_the_chain_is_noticed(history, town_officer):
    seal_audit()
    assert verify_audit().ok
    log_access(request=None, user=town_officer, action=AccessLog.Action.PRINT)
    seal_audit()
    assert verify_audit().ok
    AuditSeal.objects.order_by("-number").first().delete()
    run = verify_audit()
    assert any("截断" in p["text"] for p in run.problems)


def test_unsettled_rows_wait_for_the_next_run(history, settings):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 3600
    assert seal_audit() == 0
    assert verify_audit().ok  # nothing sealed yet, nothing to contradict


def test_retention_never_purges_rows_younger_than_180_days(history, settings, town_officer):
    settings.AUDIT_RETENTION_DAYS = 1  # a careless setting: the floor of 180 days still holds
    AccessLog.objects.update(at=timezone.now() - timedelta(days=200))
    seal_audit()
    recent = log_access(request=None, user=town_officer, action=AccessLog.Action.PRINT)
    AccessLog.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=179))
    seal_audit()
    history_rows = Household.history.count()
    deleted = purge_audit(days=1).deleted
    assert deleted == 2  # the two 200-day-old access-log rows
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert Household.history.count() == history_rows
    assert AuditPurge.objects.count() == 1
    # Purged on purpose: the chain still verifies.
    assert verify_audit().ok
    call_command("purge_audit", "--days", "0")
    assert AccessLog.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealing_under_writes_leaves_no_fork(village_a, town_officer):
    if connection.vendor != "postgresql":
        print("SKIP: SQLite serialises every writer; the fork/race test needs PostgreSQL (DATABASE_URL).")
        pytest.skip("needs PostgreSQL: SQLite has one writer at a time")
    from tests.factories import HouseholdFactory

    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with transaction.atomic():
                    HouseholdFactory(village=village_a, head_name=f"并发{n}-{i}")
                    log_access(request=None, user=town_officer, action=AccessLog.Action.VIEW, detail=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def sealer() -> None:
        try:
            while not stop.is_set():
                seal_audit(block_size=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    sealers = [threading.Thread(target=sealer) for _ in range(3)]
    for t in writers + sealers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in sealers:
        t.join()
    assert errors == []
    seal_audit(block_size=7)
    seals = list(AuditSeal.objects.order_by("number"))
    assert [s.number for s in seals] == list(range(1, len(seals) + 1))
    assert [s.previous_digest for s in seals[1:]] == [s.digest for s in seals[:-1]]
    run = verify_audit()
    assert run.ok, run.problems
    assert AccessLog.objects.count() == 100
    sealed_logs = sum(s.row_count for s in seals if s.table == A)
    assert sealed_logs == 100
