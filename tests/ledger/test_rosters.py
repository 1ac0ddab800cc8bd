"""Roster cross-matching: set-based, flags raised once, names that differ reported, scoped."""

from datetime import date, datetime
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from households.flags import raise_manual_flag
from households.ledger.rosters import result_workbook, roster_flags_raise, roster_result, roster_start
from households.models import ReviewFlag, Roster, RosterRow
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
    from households.ledger.rosters import match_roster

    roster = start(town_officer, roster_bytes([[i, "某人", new_id(), None, None] for i in range(300)]))
    # The user's village ids, then ONE join of all 300 rows.
    with django_assert_max_num_queries(2):
        match_roster(roster, user=town_officer)


def test_team_matches_only_members_of_its_villages(team_member_a, people, start):
    a, _b, c = people
    grant_team(team_member_a, a.household.village, change=False)
    roster = start(
        team_member_a, roster_bytes([[1, "张大山", a.id_number, None, None], [2, "王五", c.id_number, None, None]])
    )
    # A team's roster is a report: only the town office turns matches into flags (issue 16).
    assert (roster.matched, roster.flags_raised, roster.flags_by) == (1, 0, None)
    assert not ReviewFlag.objects.exists()
    assert RosterRow.objects.get(row_number=4).member is None  # 王五 lives in a village the team cannot see


def test_flags_only_where_the_uploader_may_change(town_officer, other_town, people, start):
    """A town officer who also reads a village of another town (a view-only team grant) sees its
    match in the report, but flags are raised only in villages they may change."""
    from django.contrib.auth.models import Group

    from kanjia import roles

    a, _b, _c = people
    far = MemberFactory(name="赵东", household=HouseholdFactory(village=other_town.villages.get()), id_number=new_id())
    town_officer.groups.add(Group.objects.get_or_create(name=roles.VILLAGE_TEAM)[0])
    grant_team(town_officer, far.household.village, change=False)
    roster = start(
        town_officer, roster_bytes([[1, "张大山", a.id_number, None, None], [2, "赵东", far.id_number, None, None]])
    )
    assert (roster.matched, roster.flags_raised) == (2, 1)
    assert RosterRow.objects.get(row_number=4).member == far
    assert [f.member for f in ReviewFlag.objects.all()] == [a]


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


def test_business_and_public_payroll_rosters_raise_their_mapped_flags(town_officer, people, start):
    a, _b, _c = people
    content = roster_bytes(
        [[1, "张大山", a.id_number, None, None]], header=("序号", "姓名", "身份证号码", "日期", "说明")
    )
    for kind, flag_kind, words in (
        (Roster.Kind.BUSINESS, ReviewFlag.Kind.OTHER, "工商登记"),
        (Roster.Kind.PUBLIC_PAYROLL, ReviewFlag.Kind.INCOME, "财政供养人员"),
    ):
        roster = start(town_officer, content, kind=kind)
        assert (roster.status, roster.flags_raised) == (Roster.Status.DONE, 1), roster.error
        flag = ReviewFlag.objects.get(source_key=f"roster:{roster.pk}:row:3")
        assert (flag.kind, flag.member, flag.source) == (flag_kind, a, ReviewFlag.Source.ROSTER)
        assert words in flag.reason


def roster_flags(member) -> list[ReviewFlag]:
    return list(ReviewFlag.objects.filter(member=member, source=ReviewFlag.Source.ROSTER).order_by("pk"))


