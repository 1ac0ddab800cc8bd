"""Roster cross-matching: set-based, flags raised once, names that differ reported, scoped."""

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from households.models import ReviewFlag, Roster, RosterRow
from households.rosters import result_workbook, roster_result, roster_start
from tests.factories import HouseholdFactory, MemberFactory
from tests.ledger.helpers import grant_team, new_id, upload

pytestmark = pytest.mark.django_db


def roster_bytes(
    rows: list[list], header=("序号", "姓名", "身份证号码", "死亡日期", "说明"), title="2021年5月火化名单"
):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells("A1:E1")
    ws.append(list(header))
    for row in rows:
        ws.append(row)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str):
                c.data_type = "s"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def people(places):
    """Two members in 陡岩村, one in 树林村."""
    a = MemberFactory(name="张大山", household=HouseholdFactory(village=places["陡岩村"]), id_number=new_id())
    b = MemberFactory(name="李小花", household=HouseholdFactory(village=places["陡岩村"]), id_number=new_id())
    c = MemberFactory(name="王五", household=HouseholdFactory(village=places["树林村"]), id_number=new_id())
    return a, b, c


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    def run(user, content: bytes, kind=Roster.Kind.DEATH, name="火化名单.xlsx") -> Roster:
        with django_capture_on_commit_callbacks(execute=True):
            roster = roster_start(user=user, kind=kind, upload=upload(content, name))
        roster.refresh_from_db()
        return roster

    return run


def test_matches_raise_the_right_flag_once_and_report_mismatches_and_invalid_rows(town_officer, people, start):
    a, b, c = people
    content = roster_bytes(
        [
            [1, "张大山", a.id_number.lower(), datetime(2021, 3, 2), "火化"],
            [2, "李晓花", b.id_number, "2021-04-01", ""],  # a name that differs: not flagged
            [3, "王五", c.id_number[:6] + " " + c.id_number[6:], None, None],  # spaces in the number
            [4, "赵六", new_id(), None, None],  # not a member
            [5, "钱七", 5.12002196003151e17, None, None],  # a number that lost its digits
            [6, "孙八", "51200219600315123X", None, None],  # bad checksum or length
        ]
    )
    roster = start(town_officer, content)
    assert roster.status == Roster.Status.DONE, roster.error
    assert (roster.rows, roster.matched, roster.mismatched, roster.invalid_rows, roster.flags_raised) == (6, 2, 1, 2, 2)
    flags = ReviewFlag.objects.filter(source=ReviewFlag.Source.ROSTER)
    assert {(f.member, f.kind) for f in flags} == {(a, ReviewFlag.Kind.DECEASED), (c, ReviewFlag.Kind.DECEASED)}
    flag = flags.get(member=a)
    assert flag.source_key == f"roster:{roster.pk}:row:3" and flag.raised_by == town_officer
    assert "2021-03-02" in flag.reason and "第 3 行" in flag.reason
    assert flag.history.get().history_user == town_officer

    result = roster_result(roster, user=town_officer)
    assert result["counts"] == {"matched": 2, "mismatched": 1, "unmatched": 1, "invalid": 2}
    assert [r.member for r in result["mismatched"]] == [b]
    assert {v["member__household__village__name"]: (v["matched"], v["mismatched"]) for v in result["by_village"]} == {
        "陡岩村": (1, 1),
        "树林村": (1, 0),
    }
    invalid = {r.row_number: r.problem for r in result["invalid"]}
    assert "文本" in invalid[7]

    # The same roster again (re-uploaded): nothing new.
    again = start(town_officer, content, name="火化名单(重发).xlsx")
    assert again.same_as_id == roster.pk and again.flags_raised == 0
    assert ReviewFlag.objects.filter(source=ReviewFlag.Source.ROSTER).count() == 2


def test_matching_is_one_statement_whatever_the_roster_size(town_officer, people, start, django_assert_max_num_queries):
    from households.rosters import match_roster

    roster = start(town_officer, roster_bytes([[i, "某人", new_id(), None, None] for i in range(300)]))
    with django_assert_max_num_queries(1):
        match_roster(roster, user=town_officer)


def test_team_matches_only_members_of_its_villages(team_member_a, people, start):
    a, _b, c = people
    grant_team(team_member_a, a.household.village, change=False)
    roster = start(
        team_member_a, roster_bytes([[1, "张大山", a.id_number, None, None], [2, "王五", c.id_number, None, None]])
    )
    assert (roster.matched, roster.flags_raised) == (1, 1)
    assert ReviewFlag.objects.get().member == a
    assert RosterRow.objects.get(row_number=4).member is None  # 王五 lives in a village the team cannot see


def test_each_roster_kind_raises_its_category(town_officer, people, start):
    a, _b, _c = people
    expected = {
        Roster.Kind.PENSION: ReviewFlag.Kind.PENSION,
        Roster.Kind.UNEMPLOYMENT: ReviewFlag.Kind.UNEMPLOYMENT,
        Roster.Kind.PROVIDENT_FUND: ReviewFlag.Kind.PROVIDENT_FUND,
        Roster.Kind.VEHICLE: ReviewFlag.Kind.VEHICLE,
        Roster.Kind.PROPERTY: ReviewFlag.Kind.PROPERTY,
    }
    content = roster_bytes(
        [[1, "张大山", a.id_number, None, None]], header=("序号", "姓名", "身份证号", "日期", "金额")
    )
    for kind, flag_kind in expected.items():
        roster = start(town_officer, content, kind=kind)
        assert roster.flags_raised == 1
        assert ReviewFlag.objects.get(source_key=f"roster:{roster.pk}:row:3").kind == flag_kind


def test_result_workbook_lists_matches_mismatches_unmatched_and_invalid(town_officer, people, start):
    a, b, _c = people
    roster = start(
        town_officer,
        roster_bytes(
            [
                [1, "张大山", a.id_number, date(2021, 3, 2), None],
                [2, "错名", b.id_number, None, None],
                [3, "x", "123", None, None],
            ]
        ),
    )
    wb = load_workbook(BytesIO(result_workbook(roster, user=town_officer)))
    assert wb.sheetnames == ["按村汇总", "比中", "姓名不一致(待人工核对)", "未比中", "身份证号码无效"]
    assert list(wb["按村汇总"].iter_rows(min_row=2, values_only=True)) == [("陡岩村", "1.低保对象已死亡", 1, 1)]
    assert wb["比中"].max_row == 2 and wb["姓名不一致(待人工核对)"].max_row == 2 and wb["身份证号码无效"].max_row == 2
    assert wb["比中"].cell(2, 6).value == a.id_number  # the town office holds the reveal permission


def test_roster_without_id_column_fails_with_a_message(town_officer, people, start):
    roster = start(
        town_officer, roster_bytes([[1, "张大山", "x", None, None]], header=("序号", "姓名", "证号", "日期", "说明"))
    )
    assert roster.status == Roster.Status.FAILED and "身份证号码" in roster.error


def test_inspectors_cannot_match(inspector, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        roster_start(user=inspector, kind=Roster.Kind.DEATH, upload=upload(roster_bytes([])))
