"""An inspector in Chromium: a household's audit trail with field-level changes, then the near-relative report."""

import os
from decimal import Decimal

import pytest

from review.relatives.services import RelativeIn, declare
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inspector_opens_a_household_trail_and_the_near_relative_report(
    browser_login, live_server, inspector, town_officer, team_member_a, village_a, screenshot_dir
):
    household = HouseholdFactory(village=village_a, head_name="陈老汉")
    member = MemberFactory(household=household, name="陈老汉")
    household.base_amount = Decimal("450.00")
    household._history_user = town_officer
    household.save()
    declare(user=team_member_a, relatives=[RelativeIn("父母", "陈老汉", member.id_number)], by=team_member_a)

    page = browser_login(inspector)
    page.get_by_role("link", name="审计").click()
    assert page.locator("h1").inner_text() == "审计"
    page.fill("#id_household", str(household.pk))
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="查看该户完整审计轨迹").click()
    assert "陈老汉户 的审计轨迹" in page.locator("h1").inner_text()
    entries = page.get_by_test_id("audit-entries").inner_text()
    assert "月保障金(元)" in entries and "300.00" in entries and "450.00" in entries
    assert "测试民政" in entries and "近亲属备案" in entries
    page.screenshot(path=os.path.join(screenshot_dir, "audit-household-trail.png"), full_page=True)

    page.get_by_role("link", name="返回审计时间线").click()
    page.get_by_role("link", name="近亲属备案案件").click()
    report = page.get_by_test_id("anomaly-report").inner_text()
    assert "甲组组员" in report and "陈老汉" in report and "父母" in report
    page.screenshot(path=os.path.join(screenshot_dir, "audit-near-relatives.png"), full_page=True)
    # Read-only: no seal/verify button for the inspector.
    page.get_by_role("link", name="审计时间线").click()
    assert page.get_by_role("button", name="立即封存并校验").count() == 0
