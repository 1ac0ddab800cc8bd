"""Issue 15: the audit purge never deletes history an archive rule still needs (per household, from history)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from archives.audit.retention import household_lookup, household_retention, purge_audit_rows
from archives.audit.seals import seal_audit, verify_audit
from archives.models import AuditPurge
from households.models import Household, Member
from review.models import Case
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def years_ago(years: float) -> datetime:
    return NOW - timedelta(days=round(365.25 * years))


def _at(obj, when: datetime, by) -> None:
    """Save `obj` with its history row dated `when` (as if the change was made then)."""
    obj._history_date = when
    obj._history_user = by
    obj.save()


def recipient(village, name: str, *, since: float, stopped: float | None, member_change: float | None, by):
    """A household in care `since` years ago, stopped `stopped` years ago, a member changed `member_change` ago."""
    household = HouseholdFactory.build(village=village, head_name=name, base_amount=Decimal("300.00"))
    _at(household, years_ago(since), by)
    member = MemberFactory.build(household=household, name=name)
    _at(member, years_ago(since), by)
    if member_change is not None:
        member.phone = "13800000000"
        _at(member, years_ago(member_change), by)
    if stopped is not None:
        household.status = Household.Status.EXITED
        household.base_amount = Decimal("0")
        _at(household, years_ago(stopped), by)
    return household


def _rows(household: Household) -> tuple[int, int]:
    return Household.history.filter(id=household.pk).count(), Member.history.filter(household_id=household.pk).count()


@pytest.fixture
def town(village_a, town_officer):
    return {
        # In care for ten years: every row stays, so a roll of nine years ago can still be rebuilt.
        "in_care": recipient(village_a, "在保户", since=10, stopped=None, member_change=8, by=town_officer),
        # Stopped 2 years ago: approval records are kept 3 years after aid stops.
        "recent": recipient(village_a, "近停户", since=10, stopped=2, member_change=8, by=town_officer),
        # Stopped 4 years ago, but a routine record (member) changed 4 years ago: kept 5 years from it.
        "routine": recipient(village_a, "近改户", since=10, stopped=4.2, member_change=4, by=town_officer),
        # Stopped 6 years ago, nothing since: its retention has ended.
        "ended": recipient(village_a, "期满户", since=10, stopped=6, member_change=7, by=town_officer),
    }


def test_every_household_table_is_traced_to_its_household():
    from archives.audit.seals import audit_tables

    lookups = {t.name: household_lookup(t.model) for t in audit_tables()}
    assert lookups["households_historicalhousehold"] == "id"
    assert lookups["households_historicalmember"] == "household_id"
    assert lookups["review_historicalcase"] == "household_id"
    assert lookups["review_historicalinvestigation"] == "case__household__id"
    assert lookups["review_historicalinvestigation_investigators"] == "investigation__case__household__id"
    assert lookups["publicity_historicalroundcase"] == "case__household__id"
    assert lookups["review_historicaldecisionnotice"] == "household_id"
    assert lookups["kanjia_accesslog"] is None and lookups["review_historicalcampaign"] is None


def test_retention_is_read_per_household_from_its_history(town):
    retention = household_retention()
    assert not retention[town["in_care"].pk].ended and retention[town["in_care"].pk].until is None
    assert not retention[town["recent"].pk].ended
    assert not retention[town["routine"].pk].ended
    ended = retention[town["ended"].pk]
    assert ended.ended and "审批材料保管至" in ended.why
    stopped_on = timezone.localtime(years_ago(6)).date()
    assert f"{stopped_on:%Y-%m-%d}停止保障" in ended.why


def test_purge_keeps_every_row_a_retained_household_needs(town, settings):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    assert seal_audit() > 0
    kept = {name: _rows(h) for name, h in town.items() if name != "ended"}
    nine_years_ago = years_ago(9)
    assert Household.history.as_of(nine_years_ago).filter(pk=town["in_care"].pk).exists()

    result = purge_audit_rows()

    # Only the household whose retention ended lost its history; everything else is untouched.
    assert _rows(town["ended"]) == (0, 0)
    assert {name: _rows(town[name]) for name in kept} == kept
    assert result.households_purged == {town["ended"].pk}
    assert result.deleted == 2 + 2  # the household's two rows, its member's two rows
    # A past roll or 月上报 read from history still finds the household in care then.
    assert Household.history.as_of(nine_years_ago).filter(pk=town["in_care"].pk).exists()
    # The chain records exactly what was purged and why.
    purges = list(AuditPurge.objects.order_by("pk"))
    listed = sorted(pk for p in purges for pk in p.row_ids)
    assert len(listed) == 4 and sum(p.rows_deleted for p in purges) == 4
    assert all(p.reasons[0]["household"] == town["ended"].pk and "保管至" in p.reasons[0]["why"] for p in purges)
    assert verify_audit().ok


def test_a_purge_that_finds_nothing_says_so(town, settings, capsys):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    Household.objects.filter(pk=town["ended"].pk).update(status=Household.Status.ACTIVE)
    seal_audit()
    result = purge_audit_rows()
    assert result.deleted == 0 and "没有可清理的审计记录" in result.message
    call_command("purge_audit")
    assert "没有可清理的审计记录" in capsys.readouterr().out
    assert not AuditPurge.objects.exists()


def test_a_household_with_an_open_case_is_kept(town, settings):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    Case.objects.create(household=town["ended"], kind=Case.Kind.APPLICATION)
    seal_audit()
    purge_audit_rows()
    assert _rows(town["ended"]) == (2, 2)


def test_verification_names_a_row_deleted_beyond_the_purge_and_an_edited_purge_record(town, settings):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    seal_audit()
    purge_audit_rows()
    assert verify_audit().ok
    # Someone deletes a retained household's row "while the purge was at it".
    victim = Household.history.filter(id=town["recent"].pk).order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM households_historicalhousehold WHERE history_id = %s", [victim.history_id])
    run = verify_audit()
    assert not run.ok
    assert any(p["kind"] == "deleted" and p["row_id"] == victim.history_id for p in run.problems)
    # …and adds it to a purge record to hide it: the record's digest no longer matches.
    purge = AuditPurge.objects.filter(seal__table="households_historicalhousehold").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE archives_auditpurge SET row_ids = %s WHERE id = %s",
            [f"[{', '.join(str(i) for i in [*purge.row_ids, victim.history_id])}]", purge.pk],
        )
    run = verify_audit()
    assert any("清理记录" in p["text"] and "被改动" in p["text"] for p in run.problems)


def test_rows_of_no_household_follow_the_age_rule(town, settings, town_officer):
    from kanjia.access import log_access
    from kanjia.models import AccessLog

    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    old = log_access(request=None, user=town_officer, action=AccessLog.Action.EXPORT, detail="旧导出")
    AccessLog.objects.filter(pk=old.pk).update(at=years_ago(1.5))
    seal_audit()
    result = purge_audit_rows()
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    purge = AuditPurge.objects.get(seal__table="kanjia_accesslog")
    assert purge.row_ids == [old.pk] and "不属于任何低保户" in purge.reasons[0]["rule"]
    assert result.by_table["kanjia_accesslog"] == 1
