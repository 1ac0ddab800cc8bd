"""Campaign summary: figures equal direct counts; charts; Excel with the same tables; scoping."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone
from openpyxl import load_workbook

from publicity.models import Objection, PublicityRound
from review import campaigns, spotchecks, summary
from review.models import Case, DistrictApproval
from review.workflow import case_advance
from tests.dynamic.conftest import born, district_data, drive
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(campaign, crew, town_officer, district_officer, village_a, village_b, team_b):
    """Village A: 2 维持, 1 调整 (300→350), 2 停保 (reasons 5 and 8), 1 open; village B: 2 open cases."""
    households = []
    for i in range(6):
        h = HouseholdFactory(village=village_a, covered_persons=2, base_amount=Decimal("300.00"), head_name=f"甲{i}")
        MemberFactory(household=h, born=born(date(1950, 1, 1)))
        households.append(h)
    for i in range(2):
        HouseholdFactory(village=village_b, covered_persons=3, base_amount=Decimal("500.00"), head_name=f"乙{i}")
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    decisions = [
        {"outcome": "维持"},
        {"outcome": "维持"},
        {"outcome": "调整", "base_amount": Decimal("350.00")},
        {"outcome": "停保", "stop_reason": 5},
        {"outcome": "停保", "stop_reason": 8},
    ]
    for household, decision in zip(households, decisions, strict=False):
        case = drive(
            Case.objects.get(household=household), "区审批", crew, town=town_officer, district=district_officer
        )
        case_advance(case=case, action="approve", by=district_officer, data=district_data(**decision))
    # One objection (upheld) and a spot check with a finding.
    first = Case.objects.get(household=households[0])
    round_ = PublicityRound.objects.create(campaign=campaign, village=village_a, number=1, prepared_by=town_officer)
    Objection.objects.create(
        round=round_,
        case=first,
        received_on=timezone.localdate(),
        channel="电话",
        anonymous=True,
        content="有车",
        registered_by=town_officer,
    )
    campaign.refresh_from_db()  # launched_at was set on the service's own copy
    return campaign


def test_summary_figures_equal_direct_counts(finished, town_officer, village_a, village_b):
    result = summary.campaign_summary(campaign=finished, user=town_officer)

    lines = {line.name: line for line in result["villages"]}
    cases = Case.objects.filter(campaign=finished)
    for village in (village_a, village_b):
        line, mine = lines[village.name], cases.filter(household__village=village)
        assert line.cases == mine.count()
        assert line.rechecked == mine.filter(status="办结").count()
        assert (line.keep, line.adjust, line.stop) == tuple(
            mine.filter(outcome=o).count() for o in ("维持", "调整", "停保")
        )
    a = lines[village_a.name]
    assert (a.keep, a.adjust, a.stop, a.rechecked) == (2, 1, 2, 5)
    assert a.stop_reasons[5] == a.stop_reasons[8] == 1
    assert a.amount_before == Decimal("1800.00")  # 6 × 300 at launch
    decided = DistrictApproval.objects.filter(case__campaign=finished, outcome__in=["维持", "调整"]).aggregate(
        s=Sum(F("base_amount") + F("extra_amount"))
    )["s"]
    assert a.amount_after == decided + Decimal("300.00")  # the open case counts as unchanged
    assert (a.persons_before, a.persons_after) == (12, 8)
    assert (a.objections, a.objections_open) == (1, 1)
    b = lines[village_b.name]
    assert (b.rechecked, b.amount_before, b.amount_after) == (0, Decimal("1000.00"), Decimal("1000.00"))
    assert result["total"].cases == cases.count() == 8
    teams = {line.name: line for line in result["teams"]}
    assert teams["甲组"].keep == 2 and teams["乙组"].cases == 2


def test_spot_check_findings_are_in_the_summary(finished, district_officer, town_officer):
    sample = spotchecks.sample_draw(by=district_officer, campaign=finished, share=Decimal("100"), seed=1)
    result = summary.campaign_summary(campaign=finished, user=town_officer)
    assert result["total"].spot_sampled == sample.checks.count() == 8


def test_team_member_sees_only_their_villages(finished, team_member_b, village_b):
    result = summary.campaign_summary(campaign=finished, user=team_member_b)
    assert [line.name for line in result["villages"]] == [village_b.name]
    assert result["total"].cases == 2


def test_charts_are_svg_without_style_or_script(finished, town_officer):
    result = summary.campaign_summary(campaign=finished, user=town_officer)
    for chart in (result["outcome_chart"], result["amount_chart"]):
        assert chart.startswith("<svg") and "style" not in chart and "<script" not in chart
    assert result["outcome_chart"].count("<rect") >= 4 * 2  # legend + bars
    assert "甲村" in result["outcome_chart"]


def test_excel_has_the_same_tables_and_the_pdf_renders(finished, town_officer):
    result = summary.campaign_summary(campaign=finished, user=town_officer)
    book = load_workbook(io.BytesIO(summary.summary_xlsx(summary=result)), read_only=True)
    rows = list(book["各村(社区)"].iter_rows(values_only=True))
    assert rows[0][:3] == ("村(社区)", "案件数", "已复核户数")
    assert [list(r) for r in rows[1:]] == [line.row() for line in [*result["villages"], result["total"]]]
    assert summary.summary_pdf(summary=result)[:4] == b"%PDF"


def test_summary_takes_a_constant_number_of_queries(finished, town_officer, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        summary.campaign_summary(campaign=finished, user=town_officer)
