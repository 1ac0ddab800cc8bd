"""Campaign summary: figures equal direct counts; charts; Excel with the same tables; scoping."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from publicity.models import Objection, PublicityRound
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.dynamic import spotchecks, summary
from review.models import Case, DistrictApproval
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


# --- 新纳入, objection results and overdue cases, from what the test did -------------------------


def _phases(today: date) -> list:
    """清理实施 ended yesterday; 抽查审批 runs for another month."""
    from review.cases.campaigns import PhaseInput

    return [
        PhaseInput("准备", today - timedelta(days=60), today - timedelta(days=41)),
        PhaseInput("清理实施", today - timedelta(days=40), today - timedelta(days=1)),
        PhaseInput("抽查审批", today, today + timedelta(days=30)),
        PhaseInput("总结", today + timedelta(days=31), today + timedelta(days=60)),
    ]


def _objection(round_, case, by, *, result: str | None, name: str = ""):
    from publicity import objections

    objection = objections.objection_register(
        round=round_,
        case=case,
        by=by,
        received_on=max(round_.starts_on, timezone.localdate() - timedelta(days=9)),
        channel="来访",
        content="反映该户家庭收入与登记不符",
        anonymous=not name,
        objector_name=name,
    )
    if result:
        objections.objection_handle(
            objection=objection,
            by=by,
            investigation="入户核实。",
            investigated_on=timezone.localdate(),
            investigators=[by],
            result=result,
            reply="已答复反映人。",
            replied_on=timezone.localdate(),
        )
    return objection


def _sheet_by_name(book, sheet: str) -> dict[str, dict[str, object]]:
    header, *rows = book[sheet].iter_rows(values_only=True)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_new_admissions_objection_results_and_overdue_cases(
    client, crew, team_b, town_officer, district_officer, village_a, village_b
):
    from django.test import override_settings

    from publicity import rounds
    from review.cases.workflow import registration_sign, stage_save
    from tests.review_cases.conftest import appraisal_data

    today = timezone.localdate()
    campaign = campaigns.campaign_create(
        name="限期清理", kind="专项清理", scope_date=today, by=town_officer, phases=_phases(today)
    )

    def recipient(village, name):
        household = HouseholdFactory(village=village, head_name=name, base_amount=Decimal("300.00"))
        MemberFactory(household=household, born=born(date(1950, 1, 1)))
        return household

    def applicant(village, name):
        return HouseholdFactory(village=village, head_name=name, status="申请中", base_amount=Decimal("0"))

    names_a = ("维持户", "异议成立户", "异议不成立户", "镇审核户", "区审批户", "未受理户")
    held = {name: recipient(village_a, name) for name in names_a}
    for name in ("乙一", "乙二"):
        recipient(village_b, name)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = {name: Case.objects.get(campaign=campaign, household=h) for name, h in held.items()}
    visit = {"home_visit_on": today, "home_visit_note": "入户核查属实。"}

    # 第一榜: one objection upheld (the case goes back to 入户调查), two found 不成立 on another case.
    for name in ("异议成立户", "异议不成立户"):
        case[name] = drive(case[name], "民主评议", crew)
        stage_save(case=case[name], by=crew.cadre, data=appraisal_data())
        case[name] = case_advance(case=case[name], action="appraise", by=crew.cadre)
    from tests.e2e_helpers import travel_back

    with travel_back(10):
        draft = rounds.round_prepare(campaign=campaign, village=village_a, number=1, by=town_officer)
        first = rounds.round_open(round=draft, by=town_officer, starts_on=timezone.localdate())
    _objection(first, case["异议成立户"], town_officer, result="成立")
    _objection(first, case["异议不成立户"], town_officer, result="不成立", name="张某")
    _objection(first, case["异议不成立户"], town_officer, result="不成立")
    with override_settings(PUBLICITY_ENFORCE_ROUNDS=True):
        closed = rounds.round_close(round=first, by=town_officer)
    assert (closed.returned, closed.passed) == (1, 1)
    case = {name: Case.objects.get(pk=c.pk) for name, c in case.items()}
    assert (case["异议成立户"].status, case["异议不成立户"].status) == ("入户调查", "民主评议")
    # Passed: the 登记表 is signed now, and the third signature hands it in to 镇审核.
    for member in crew.all:
        signed = registration_sign(case=case["异议不成立户"], by=member)
    case["异议不成立户"] = signed.case
    assert case["异议不成立户"].status == "镇审核"

    # Decisions: 维持; 调整 after the rejected objections; two missed households admitted (新纳入),
    # one refused; a household admitted outside the campaign does not belong to its summary.
    drive(case["维持户"], "办结", crew, town=town_officer, district=district_officer)
    adjusted = drive(case["异议不成立户"], "区审批", crew, town=town_officer, district=district_officer)
    data = district_data(outcome="调整", base_amount=Decimal("360.00"), **visit)
    case_advance(case=adjusted, action="approve", by=district_officer, data=data)
    admitted = {
        "新纳入一": district_data(outcome="新纳入", base_amount=Decimal("320.00")),
        "新纳入二": district_data(outcome="新纳入", base_amount=Decimal("280.00"), extra_amount=Decimal("40.00")),
        "不予纳入户": district_data(outcome="不予纳入"),
    }
    for name, decision in admitted.items():
        application = campaigns.application_create(
            household=applicant(village_a, name), by=crew.cadre, campaign=campaign
        )
        application = drive(application, "区审批", crew, town=town_officer, district=district_officer)
        case_advance(case=application, action="approve", by=district_officer, data=decision)
    elsewhere = campaigns.application_create(household=applicant(village_a, "行动外申请"), by=crew.cadre)
    drive(elsewhere, "办结", crew, town=town_officer, district=district_officer)
    # Open cases: two with the town or the district (within 抽查审批), one never accepted, and in
    # village B two re-checks and a missed household's application not yet accepted.
    drive(case["镇审核户"], "镇审核", crew, town=town_officer)
    drive(case["区审批户"], "区审批", crew, town=town_officer)
    campaigns.application_create(household=applicant(village_b, "乙申请"), by=town_officer, campaign=campaign)

    # 第三榜 (long-term board): an objection to the 维持 case, not yet handled.
    draft = rounds.round_prepare(campaign=campaign, village=village_a, number=3, by=town_officer)
    board = rounds.round_open(round=draft, by=town_officer, starts_on=today)
    _objection(board, case["维持户"], town_officer, result=None, name="王某")

    # The figures the test set up: 清理实施 ended yesterday, so every case still in the team's
    # hands (受理, 入户调查) is overdue; 镇审核 and 区审批 are within 抽查审批.
    expected = {
        village_a.name: {
            "新纳入": 2,
            "异议": 4,
            "异议成立": 1,
            "异议不成立": 2,
            "异议未处理": 1,
            "逾期案件": 2,  # 异议成立户 (back to 入户调查) and 未受理户
        },
        village_b.name: {"新纳入": 0, "异议": 0, "异议成立": 0, "异议不成立": 0, "异议未处理": 0, "逾期案件": 3},
    }
    expected["合计"] = {k: expected[village_a.name][k] + expected[village_b.name][k] for k in expected[village_a.name]}

    # What the office reads: the summary page's headline figures and the Excel download
    # (the page's and the PDF's tables are built from the same lines).
    client.force_login(town_officer)
    page = client.get(reverse("review:dynamic:summary", args=[campaign.pk])).content.decode()
    assert f'data-stat="admit">{expected["合计"]["新纳入"]}<' in page
    assert f'data-stat="overdue">{expected["合计"]["逾期案件"]}<' in page
    # The page's village table shows every objection result, 不成立 included.
    assert '<th class="num">成立</th><th class="num">不成立</th><th class="num">未处理</th>' in page
    a = expected[village_a.name]
    cells = "".join(f'<td class="num">{a[k]}</td>' for k in ("异议", "异议成立", "异议不成立", "异议未处理"))
    assert cells in page
    download = client.get(reverse("review:dynamic:summary_xlsx", args=[campaign.pk]))
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content) if download.streaming else download.content))
    villages = _sheet_by_name(book, "各村(社区)")
    for name, figures in expected.items():
        assert {k: villages[name][k] for k in figures} == figures, name
    teams = _sheet_by_name(book, "各清理小组")
    assert {k: teams["甲组"][k] for k in expected[village_a.name]} == expected[village_a.name]
    assert {k: teams["乙组"][k] for k in expected[village_b.name]} == expected[village_b.name]
    # The application outside the campaign is not one of its cases; the refused one is not 新纳入.
    assert villages["合计"]["案件数"] == len(names_a) + len(admitted) + 2 + 1


def test_charts_are_in_the_pdf(finished, town_officer):
    result = summary.campaign_summary(campaign=finished, user=town_officer)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(summary.summary_pdf(summary=result))).pages)
    for word in ("已办结户数", "月保障金（元）", "清理前", "清理后", "维持"):
        assert word in text, word