def test_corrected_roster_reupload_notes_the_open_flag_instead_of_raising_a_second(town_officer, people, start):
    a, b, _c = people
    first = start(town_officer, roster_bytes([[1, "张大山", a.id_number, "2021-03-02", None]]))
    assert first.flags_raised == 1
    # The department sends the roster again with one row added and a corrected date: a new file.
    corrected = roster_bytes(
        [[1, "张大山", a.id_number, "2021-03-05", None], [2, "李小花", b.id_number, "2021-04-01", None]]
    )
    second = start(town_officer, corrected, name="火化名单(更正).xlsx")
    assert second.same_as_id is None and second.flags_raised == 1  # only 李小花 is new
    [flag] = roster_flags(a)
    assert flag.source_key == f"roster:{first.pk}:row:3"
    assert "2021-03-02" in flag.reason and "火化名单(更正).xlsx" in flag.reason and "2021-03-05" in flag.reason
    assert flag.history.count() == 2 and flag.history.first().history_user == town_officer
    assert len(roster_flags(b)) == 1

    # The corrected file once more (same bytes): nothing new, the note is not added twice.
    noted = flag.reason
    again = start(town_officer, corrected, name="火化名单(更正)(1).xlsx")
    assert again.same_as_id == second.pk and again.flags_raised == 0
    assert [f.reason for f in roster_flags(a)] == [noted] and flag.history.count() == 2
    assert ReviewFlag.objects.filter(source=ReviewFlag.Source.ROSTER).count() == 2


def test_person_listed_twice_in_one_roster_gets_one_flag(town_officer, people, start):
    a, _b, _c = people
    content = roster_bytes([[1, "张大山", a.id_number, None, None], [2, "张大山", a.id_number.lower(), None, None]])
    roster = start(town_officer, content)
    assert (roster.matched, roster.flags_raised) == (2, 1)
    [flag] = roster_flags(a)
    assert flag.source_key == f"roster:{roster.pk}:row:3" and "第 4 行" not in flag.reason
    assert start(town_officer, content, name="again.xlsx").flags_raised == 0
    assert len(roster_flags(a)) == 1


def test_another_roster_kind_for_the_same_member_raises_its_own_flag(town_officer, people, start):
    a, _b, _c = people
    content = roster_bytes([[1, "张大山", a.id_number, None, None]])
    start(town_officer, content, kind=Roster.Kind.DEATH)
    pension = start(town_officer, content, kind=Roster.Kind.PENSION)
    assert pension.flags_raised == 1
    assert [f.kind for f in roster_flags(a)] == [ReviewFlag.Kind.DECEASED, ReviewFlag.Kind.PENSION]


def test_disposed_flag_is_not_reraised_by_its_source_but_a_new_roster_raises_a_new_one(town_officer, people, start):
    from households.flags import dispose_flag

    a, _b, _c = people
    content = roster_bytes([[1, "张大山", a.id_number, None, None]])
    start(town_officer, content)
    corrected = roster_bytes([[1, "张大山", a.id_number, None, None], [2, "某人", new_id(), None, None]])
    start(town_officer, corrected, name="更正.xlsx")  # noted on the open flag
    [flag] = roster_flags(a)
    dispose_flag(flag=flag, disposition=ReviewFlag.Disposition.CONFIRMED_OK, note="核实为同名错报", by=town_officer)
    # Both sources already recorded on the disposed flag: re-uploading either raises nothing (as evaluate_flags).
    assert start(town_officer, content, name="a.xlsx").flags_raised == 0
    assert start(town_officer, corrected, name="b.xlsx").flags_raised == 0
    # A roster never seen before is new evidence: a new, open flag.
    third = start(town_officer, roster_bytes([[9, "张大山", a.id_number, None, None]], title="2021年6月火化名单"))
    assert third.flags_raised == 1
    assert [f.disposition for f in roster_flags(a)] == [
        ReviewFlag.Disposition.CONFIRMED_OK,
        ReviewFlag.Disposition.PENDING,
    ]


def test_raising_flags_takes_a_fixed_number_of_queries(
    town_officer, places, start, monkeypatch, django_assert_max_num_queries
):
    from households.ledger import rosters

    members = [
        MemberFactory(name=f"成员{i}", household=HouseholdFactory(village=places["陡岩村"]), id_number=new_id())
        for i in range(30)
    ]
    rows = [[i, m.name, m.id_number, None, None] for i, m in enumerate(members)]
    assert start(town_officer, roster_bytes(rows[:20])).flags_raised == 20
    real = rosters.raise_flags
    monkeypatch.setattr(rosters, "raise_flags", lambda roster, *, user: 0)
    corrected = start(town_officer, roster_bytes(rows + rows[:5], title="更正"))  # 20 to note, 10 new, 5 twice
    with django_assert_max_num_queries(8):
        assert real(corrected, user=town_officer) == 10
    assert ReviewFlag.objects.count() == 30
    assert all("更正" not in f.reason or "编号" in f.reason for f in ReviewFlag.objects.all())
    assert ReviewFlag.objects.filter(reason__contains=f"编号 {corrected.pk}").count() == 20


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


