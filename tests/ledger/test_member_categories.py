"""保障类别 per member row once 分类施保 is per person (issue 14): the export writes each member's
category (or nothing), 分类施保金额 stays the household's sum; the import records a 人工认定
category for that member and re-imports its own export unchanged."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from households.ledger.exporter import write_ledger
from households.ledger.importer import LEDGER_GRANT_REASON
from households.models import Category, Household, ImportBatch, Member, MemberCategory
from households.policy import services as policy
from tests.ledger.helpers import member_row, new_id, workbook_bytes
from tests.ledger.test_export import grant_reveal

pytestmark = pytest.mark.django_db


@pytest.fixture
def per_person(places):
    """The fixture's two categories mapped, and a 人工认定 one."""
    town = next(iter(places.values())).town
    criteria = {"age_at_least": None, "age_under": None, "disability_grades": "", "manual": False}
    severe = Category.objects.get(name="一类(特困重病重残)")
    policy.category_map(category=severe, by=None, **{**criteria, "disability_grades": "1,2", "serious_illness": True})
    general = Category.objects.get(name="三类(一般)")
    policy.category_map(category=general, by=None, **criteria, serious_illness=False, nobody=True)
    manual = Category.objects.create(town=town, name="人工认定", extra_amount=Decimal("30"))
    return policy.category_map(category=manual, by=None, **{**criteria, "manual": True}, serious_illness=False)


def test_member_rows_carry_each_members_category_and_reimport_unchanged(places, per_person, town_officer, run_import):
    head, spouse = new_id(), new_id(born=date(1963, 2, 2), male=False)
    common = {"head_id": head, "保障人数": 2, "月保障金额": 400, "分类施保金额": 110}
    rows = [
        member_row(**common, 健康状况="重病", 保障类别="一类(特困重病重残)"),
        member_row(**common, 成员姓名="李芳", 身份证号码=spouse, 与户主关系="配偶", 保障类别="人工认定"),
    ]
    batch = run_import(town_officer, workbook_bytes(rows), commit=True)
    assert batch.status == ImportBatch.Status.COMMITTED, batch.summary["problems"]
    grant = MemberCategory.objects.get()
    assert (grant.member.name, grant.category, grant.reason) == ("李芳", per_person, LEDGER_GRANT_REASON)
    household = Household.objects.get()
    assert household.category is None  # per person now: no household category

    officer = grant_reveal(town_officer)
    out = BytesIO()
    write_ledger(out, user=officer)
    sheet = load_workbook(BytesIO(out.getvalue()))["成员台账"]
    header = [c.value for c in sheet[1]]
    got = {r[header.index("成员姓名")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert got["张大山"][header.index("保障类别")] == "一类(特困重病重残)"
    assert got["李芳"][header.index("保障类别")] == "人工认定"
    assert got["李芳"][header.index("分类施保金额")] == 110  # the household's sum on every row

    history = (Household.history.count(), Member.history.count(), MemberCategory.history.count())
    again = run_import(officer, out.getvalue(), commit=True)
    assert again.status == ImportBatch.Status.COMMITTED, again.summary["problems"]
    assert (again.households_unchanged, again.members_unchanged) == (1, 2)
    assert (Household.history.count(), Member.history.count(), MemberCategory.history.count()) == history


def test_an_unknown_category_on_a_member_row_is_a_problem_in_that_row(places, per_person, town_officer, run_import):
    head = new_id()
    batch = run_import(town_officer, workbook_bytes([member_row(head_id=head, 保障类别="四类")]))
    assert batch.status == ImportBatch.Status.CHECKED
    problems = batch.summary["problems"]
    assert [(p["column"], p["message"]) for p in problems] == [
        ("保障类别", "没有保障类别「四类」，请按系统中的分类施保类别填写。")
    ]
