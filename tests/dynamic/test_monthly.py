"""月上报 figures against the database's own sums; stored files; 月解剖 picks and findings."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Sum
from django.utils import timezone
from openpyxl import load_workbook

from households.models import Household, ReviewFlag
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.dynamic import monthly
from review.dynamic.services import add_months, month_start
from review.models import Case, DistrictApproval, MonthlyAnalysisItem, MonthlyReport
from review.tasks import monthly_report
from tests.dynamic.conftest import born, district_data, drive
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
THIS_MONTH = month_start(timezone.localdate())


@pytest.fixture
def roll(village_a, village_b):
    for i in range(4):
        HouseholdFactory(
            village=village_a, covered_persons=i + 1, base_amount=Decimal("300.50"), extra_amount=Decimal(i * 10)
        )
    for _ in range(3):
        HouseholdFactory(village=village_b, covered_persons=2, base_amount=Decimal("410.00"))
    HouseholdFactory(village=village_b, status=Household.Status.SUSPENDED, covered_persons=5, base_amount=Decimal("0"))


def direct(village) -> dict:
    return Household.objects.filter(village=village, status="在保").aggregate(
        households=Count("pk"), persons=Sum("covered_persons"), amount=Sum(F("base_amount") + F("extra_amount"))
    )


def test_report_figures_equal_the_registers_own_sums(roll, village_a, village_b, media):
    report = monthly.generate_report(town=village_a.town, month=THIS_MONTH)

    rows = {r["village"]: r for r in report.figures["villages"]}
    for village in (village_a, village_b):
        expected = direct(village)
        row = rows[village.name]
        assert (row["households"], row["persons"], Decimal(row["amount"])) == (
            expected["households"],
            expected["persons"],
            expected["amount"],
        )
    everything = Household.objects.filter(status="在保").aggregate(
        n=Count("pk"), amount=Sum(F("base_amount") + F("extra_amount"))
    )
    assert report.figures["totals"]["households"] == everything["n"] == 7
    assert Decimal(report.figures["totals"]["amount"]) == everything["amount"]


def test_previous_month_comes_from_history_and_the_change_is_shown(roll, village_a, media):
    # The roll existed before last month ended; one household was raised this month.
    Household.history.model.objects.update(history_date=timezone.now() - timedelta(days=70))
    raised = Household.objects.filter(village=village_a).first()
    raised.base_amount += Decimal("100")
    raised.save()

    report = monthly.generate_report(town=village_a.town, month=THIS_MONTH)

    row = next(r for r in report.figures["villages"] if r["village"] == village_a.name)
    assert Decimal(row["amount"]) == direct(village_a)["amount"]
    assert Decimal(row["amount"]) - Decimal(row["prev_amount"]) == Decimal("100")
    assert row["prev_households"] == row["households"] == 4
    assert monthly.table_rows(report.figures)[0][9] == "+100.00"


def test_decisions_of_the_month_are_counted_by_outcome_and_stop_reason(
    campaign, crew, town_officer, district_officer, village_a, media
):
    stopped = HouseholdFactory(village=village_a)
    MemberFactory(household=stopped, born=born(date(1950, 1, 1)))
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = drive(Case.objects.get(household=stopped), "区审批", crew, town=town_officer, district=district_officer)
    case_advance(case=case, action="approve", by=district_officer, data=district_data(outcome="停保", stop_reason=5))
    month = month_start(DistrictApproval.objects.get(case=case).decided_on)

    figures = monthly.figures(town=village_a.town, month=month)

    expected = DistrictApproval.objects.filter(outcome="停保", decided_on__gte=month).count()
    assert figures["totals"]["stopped"] == expected == 1
    assert next(s for s in figures["stops_by_reason"] if s["kind"] == 5)["count"] == 1
    assert sum(s["count"] for s in figures["stops_by_reason"]) == 1


def test_files_are_kept_and_regenerating_replaces_them(roll, village_a, media, django_capture_on_commit_callbacks):
    first = monthly.generate_report(town=village_a.town, month=THIS_MONTH)
    with django_capture_on_commit_callbacks(execute=True):
        again = monthly.generate_report(town=village_a.town, month=THIS_MONTH)

    assert first.pk == again.pk and MonthlyReport.objects.count() == 1
    assert again.history.count() == 2
    assert again.pdf.open("rb").read(4) == b"%PDF"
    book = load_workbook(io.BytesIO(again.xlsx.open("rb").read()), read_only=True)
    rows = list(book["各村汇总"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][1] == 7
    assert len(list(media.rglob("*.pdf"))) == 1  # the first file was removed


def test_beat_task_reports_the_previous_month_once(roll, village_a, media):
    ids = monthly_report.apply().get()
    monthly_report.apply().get()
    report = MonthlyReport.objects.get(pk=ids[0])
    assert report.month == add_months(THIS_MONTH, -1)
    assert MonthlyReport.objects.count() == 1


def test_only_the_town_office_generates_and_teams_do_not_read_town_reports(
    roll, village_a, team_member_a, inspector, district_officer, media
):
    for user in (team_member_a, inspector, district_officer):
        with pytest.raises(PermissionDenied):
            monthly.report_generate(town=village_a.town, month=THIS_MONTH, by=user)
    monthly.generate_report(town=village_a.town, month=THIS_MONTH)
    assert not monthly.reports_visible_to(user=team_member_a).exists()
    assert monthly.reports_visible_to(user=inspector).count() == 1


def test_monthly_analysis_picks_by_rule_and_by_hand_and_records_findings(
    campaign, crew, town_officer, district_officer, village_a, team_member_a
):
    stopped = HouseholdFactory(village=village_a)
    MemberFactory(household=stopped, born=born(date(1950, 1, 1)))
    other = HouseholdFactory(village=village_a)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = drive(Case.objects.get(household=stopped), "区审批", crew, town=town_officer, district=district_officer)
    case_advance(case=case, action="approve", by=district_officer, data=district_data(outcome="停保", stop_reason=8))
    with pytest.raises(PermissionDenied):
        monthly.analysis_open(town=village_a.town, month=THIS_MONTH, by=team_member_a)

    analysis = monthly.analysis_open(town=village_a.town, month=THIS_MONTH, by=town_officer)
    assert monthly.analysis_open(town=village_a.town, month=THIS_MONTH, by=town_officer) == analysis
    assert monthly.analysis_pick_rule(analysis=analysis, source="停保", by=town_officer) == 1
    assert monthly.analysis_pick_rule(analysis=analysis, source="停保", by=town_officer) == 0
    hand = Case.objects.get(household=other)
    monthly.analysis_pick_case(analysis=analysis, case_id=hand.pk, by=town_officer)
    with pytest.raises(ValidationError):
        monthly.analysis_pick_case(analysis=analysis, case_id=hand.pk, by=town_officer)
    item = analysis.items.get(case=case)
    assert item.source == MonthlyAnalysisItem.Source.STOPPED
    monthly.analysis_item_finding(item=item, finding="务工收入核实充分，停保依据充足。", by=town_officer)
    with pytest.raises(ValidationError) as exc:
        monthly.analysis_conclude(analysis=analysis, held_on=None, participants="", findings="x", by=town_officer)
    assert set(exc.value.message_dict) == {"held_on", "participants"}
    monthly.analysis_conclude(
        analysis=analysis,
        held_on=timezone.localdate(),
        participants="民政办全体",
        findings="本月办理规范。",
        by=town_officer,
    )
    analysis.refresh_from_db()
    assert analysis.findings == "本月办理规范。"
    assert analysis.items.count() == 2


# --- 新纳入, 调整 and 停保 columns against the month's decisions ---------------------------------


@pytest.fixture
def crew_b(team_b, team_member_b, town_officer):
    """Village B's team of three, so its cases can be driven too."""
    from review.models import TeamMembership
    from review.teams import services as teams
    from tests.conftest import make_user
    from tests.dynamic.conftest import Crew

    leader = make_user("leader_b", None, full_name="乙组组长")
    village_cadre = make_user("cadre_b", None, full_name="乙村村干部")
    teams.team_add_member(team=team_b, user=leader, role=TeamMembership.Role.LEADER, by=town_officer)
    teams.team_add_member(team=team_b, user=village_cadre, role=TeamMembership.Role.VILLAGE_CADRE, by=town_officer)
    return Crew(team=team_b, leader=leader, cadre=team_member_b, village_cadre=village_cadre)


