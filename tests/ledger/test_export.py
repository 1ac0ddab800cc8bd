"""Ledger export: same layout (round trip), household sheet and totals, formula safety, scope."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from households.ledger.exporter import export_start, template_workbook, write_ledger, write_streamed
from households.ledger.format import LEDGER_HEADERS
from households.models import ExportJob, Household, ImportBatch, Member
from kanjia.xlsx import SheetSpec
from tests.ledger.helpers import grant_team, member_row, new_id, workbook_bytes

pytestmark = pytest.mark.django_db


EVIL = '=HYPERLINK("http://evil.example","x")'


def grant_reveal(user):
    user.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    return type(user).objects.get(pk=user.pk)  # drop the permission cache


def seeded(run_import, user, places):
    head, spouse, child = new_id(), new_id(born=date(1963, 2, 2), male=False), new_id(born=date(2008, 9, 9))
    common = {"head_id": head, "保障人数": 3, "月保障金额": 455.5, "分类施保金额": 80, "保障类别": "一类"}
    rows = [
        member_row(**common, 健康状况="重病", 残疾类别="肢体", 残疾等级="二级"),
        member_row(**common, 成员姓名=EVIL, 身份证号码=spouse, 与户主关系="配偶"),
        member_row(**common, 成员姓名="张小明", 身份证号码=child, 与户主关系="子女", 出生日期="2008年9月"),
        member_row(head_id=new_id(), 成员姓名="王五", 户主姓名="王五", **{"村(社区)": "中心村", "组": "2组"}),
    ]
    batch = run_import(user, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, batch.summary["problems"]
    return rows


def exported(user, **kwargs) -> bytes:
    out = BytesIO()
    write_ledger(out, user=user, **kwargs)
    return out.getvalue()


def test_export_reimports_unchanged(places, town_officer, run_import):
    seeded(run_import, town_officer, places)
    officer = grant_reveal(town_officer)
    history = (Household.history.count(), Member.history.count())
    batch = run_import(officer, exported(officer), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, batch.summary["problems"]
    assert (batch.households_unchanged, batch.members_unchanged, batch.rows) == (2, 4, 4)
    assert batch.households_updated + batch.members_updated + batch.households_created == 0
    assert (Household.history.count(), Member.history.count()) == history


def test_formula_injection_cells_are_written_and_read_back_as_text(places, town_officer, run_import):
    seeded(run_import, town_officer, places)
    ws = load_workbook(BytesIO(exported(grant_reveal(town_officer))))["成员台账"]
    name_col = LEDGER_HEADERS.index("成员姓名") + 1
    cells = [ws.cell(r, name_col) for r in range(2, ws.max_row + 1)]
    evil = next(c for c in cells if str(c.value).startswith("="))
    assert evil.data_type == "s"
    id_col = LEDGER_HEADERS.index("身份证号码") + 1
    assert all(ws.cell(r, id_col).data_type == "s" for r in range(2, ws.max_row + 1))
    assert Member.objects.filter(name__startswith="=HYPERLINK").count() == 1


def test_error_codes_and_control_characters_are_written_as_plain_text(places, town_officer, run_import):
    seeded(run_import, town_officer, places)
    odd = Member.objects.get(name="张小明")
    odd.name = "#N/A"
    odd.save()
    head = Household.objects.get(village__name="中心村")
    head.bank_name = "雁江\x01农商银行"
    head.save()
    ws = load_workbook(BytesIO(exported(grant_reveal(town_officer))))["成员台账"]
    values = {c.value: c.data_type for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    assert values["#N/A"] == "s" and values["雁江农商银行"] == "s"


def test_household_sheet_and_totals(places, town_officer, run_import):
    seeded(run_import, town_officer, places)
    wb = load_workbook(BytesIO(exported(grant_reveal(town_officer))))
    assert wb.sheetnames == ["成员台账", "户汇总", "合计"]
    households = list(wb["户汇总"].iter_rows(min_row=2, values_only=True))
    assert len(households) == 2
    doyan = next(r for r in households if r[1] == "陡岩村")
    assert doyan[8:13] == (3, 3, 455.5, 80, 535.5)
    totals = {r[0]: r[1:] for r in wb["合计"].iter_rows(min_row=2, values_only=True)}
    assert totals["陡岩村"] == (1, 3, 3, 455.5, 80, 535.5)
    assert totals["合计"] == (2, 4, 4, 755.5, 80, 835.5)


def test_export_by_village_and_scope_of_a_team(places, town_officer, team_member_a, run_import):
    seeded(run_import, town_officer, places)
    officer = grant_reveal(town_officer)
    one = load_workbook(BytesIO(exported(officer, village=places["中心村"])))["成员台账"]
    assert [r[1] for r in one.iter_rows(min_row=2, values_only=True)] == ["中心村"]
    grant_team(team_member_a, places["陡岩村"], change=False)
    mine = load_workbook(BytesIO(exported(team_member_a)))["成员台账"]
    rows = list(mine.iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in rows} == {"陡岩村"} and len(rows) == 3
    # Without the reveal permission, ID and bank numbers are masked.
    assert all("*" in r[LEDGER_HEADERS.index("身份证号码")] for r in rows)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_start(user=team_member_a, village=places["中心村"])


def test_export_job_runs_as_a_task_with_progress_and_a_file(
    places, town_officer, run_import, django_capture_on_commit_callbacks
):
    seeded(run_import, town_officer, places)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(user=town_officer, village=None, status="在保")
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows) == (ExportJob.Status.DONE, 100, 4)
    with job.file.open("rb") as file:
        assert load_workbook(file, read_only=True).sheetnames == ["成员台账", "户汇总", "合计"]


def test_template_has_the_headers_and_an_example_that_imports(places, town_officer, run_import):
    content = template_workbook()
    ws = load_workbook(BytesIO(content))["成员台账"]
    assert [c.value for c in ws[1]] == list(LEDGER_HEADERS)
    batch = run_import(town_officer, content, commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, batch.summary["problems"]
    assert Household.objects.get().base_amount == Decimal("300.00")


def test_export_query_count_does_not_grow_with_rows(places, town_officer, run_import, django_assert_max_num_queries):
    seeded(run_import, town_officer, places)
    officer = grant_reveal(town_officer)
    with django_assert_max_num_queries(12):
        exported(officer)


def test_a_risky_cell_is_written_as_text_wherever_it_sits_in_the_row():
    """The writer looks at a row's strings at once and only then cell by cell: a risky value in the
    last column, next to a harmless one with a line break, or alone in a row is still plain text."""
    rows = [
        ["甲", "备注\n=1+1", "=SUM(A1:A9)"],
        ["#REF!", None, 3],
        ["乙", "正常", "丙\x02丁"],
        ["丁", "=", "#N/A"],
        ["戊", "#N/A 不是错误码", "+1"],
    ]
    out = BytesIO()
    write_streamed([SheetSpec("检查", ("甲", "乙", "丙"), rows)], out=out)
    ws = load_workbook(BytesIO(out.getvalue()))["检查"]
    got = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)]
    assert got[0][1:] == [("备注\n=1+1", "s"), ("=SUM(A1:A9)", "s")]
    assert got[1][0] == ("#REF!", "s") and got[1][2] == (3, "n")
    assert got[2][2] == ("丙丁", "s")
    assert got[3][1:] == [("=", "s"), ("#N/A", "s")]
    assert got[4][1:] == [("#N/A 不是错误码", "s"), ("+1", "s")]
