"""The ledger across towns (issue 19): the 乡镇(街道) column routes each row, a town imports only its own
rows, district-wide exports are one sheet per town and never a sheet over Excel's row limit."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from households.ledger import exporter
from households.ledger.exporter import write_ledger
from households.models import Household, ImportBatch, Member
from tests.ledger.helpers import member_row, new_id, workbook_bytes

pytestmark = pytest.mark.django_db


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.summary["problems"]]


def east(**values) -> dict:
    """A one-person household of 城东镇 东岳村 (the other_town fixture)."""
    return member_row(
        head_id=new_id(), **{"乡镇(街道)": "城东镇", "村(社区)": "东岳村", "组": None, "保障类别": None, **values}
    )


def test_a_town_office_imports_only_its_own_towns_rows_the_others_are_listed_problems(
    places, town_officer, other_town, run_import
):
    rows = [member_row(head_id=new_id()), east(), east()]
    batch = run_import(town_officer, workbook_bytes(rows))
    problems = problems_of(batch)
    assert [(row, column) for row, column, _m in problems] == [(3, "乡镇(街道)"), (4, "乡镇(街道)")]
    assert all("城东镇" in m and "堪嘉镇" in m and "民政办导入" in m for _r, _c, m in problems)
    assert batch.problem_count == 2 and Household.objects.count() == 0  # all or nothing: no row is lost


def test_the_other_towns_office_imports_the_same_file_minus_our_rows(
    places, other_town, other_town_officer, run_import
):
    rows = [east(), member_row(head_id=new_id())]
    batch = run_import(other_town_officer, workbook_bytes(rows))
    [(row, column, message)] = problems_of(batch)
    assert (row, column) == (3, "乡镇(街道)") and "堪嘉镇" in message and "城东镇" in message
    batch = run_import(other_town_officer, workbook_bytes(rows[:1]), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert Household.objects.get().village.town == other_town


def test_without_a_town_column_a_village_name_is_read_in_the_importers_town(
    places, town_officer, other_town, run_import
):
    from tests.factories import VillageFactory

    VillageFactory(town=other_town, name="陡岩村", code="950")  # the same village name in another town
    row = member_row(head_id=new_id())
    del row["乡镇(街道)"]
    headers = [h for h in row]
    batch = run_import(town_officer, workbook_bytes([row], headers=headers), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert Household.objects.get().village == places["陡岩村"]


def test_district_export_is_one_sheet_per_town(
    places, town_officer, other_town, other_town_officer, district_officer, run_import
):
    run_import(town_officer, workbook_bytes([member_row(head_id=new_id(), 成员姓名="张大山")]), commit=True)
    run_import(other_town_officer, workbook_bytes([east(成员姓名="东一", 户主姓名="东一")]), commit=True)
    out = BytesIO()
    assert write_ledger(out, user=district_officer) == 2
    wb = load_workbook(BytesIO(out.getvalue()))
    assert wb.sheetnames == ["成员台账-堪嘉镇", "户汇总-堪嘉镇", "成员台账-城东镇", "户汇总-城东镇", "合计"]
    assert [r[5] for r in wb["成员台账-堪嘉镇"].iter_rows(min_row=2, values_only=True)] == ["张大山"]
    assert [r[5] for r in wb["成员台账-城东镇"].iter_rows(min_row=2, values_only=True)] == ["东一"]
    totals = [r[0] for r in wb["合计"].iter_rows(min_row=2, values_only=True)]
    assert totals == ["堪嘉镇 陡岩村", "城东镇 东岳村", "合计"]

    # A town's own export stays the single-town layout, with only its rows.
    out = BytesIO()
    assert write_ledger(out, user=other_town_officer) == 1
    assert load_workbook(BytesIO(out.getvalue())).sheetnames == ["成员台账", "户汇总", "合计"]


def test_no_sheet_goes_over_the_row_limit_the_rest_continues_on_the_next_sheet(
    places, town_officer, run_import, monkeypatch
):
    rows = [member_row(head_id=new_id(), 成员姓名=f"成员{i}", 户主姓名=f"成员{i}") for i in range(5)]
    run_import(town_officer, workbook_bytes(rows), commit=True)
    monkeypatch.setattr(exporter, "MAX_SHEET_ROWS", 3)  # a header and two rows per sheet
    out = BytesIO()
    write_ledger(out, user=town_officer)
    wb = load_workbook(BytesIO(out.getvalue()))
    members = [n for n in wb.sheetnames if n.startswith("成员台账")]
    assert members == ["成员台账", "成员台账(2)", "成员台账(3)"]
    assert all(wb[n].max_row <= 3 for n in wb.sheetnames)
    assert all(wb[n]["A1"].value == "乡镇(街道)" for n in wb.sheetnames if n != "合计")  # each part has its header
    names = [r[5] for n in members for r in wb[n].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(f"成员{i}" for i in range(5)) and Member.objects.count() == 5
