"""Ledger import: the mess real files carry, dry run vs commit, all or nothing, idempotence, scope."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl.xml
import pytest
from openpyxl import Workbook, load_workbook

from households.ledger.format import LEDGER_HEADERS, UploadRefused, check_upload
from households.ledger.importer import parse_ledger
from households.models import Household, ImportBatch, Member
from tests.ledger.helpers import grant_team, member_row, new_id, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def family(head_id=None, spouse_id=None, **household):
    head_id = head_id or new_id()
    spouse_id = spouse_id or new_id(born=date(1962, 7, 1), male=False)
    common = {"head_id": head_id, "保障人数": 2, **household}
    return [
        member_row(**common),
        member_row(**common, 成员姓名="李小花", 身份证号码=spouse_id, 与户主关系="妻"),
    ]


def problems_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.summary["problems"]]


def test_openpyxl_parses_xml_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


# --- The mess in real files --------------------------------------------------------------


def test_id_number_stored_as_number_is_rejected_with_a_text_format_hint(places, town_officer, run_import):
    rows = family()
    rows[1]["身份证号码"] = 5.12002196207011e17  # what Excel keeps of an 18-digit number
    batch = run_import(town_officer, workbook_bytes(rows))
    [(row, column, message)] = problems_of(batch)
    assert (row, column) == (3, "身份证号码")
    assert "5.12002E+17" in message and "文本" in message
    assert Member.objects.count() == 0


def test_head_id_number_stored_as_number_is_rejected_with_a_text_format_hint(places, town_officer, run_import):
    rows = family()
    rows[1]["户主身份证号码"] = 5.12002196003151e17  # the spouse's row: the head's number lost its digits
    batch = run_import(town_officer, workbook_bytes(rows))
    [(row, column, message)] = problems_of(batch)
    assert (row, column) == (3, "户主身份证号码")
    assert (
        message.startswith("身份证号码被存成了数字")
        and "5.12002E+17" in message
        and "文本" in message
        and "15 位" in message
    )
    assert Member.objects.count() == 0


def test_bank_account_stored_as_number_is_rejected_with_a_text_format_hint(places, town_officer, run_import):
    rows = family()
    for row in rows:
        row["银行账号"] = 6.22848000000000e18  # a 19-digit account typed into a General cell
    batch = run_import(town_officer, workbook_bytes(rows))
    problems = problems_of(batch)
    assert [(r, c) for r, c, _m in problems] == [(2, "银行账号"), (3, "银行账号")]
    message = problems[0][2]
    assert message.startswith("银行账号被存成了数字") and "6.22848E+18" in message and "「文本」格式" in message
    assert Household.objects.count() == 0


def test_lowercase_x_full_width_digits_and_spaces_are_normalised(places, town_officer, run_import):
    head = new_id()
    while not head.endswith("X"):
        head = new_id()
    messy = (
        " ".join(head[:6]) + "\u3000" + head[6:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    )
    rows = [member_row(head_id=messy, 身份证号码=head)]
    batch = run_import(town_officer, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, problems_of(batch)
    member = Member.objects.get()
    assert member.id_number == head
    assert Household.objects.get().head == member


@pytest.mark.parametrize(
    "cell",
    [
        "2021-05",
        "2021年5月",
        "202105",
        "2021/5",
        "２０２１年０５月",
        202105,
        44317,
        datetime(2021, 5, 18),
        "2021-05-18",
    ],
)
def test_month_in_every_form_reads_as_the_first_of_the_month(places, town_officer, run_import, cell):
    rows = [member_row(head_id=new_id(), 纳入保障年月=cell)]
    batch = run_import(town_officer, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, problems_of(batch)
    assert Household.objects.get().start_month == date(2021, 5, 1)


def test_unreadable_date_names_row_column_and_accepted_forms(places, town_officer, run_import):
    rows = [member_row(head_id=new_id(), 纳入保障年月="五月份")]
    batch = run_import(town_officer, workbook_bytes(rows))
    [(row, column, message)] = problems_of(batch)
    assert (row, column) == (2, "纳入保障年月")
    assert "2021年5月" in message


def test_merged_title_rows_blank_lines_and_column_order_do_not_matter(places, town_officer, run_import):
    headers = [*reversed(LEDGER_HEADERS), "备注"]  # order free, extra column ignored
    rows = family() + family()
    content = workbook_bytes(rows, headers=headers, title="堪嘉镇2021年5月城乡低保对象台账", blank_lines=(1, 2, 3))
    batch = run_import(town_officer, content, commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, problems_of(batch)
    assert batch.summary["header_row"] == 2
    assert (Household.objects.count(), Member.objects.count()) == (2, 4)


def test_household_columns_merged_over_member_rows_are_read_once(places, town_officer, run_import):
    rows = family(月保障金额=520)
    rows[1]["月保障金额"] = None  # a merged cell: only its first row holds the value
    batch = run_import(town_officer, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, problems_of(batch)
    assert Household.objects.get().base_amount == Decimal("520.00")


def test_derived_sex_and_birth_date_must_agree_with_the_id_number(places, town_officer, run_import):
    rows = family()
    rows[0]["性别"] = "女"
    rows[1]["出生日期"] = "1962年8月"
    batch = run_import(town_officer, workbook_bytes(rows))
    assert [(r, c) for r, c, _m in problems_of(batch)] == [(2, "性别"), (3, "出生日期")]


def test_numbers_in_text_columns_and_aliases_are_accepted(places, town_officer, run_import):
    rows = family(组=2, 联系电话=13912345678, 保障类别="一类", 城乡类别="农村低保")
    rows[1]["与户主关系"] = "妻子"
    batch = run_import(town_officer, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, problems_of(batch)
    household = Household.objects.get()
    assert (household.group.number, household.phone, household.category.name) == (
        2,
        "13912345678",
        "一类(特困重病重残)",
    )
    assert Member.objects.get(name="李小花").relation == "配偶"


def test_header_row_missing_required_columns_is_refused_with_names(places, town_officer, run_import):
    content = workbook_bytes([{"村(社区)": "陡岩村"}], headers=["村(社区)", "户主姓名", "成员姓名"])
    batch = run_import(town_officer, content)
    assert batch.status == ImportBatch.Status.FAILED
    assert "缺少必需的列" in batch.error and "户主身份证号码" in batch.error


# --- Dry run, commit, all or nothing ----------------------------------------------------------


def test_dry_run_writes_nothing_and_commit_writes_everything_with_the_importer_in_history(
    places, town_officer, run_import
):
    content_rows = family() + family()
    content = workbook_bytes(content_rows)
    batch = run_import(town_officer, content)
    assert batch.status == ImportBatch.Status.CHECKED
    assert (batch.households_created, batch.members_created, batch.problem_count) == (2, 4, 0)
    assert Household.objects.count() == 0 and Member.objects.count() == 0
    assert [c["action"] for c in batch.summary["changes"]].count("新增") == 6

    batch = run_import(town_officer, content, commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert (Household.objects.count(), Member.objects.count()) == (2, 4)
    household = Household.objects.get(head__id_number=content_rows[0]["户主身份证号码"])
    assert household.status == Household.Status.ACTIVE
    assert household.village == places["陡岩村"] and household.group.number == 1
    assert {h.history_user for h in Household.history.all()} == {town_officer}
    assert {h.history_user for h in Member.history.all()} == {town_officer}


def test_one_bad_row_means_nothing_is_written(places, town_officer, run_import):
    rows = family() + family() + family()
    rows[4]["月保障金额"] = "-50"
    batch = run_import(town_officer, workbook_bytes(rows))
    assert problems_of(batch) == [(6, "月保障金额", "金额不能为负数。")]
    from households.ledger.importer import import_commit_request

    with pytest.raises(UploadRefused, match="预检发现问题"):
        import_commit_request(batch=batch, user=town_officer)
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_commit_replans_and_writes_nothing_if_scope_changed_since_the_dry_run(
    places, team_member_a, run_import, django_capture_on_commit_callbacks
):
    from households.ledger.importer import import_commit_request

    team = grant_team(team_member_a, places["陡岩村"])
    batch = run_import(team_member_a, workbook_bytes(family() + family()))
    assert batch.problem_count == 0
    team.villagegroupobjectpermission_set.all().delete()  # the team lost the village meanwhile
    team_member_a.groups.add(team)  # still in the team, just no village
    with django_capture_on_commit_callbacks(execute=True):
        import_commit_request(batch=batch, user=team_member_a)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_reimporting_the_same_file_changes_nothing_and_adds_no_history(places, town_officer, run_import):
    content = workbook_bytes(family() + family())
    run_import(town_officer, content, commit=True)
    counts = (Household.history.count(), Member.history.count())
    batch = run_import(town_officer, content, commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert (batch.households_unchanged, batch.members_unchanged) == (2, 4)
    assert (batch.households_updated, batch.members_updated, batch.households_created) == (0, 0, 0)
    assert (Household.history.count(), Member.history.count()) == counts


def test_changed_file_updates_by_id_number_with_history(places, town_officer, run_import):
    rows = family(保障人数=3)
    run_import(town_officer, workbook_bytes(rows), commit=True)
    household = Household.objects.get()
    new_child = new_id(born=date(2010, 1, 1), male=False)
    for row in rows:
        row["月保障金额"] = 610.5
    rows[1]["成员姓名"] = "李晓花"
    head_id = rows[0]["户主身份证号码"]
    rows.append(
        member_row(
            head_id=head_id, 成员姓名="张小妹", 身份证号码=new_child, 与户主关系="女儿", 保障人数=3, 月保障金额=610.5
        )
    )
    # The second importer is a colleague in the same town office.
    from kanjia import roles
    from tests.conftest import make_user

    colleague = make_user("colleague", roles.TOWN_OFFICE)
    batch = run_import(colleague, workbook_bytes(rows))
    assert problems_of(batch) == []
    batch = run_import(colleague, workbook_bytes(rows), commit=True)
    assert (batch.households_updated, batch.members_updated, batch.members_created) == (1, 1, 1)
    household.refresh_from_db()
    assert household.base_amount == Decimal("610.50") and household.version == 2
    assert household.members.count() == 3
    latest = household.history.first()
    assert latest.history_user == colleague and latest.history_type == "~"
    assert Member.objects.get(id_number=rows[1]["身份证号码"]).history.first().history_user == colleague
    assert Household.objects.count() == 1


def test_batches_keep_who_when_file_name_hash_and_counts(places, town_officer, run_import):
    content = workbook_bytes(family())
    batch = run_import(town_officer, content, name="陡岩村台账.xlsx")
    assert batch.user == town_officer and batch.file_name == "陡岩村台账.xlsx"
    import hashlib

    assert batch.sha256 == hashlib.sha256(content).hexdigest()
    assert batch.created_at and batch.checked_at and batch.rows == 2


# --- Scope: only villages the user may change -----------------------------------------------


def test_row_for_a_village_outside_the_team_is_a_problem_not_skipped(places, team_member_a, run_import):
    grant_team(team_member_a, places["陡岩村"])
    rows = family() + family(**{"村(社区)": "树林村"})
    batch = run_import(team_member_a, workbook_bytes(rows))
    assert [(r, c) for r, c, _m in problems_of(batch)] == [(4, "村(社区)")]
    assert "无权" in problems_of(batch)[0][2]
    assert batch.households_created == 1


def test_team_cannot_update_a_household_registered_in_another_village(places, town_officer, team_member_a, run_import):
    rows = family(**{"村(社区)": "树林村"})
    run_import(town_officer, workbook_bytes(rows), commit=True)
    grant_team(team_member_a, places["陡岩村"])
    rows = [dict(r, **{"村(社区)": "陡岩村"}) for r in rows]  # try to move it into the team's village
    batch = run_import(team_member_a, workbook_bytes(rows))
    # Outside the team's villages: "registered in the town", no village named (issue 16).
    assert batch.problem_count == 1 and "树林村" not in problems_of(batch)[0][2]
    assert "已在本镇登记" in problems_of(batch)[0][2]


def test_users_without_changeable_villages_cannot_start_an_import(places, inspector, district_officer, run_import):
    for user in (inspector, district_officer):
        with pytest.raises(UploadRefused, match="没有可以导入"):
            run_import(user, workbook_bytes(family()))


def test_a_member_of_another_household_is_not_moved_silently(places, town_officer, run_import):
    first = family()
    run_import(town_officer, workbook_bytes(first), commit=True)
    other = family(spouse_id=first[1]["身份证号码"])
    batch = run_import(town_officer, workbook_bytes(other))
    assert [(r, c) for r, c, _m in problems_of(batch)] == [(3, "身份证号码")]


# --- Guards: size, zip bombs ------------------------------------------------------------------


def test_oversized_file_is_refused_before_reading(places, town_officer):
    big = upload(b"PK" + b"\0" * (20 * 1024 * 1024 + 1))
    with pytest.raises(UploadRefused, match="20 MB"):
        check_upload(big, size=big.size)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_zip_bomb_is_refused_before_openpyxl_opens_it(places, town_officer, run_import):
    bomb = _zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(UploadRefused, match="压缩炸弹"):
        run_import(town_officer, bomb)
    assert ImportBatch.objects.count() == 0


def test_archive_with_too_many_entries_is_refused(places, town_officer, run_import):
    many = _zip({f"xl/worksheets/sheet{i}.xml": b"<x/>" for i in range(600)})
    with pytest.raises(UploadRefused, match="结构异常"):
        run_import(town_officer, many)


def test_non_xlsx_file_is_refused_with_a_save_as_hint(places, town_officer, run_import):
    with pytest.raises(UploadRefused, match=r"另存为 \.xlsx"):
        run_import(town_officer, b"\xd0\xcf\x11\xe0 an old .xls file")


def test_too_many_rows_is_refused(places, town_officer, monkeypatch):
    from households.ledger import importer as ledger_import

    monkeypatch.setattr(ledger_import, "MAX_ROWS", 3)
    with pytest.raises(UploadRefused, match="上限"):
        parse_ledger(BytesIO(workbook_bytes(family() + family())))


# --- The error workbook ------------------------------------------------------------------------


def test_error_workbook_is_the_same_sheet_with_an_explanation_column(places, town_officer, run_import):
    rows = family() + family()
    rows[2]["成员姓名"] = '=HYPERLINK("http://evil.example","点我")'
    rows[2]["户主姓名"] = rows[2]["成员姓名"]
    rows[3]["身份证号码"] = "51200219600315123"
    content = workbook_bytes(rows, title="堪嘉镇低保台账")
    batch = run_import(town_officer, content)
    assert batch.error_file
    with batch.error_file.open("rb") as file:
        ws = load_workbook(BytesIO(file.read())).active
    assert ws.cell(1, 1).value == "堪嘉镇低保台账"
    header = [c.value for c in ws[2]]
    assert header[: len(LEDGER_HEADERS)] == list(LEDGER_HEADERS) and header[-1] == "错误说明"
    assert ws.cell(6, len(header)).value.startswith("身份证号码：身份证号码应为 18 位")
    assert ws.cell(5, len(header)).value is None
    formula_cell = ws.cell(5, LEDGER_HEADERS.index("成员姓名") + 1)
    assert formula_cell.data_type == "s" and formula_cell.value.startswith("=HYPERLINK")


def test_workbook_built_by_a_program_with_numeric_ids_as_int_is_still_rejected(places, town_officer, run_import):
    head = new_id()
    wb = Workbook()
    wb.active.append(list(LEDGER_HEADERS))
    wb.active.append([member_row(head_id=head).get(h) for h in LEDGER_HEADERS])
    wb.active["G2"] = int(head[:-1] + "0") if head[-1] == "X" else int(head)
    out = BytesIO()
    wb.save(out)
    batch = run_import(town_officer, out.getvalue())
    assert any(c == "身份证号码" and "文本" in m for _r, c, m in problems_of(batch))


def test_a_real_formula_cell_is_never_read_as_a_formula(places, town_officer, run_import):
    rows = family()
    content = workbook_bytes(rows)
    wb = load_workbook(BytesIO(content))
    wb.active.cell(3, LEDGER_HEADERS.index("成员姓名") + 1).value = '=HYPERLINK("http://evil.example","x")'
    out = BytesIO()
    wb.save(out)
    batch = run_import(town_officer, out.getvalue())
    # No cached value: the cell reads as empty, and the formula text never reaches the registry.
    assert problems_of(batch) == [(3, "成员姓名", "请填写成员姓名。")]


def _apply_queries(places, user, households: int) -> int:
    """Queries of writing a plan of `households` new two-member households (parse and plan not counted)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from households.ledger.importer import apply_plan, parse_ledger, plan_import

    rows = [row for _ in range(households) for row in family()]
    plan = plan_import(parse_ledger(BytesIO(workbook_bytes(rows))), user=user)
    assert plan.ok, plan.problems
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        apply_plan(plan, user=user)
    return len(queries)


def test_commit_writes_households_members_and_history_in_a_fixed_number_of_queries(places, town_officer):
    # Ten times the households, the same statements: rows and their history rows are written set-based.
    # (20 two-member households stay within one bulk INSERT on SQLite too, whose parameter limit splits larger ones.)
    assert _apply_queries(places, town_officer, 2) == _apply_queries(places, town_officer, 20)


def test_each_imported_row_has_one_creation_history_row_by_the_importer_with_the_head(places, town_officer, run_import):
    rows = family() + family()
    run_import(town_officer, workbook_bytes(rows), commit=True)
    for household in Household.objects.all():
        [created] = household.history.all()
        assert (created.history_type, created.history_user, created.head_id) == ("+", town_officer, household.head_id)
        assert created.head_id is not None and created.base_amount == household.base_amount
    for member in Member.objects.all():
        [created] = member.history.all()
        assert (created.history_type, created.history_user, created.name) == ("+", town_officer, member.name)
