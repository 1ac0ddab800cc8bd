"""In Chromium: the district officer draws a sample for a campaign and records one 听查看访 check."""

import os

import pytest
from django.utils import timezone

from review.cases import campaigns
from review.models import SpotCheck, SpotCheckSample
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_officer_draws_a_sample_and_records_a_check(
    browser_login, live_server, village_a, team_a, town_officer, district_officer, screenshot_dir
):
    for i in range(10):
        HouseholdFactory(village=village_a, head_name=f"抽查户{i}")
    campaign = campaigns.campaign_create(
        name="2026年专项清理", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    page = browser_login(district_officer)

    page.goto(f"{live_server.url}/review/campaigns/{campaign.pk}/")
    page.click("a:has-text('区级抽查')")
    page.wait_for_load_state()
    page.select_option("#id_campaign", str(campaign.pk))
    page.fill("#id_seed", "7")
    page.click("#draw-form button[type=submit]")
    page.wait_for_load_state()

    sample = SpotCheckSample.objects.get()
    assert page.get_by_test_id("seed").inner_text() == "7"
    assert "按种子重现结果一致" in page.content()
    assert page.get_by_test_id("checks").locator("tbody tr").count() == sample.checks.count() == 3  # ceil(30 % × 10)

    page.get_by_test_id("checks").locator("tbody tr").first.locator("td:nth-child(2) a").click()
    page.wait_for_load_state()
    page.fill("#id_heard_report", "镇民政办汇报：该户系因病致贫，经入户调查和民主评议维持。")
    for doc in ("hukou", "id_card", "dibao_card", "archive_bag"):
        page.check(f"#id_doc_{doc}")
    page.fill("#id_documents_note", "户口簿、身份证、低保证与档案袋材料一致，社保卡未带。")
    page.fill("#id_seen_housing", "砖木结构平房两间，屋内陈设简陋")
    page.fill("#id_seen_living", "生活困难")
    page.fill("#id_seen_income", "户主务农，无稳定收入")
    page.fill("#id_neighbours_visited", "邻居王某、李某")
    page.fill("#id_neighbours_said", "反映该户确实困难，无车辆和门市。")
    page.select_option("#id_conclusion", "需整改")
    page.fill("#id_rectification", "补齐社保卡复印件入档")
    page.fill("#id_rectification_due", (timezone.localdate() + timezone.timedelta(days=15)).isoformat())
    page.screenshot(path=os.path.join(screenshot_dir, "spotcheck-record.png"), full_page=True)
    page.click("#check-form button[type=submit]")
    page.wait_for_load_state()

    check = SpotCheck.objects.exclude(conclusion="").get()
    assert (check.conclusion, check.checked_by_id, check.doc_social_security) == ("需整改", district_officer.pk, False)
    results = page.get_by_test_id("results").inner_text()
    assert "需整改" in page.get_by_test_id("checks").inner_text()
    assert "整改中" in page.get_by_test_id("checks").inner_text()
    assert results.splitlines()[1].split()[:3] == ["堪嘉镇", "3", "1"]
    page.screenshot(path=os.path.join(screenshot_dir, "spotcheck-sample.png"), full_page=True)

    # The finding shows in the campaign summary (charts drawn server-side).
    page.goto(f"{live_server.url}/review/dynamic/campaigns/{campaign.pk}/summary/")
    assert page.get_by_test_id("outcome-chart").locator("svg").count() == 1
    assert page.get_by_test_id("summary-villages").locator("tbody tr").count() == 2  # 甲村 + 合计
    page.screenshot(path=os.path.join(screenshot_dir, "campaign-summary.png"), full_page=True)
