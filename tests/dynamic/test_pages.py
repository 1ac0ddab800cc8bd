"""Pages: who sees and does what, scoping, downloads, no inline styles (CSP)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kanjia.models import AccessLog
from review.cases import campaigns
from review.dynamic import services as dynamic
from review.models import MonthlyReport, PeriodicRecheck, SpotCheck
from tests.dynamic.conftest import elderly_household, working_household
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def due(village_a, village_b, team_a, team_b):
    """One overdue-by-rhythm household in each team's village, with its periodic case."""
    a = working_household(village_a, start=date(2024, 1, 1), head_name="甲村到期户")
    b = working_household(village_b, start=date(2024, 1, 1), head_name="乙村到期户")
    dynamic.run_daily()
    return a, b


def no_inline_style(response) -> None:
    html = response.content.decode()
    assert ' style="' not in html and "<style" not in html


def test_worklist_and_index_show_each_team_its_own_due_rechecks(client, due, team_member_a):
    client.force_login(team_member_a)
    for url in (reverse("review:worklist"), reverse("review:dynamic:index")):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "甲村到期户" in html and "乙村到期户" not in html
        no_inline_style(response)


def test_household_page_is_scoped_and_reports_a_change(client, due, team_member_a, district_officer, inspector):
    a, b = due
    client.force_login(team_member_a)
    assert client.get(reverse("review:dynamic:household", args=[b.pk])).status_code == 404
    assert client.post(reverse("review:dynamic:household_change", args=[b.pk]), {}).status_code == 404
    response = client.post(
        reverse("review:dynamic:household_change", args=[a.pk]), {"detail": "", "occurred_on": TODAY.isoformat()}
    )
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    response = client.post(
        reverse("review:dynamic:household_change", args=[a.pk]),
        {"detail": "女儿外出务工", "occurred_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert a.recheck_triggers.get().detail == "女儿外出务工"
    client.force_login(district_officer)
    assert client.get(reverse("review:dynamic:household", args=[b.pk])).status_code == 200
    assert client.post(reverse("review:dynamic:household_change", args=[b.pk]), {}).status_code == 403
    client.force_login(inspector)
    assert client.post(reverse("review:dynamic:household_change", args=[b.pk]), {}).status_code == 403


def test_run_now_and_rules_are_the_town_offices(client, village_a, town_officer, team_member_a, district_officer):
    elderly_household(village_a)
    client.force_login(district_officer)
    assert client.post(reverse("review:dynamic:run")).status_code == 403
    assert client.post(reverse("review:dynamic:rules"), {"seed": "1"}).status_code == 403
    client.force_login(team_member_a)
    assert client.get(reverse("review:dynamic:rules")).status_code == 403
    client.force_login(town_officer)
    assert client.post(reverse("review:dynamic:rules"), {"seed": "1"}).status_code == 302
    response = client.get(reverse("review:dynamic:rules"))
    assert response.status_code == 200
    no_inline_style(response)
    rule = next(r for r, _ in response.context["rows"] if r.area == "农村")
    data = {f"r{r.pk}-interval_months": r.interval_months for r, _ in response.context["rows"]}
    data.update({f"r{r.pk}-active": "on" for r, _ in response.context["rows"] if r.active or r.pk == rule.pk})
    assert client.post(reverse("review:dynamic:rules"), data).status_code == 302
    rule.refresh_from_db()
    assert rule.active
    assert client.post(reverse("review:dynamic:run")).status_code == 302


def test_run_now_hands_the_daily_job_to_the_worker(
    client, village_a, town_officer, tasks_in_process, django_capture_on_commit_callbacks
):
    """The daily job took 45 s at 100,000 households inside the clerk's request: it is now a task
    (in-process here, as in the embedded mode), and the page says so."""
    household = elderly_household(village_a)
    client.force_login(town_officer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("review:dynamic:run"), follow=True)
    assert "已交后台运行定期核查" in response.content.decode()
    assert not PeriodicRecheck.objects.exists()  # nothing ran inside the request
    assert len(queued) == 1
    queued[0]()
    assert PeriodicRecheck.objects.filter(household=household).exists()


def test_household_detail_shows_the_grace_end_month(client, village_a, town_officer):
    from households.models import Household
    from review.models import Case, GracePeriod

    household = HouseholdFactory(village=village_a, status=Household.Status.SUSPENDED)
    case = Case.objects.create(household=household, kind="复核", status="办结", outcome="停保", stop_reason=8)
    start = dynamic.month_start(TODAY)
    end = dynamic.add_months(start, 5)
    GracePeriod.objects.create(
        household=household,
        case=case,
        start_month=start,
        months=6,
        end_month=end,
        monthly_amount=Decimal("300"),
        created_by=town_officer,
    )
    client.force_login(town_officer)
    html = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert f"至{end.year}年{end.month}月" in html
    assert f"{end.year}年{end.month}月" in client.get(reverse("review:dynamic:graces")).content.decode()


def test_spot_check_pages(client, village_a, village_b, team_a, team_b, town_officer, district_officer, team_member_a):
    for village in (village_a, village_a, village_b):
        HouseholdFactory(village=village)
    campaign = campaigns.campaign_create(name="页面抽查", kind="专项清理", scope_date=TODAY, by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    client.force_login(town_officer)
    assert client.post(reverse("review:dynamic:samples"), {"campaign": campaign.pk}).status_code == 403
    client.force_login(district_officer)
    response = client.post(reverse("review:dynamic:samples"), {"campaign": campaign.pk, "share": "100", "seed": "42"})
    assert response.status_code == 302
    sample = campaign.spot_samples.get()
    assert sample.seed == 42 and sample.checks.count() == 3
    page = client.get(response.url)
    assert "按种子重现结果一致" in page.content.decode()
    no_inline_style(page)
    download = client.get(reverse("review:dynamic:sample_xlsx", args=[sample.pk]))
    assert download.status_code == 200 and AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()
    other = sample.checks.get(household__village=village_b)
    client.force_login(team_member_a)
    assert client.get(reverse("review:dynamic:check", args=[other.pk])).status_code == 404
    mine = client.get(reverse("review:dynamic:sample", args=[sample.pk])).content.decode()
    assert mine.count("/spot-checks/checks/") == 2
    client.force_login(district_officer)
    response = client.post(reverse("review:dynamic:check", args=[other.pk]), {"conclusion": "需整改"})
    assert response.status_code == 400
    assert SpotCheck.objects.get(pk=other.pk).conclusion == ""


def test_summary_page_and_files(client, village_a, town_officer, team_member_b, team_b):
    HouseholdFactory(village=village_a)
    campaign = campaigns.campaign_create(name="总结页面", kind="专项清理", scope_date=TODAY, by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    client.force_login(town_officer)
    response = client.get(reverse("review:dynamic:summary", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 2 and "甲村" in html
    no_inline_style(response)
    for name in ("review:dynamic:summary_xlsx", "review:dynamic:summary_pdf"):
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 200
    client.force_login(team_member_b)
    assert "甲村" not in client.get(reverse("review:dynamic:summary", args=[campaign.pk])).content.decode()


def test_monthly_report_pages(client, village_a, town_officer, team_member_a, district_officer, media):
    HouseholdFactory(village=village_a)
    client.force_login(team_member_a)
    assert client.get(reverse("review:dynamic:reports")).status_code == 403
    client.force_login(district_officer)
    assert client.post(reverse("review:dynamic:reports"), {"month": "2026-01"}).status_code == 403
    client.force_login(town_officer)
    future = dynamic.add_months(TODAY, 2).strftime("%Y-%m")
    response = client.post(reverse("review:dynamic:reports"), {"month": future})
    assert response.status_code == 400 and "不能生成未来月份" in response.content.decode()
    assert client.post(reverse("review:dynamic:reports"), {"month": TODAY.strftime("%Y-%m")}).status_code == 302
    report = MonthlyReport.objects.get()
    client.force_login(district_officer)
    assert client.get(reverse("review:dynamic:report", args=[report.pk])).status_code == 200
    pdf = client.get(reverse("review:dynamic:report_file", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:4] == b"%PDF"
    assert client.get(reverse("review:dynamic:report_file", args=[report.pk, "doc"])).status_code == 404


def test_monthly_analysis_pages(client, village_a, town_officer, inspector):
    client.force_login(town_officer)
    response = client.post(reverse("review:dynamic:analyses"), {"month": TODAY.strftime("%Y-%m")})
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    no_inline_style(page)
    analysis = page.context["analysis"]
    response = client.post(reverse("review:dynamic:analysis_post", args=[analysis.pk, "case"]), {"case_id": 99999})
    assert response.status_code == 400 and "没有找到该案件编号" in response.content.decode()
    client.force_login(inspector)
    assert client.get(reverse("review:dynamic:analysis", args=[analysis.pk])).status_code == 200
    assert client.post(reverse("review:dynamic:analysis_post", args=[analysis.pk, "rule"]), {}).status_code == 403
    assert PeriodicRecheck.objects.count() == 0