def _decide(case, crew, town_officer, district_officer, **decision):
    case = drive(case, "区审批", crew, town=town_officer, district=district_officer)
    return case_advance(case=case, action="approve", by=district_officer, data=district_data(**decision))


def _sheet(report, name: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(report.xlsx.open("rb").read()), read_only=True)
    return list(book[name].iter_rows(values_only=True))


def test_new_adjusted_and_stopped_columns_show_the_months_decisions_per_village(
    campaign, crew, crew_b, town_officer, district_officer, village_a, village_b, media
):
    today = timezone.localdate()
    last_month = add_months(THIS_MONTH, -1)
    # (village, crew, kind, decision); "申请" = a missed household's new application found in the campaign.
    plan = [
        (village_a, crew, "申请", {"outcome": "新纳入", "base_amount": Decimal("320.00")}),
        (
            village_a,
            crew,
            "申请",
            {"outcome": "新纳入", "base_amount": Decimal("280.00"), "extra_amount": Decimal("60.00")},
        ),
        (village_a, crew, "复核", {"outcome": "调整", "base_amount": Decimal("350.00")}),
        (village_a, crew, "复核", {"outcome": "维持"}),
        (village_a, crew, "复核", {"outcome": "停保", "stop_reason": 5}),
        # Decided last month: paid from this month, but not one of this month's decisions.
        (village_a, crew, "复核", {"outcome": "调整", "base_amount": Decimal("390.00"), "decided_on": last_month}),
        (village_a, crew, "申请", {"outcome": "新纳入", "base_amount": Decimal("500.00"), "decided_on": last_month}),
        (
            village_b,
            crew_b,
            "申请",
            {"outcome": "新纳入", "base_amount": Decimal("410.00"), "extra_amount": Decimal("40.00")},
        ),
        (village_b, crew_b, "复核", {"outcome": "调整", "base_amount": Decimal("260.00")}),
        (village_b, crew_b, "复核", {"outcome": "调整", "base_amount": Decimal("240.00")}),
        (village_b, crew_b, "复核", {"outcome": "停保", "stop_reason": 8}),
    ]
    households = []
    for village, _, kind, _ in plan:
        status = Household.Status.APPLYING if kind == "申请" else Household.Status.ACTIVE
        household = HouseholdFactory(village=village, status=status, base_amount=Decimal("300.00"))
        MemberFactory(household=household, born=born(date(1950, 1, 1)))
        households.append(household)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    for household, (_, team, kind, decision) in zip(households, plan, strict=True):
        if kind == "申请":
            case = campaigns.application_create(household=household, by=team.cadre, campaign=campaign)
        else:
            case = Case.objects.get(campaign=campaign, household=household)
        _decide(case, team, town_officer, district_officer, **{"decided_on": today, **decision})

    report = monthly.generate_report(town=village_a.town, month=THIS_MONTH)

    def expected(village) -> dict:
        mine = [d for v, _, _, d in plan if v == village and d.get("decided_on", today) >= THIS_MONTH]
        admitted = [d for d in mine if d["outcome"] == "新纳入"]
        return {
            "本月新纳入": len(admitted),
            "本月新纳入金额(元)": sum((d["base_amount"] + d.get("extra_amount", 0) for d in admitted), Decimal("0")),
            "本月调整": sum(d["outcome"] == "调整" for d in mine),
            "本月停保": sum(d["outcome"] == "停保" for d in mine),
        }

    a, b = expected(village_a), expected(village_b)
    assert a == {"本月新纳入": 2, "本月新纳入金额(元)": Decimal("660.00"), "本月调整": 1, "本月停保": 1}
    assert b == {"本月新纳入": 1, "本月新纳入金额(元)": Decimal("450.00"), "本月调整": 2, "本月停保": 1}
    # What the office reads: the Excel file's village table (the page and the PDF show the same rows).
    header, *rows = _sheet(report, "各村汇总")
    assert list(header) == monthly.TABLE_HEADER
    shown = {row[0]: {name: row[header.index(name)] for name in a} for row in rows}
    assert shown[village_a.name] == a
    assert shown[village_b.name] == b
    assert shown["合计"] == {name: a[name] + b[name] for name in a}
    assert [list(r) for r in rows] == monthly.table_rows(report.figures)
    # 停保 by reason is a town-wide table (one row per reason), not split by village.
    reasons = dict(_sheet(report, "停保原因")[1:])
    assert reasons[ReviewFlag.Kind(5).label] == reasons[ReviewFlag.Kind(8).label] == 1
    assert sum(reasons.values()) == 2
    # Last month's report has the two decisions taken then.
    previous = monthly.generate_report(town=village_a.town, month=last_month)
    header, *rows = _sheet(previous, "各村汇总")
    row = next(r for r in rows if r[0] == village_a.name)
    assert [row[header.index(n)] for n in ("本月新纳入", "本月新纳入金额(元)", "本月调整", "本月停保")] == [
        1,
        Decimal("500.00"),
        1,
        0,
    ]