# --- Issue 16, finding 5: the district's roster is a report; only the town office raises flags from
# rosters, under the household page's rule (households.flags.may_raise_flag). ---------------------


def test_district_roster_is_a_report_the_town_office_turns_into_flags(
    client, district_officer, town_officer, people, start
):
    a, _b, c = people
    roster = start(
        district_officer, roster_bytes([[1, "张大山", a.id_number, None, None], [2, "王五", c.id_number, None, None]])
    )
    assert roster.status == Roster.Status.DONE, roster.error
    assert (roster.matched, roster.flags_raised, roster.flags_by) == (2, 0, None)
    assert not ReviewFlag.objects.exists()  # the district raised nothing anywhere

    # The district cannot turn it into flags either, by page or by service.
    client.force_login(district_officer)
    page = client.get(f"/households/ledger/rosters/{roster.pk}/").content.decode()
    assert "尚未登记重点复核标记" in page and "据此登记重点复核标记" not in page
    assert client.post(f"/households/ledger/rosters/{roster.pk}/flags/").status_code == 403
    with pytest.raises(PermissionDenied):
        roster_flags_raise(roster=roster, by=district_officer)
    assert not ReviewFlag.objects.exists()

    # The town office does, once; a second time adds nothing.
    client.force_login(town_officer)
    assert "据此登记重点复核标记" in client.get(f"/households/ledger/rosters/{roster.pk}/").content.decode()
    assert client.post(f"/households/ledger/rosters/{roster.pk}/flags/").status_code == 302
    roster.refresh_from_db()
    assert (roster.flags_raised, roster.flags_by) == (2, town_officer)
    assert {f.member for f in ReviewFlag.objects.all()} == {a, c}
    assert {f.raised_by for f in ReviewFlag.objects.all()} == {town_officer}
    assert roster_flags_raise(roster=roster, by=town_officer) == 0


def test_the_same_rule_as_the_household_page(district_officer, people):
    """The district is refused a flag on the household page's service too: one rule for both ways."""
    a, _b, _c = people
    with pytest.raises(PermissionDenied):
        raise_manual_flag(
            household=a.household, kind=ReviewFlag.Kind.DECEASED, reason="名单显示已死亡", by=district_officer
        )
    assert not ReviewFlag.objects.exists()


def test_flags_are_written_in_the_same_statements_for_3_or_30_members_each_with_its_history_row(
    town_officer, places, start, monkeypatch
):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from households.ledger import rosters

    real = rosters.raise_flags
    monkeypatch.setattr(rosters, "raise_flags", lambda roster, *, user: 0)

    def queries(count: int) -> int:
        members = [
            MemberFactory(name=f"成员{i}", household=HouseholdFactory(village=places["陡岩村"]), id_number=new_id())
            for i in range(count)
        ]
        roster = start(
            town_officer, roster_bytes([[i, m.name, m.id_number, "2021-03-02", None] for i, m in enumerate(members)])
        )
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            assert real(roster, user=town_officer) == count
        return len(captured)

    assert queries(3) == queries(30)
    flags = ReviewFlag.objects.filter(source=ReviewFlag.Source.ROSTER)
    assert flags.count() == 33
    for flag in flags:
        [created] = flag.history.all()
        assert (created.history_type, created.history_user, created.raised_by) == ("+", town_officer, town_officer)
        assert (created.reason, created.member_id, created.household_id) == (
            flag.reason,
            flag.member_id,
            flag.household_id,
        )
        assert flag.reason.startswith("死亡/火化名单显示此人已死亡（成员") and "，日期 2021-03-02）。" in flag.reason
