"""A team member's view of the system in Chromium: their villages only; another village's household is 'not found'."""

import os

import pytest

from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_team_member_sees_only_their_villages(
    browser_login, live_server, team_a, team_b, village_a, village_b, team_member_a, team_member_b, screenshot_dir
):
    HouseholdFactory(village=village_a, head_name="甲村张三")
    foreign = HouseholdFactory(village=village_b, head_name="乙村李四")

    page = browser_login(team_member_a)
    page.get_by_role("link", name="我的小组").click()
    assert page.locator("h1").inner_text() == "我的小组"
    villages = page.get_by_test_id("my-villages").inner_text()
    assert "甲村" in villages and "乙村" not in villages
    households = page.get_by_test_id("my-households").inner_text()
    assert "甲村张三" in households and "乙村李四" not in households
    page.screenshot(path=os.path.join(screenshot_dir, "my-team.png"), full_page=True)

    page.get_by_role("link", name="低保户").first.click()
    body = page.locator("main").inner_text()
    assert "甲村张三" in body and "乙村李四" not in body

    # Typing another village's household URL: the Chinese "not found" page.
    response = page.goto(f"{live_server.url}/households/{foreign.pk}/")
    assert response.status == 404
    assert "页面不存在" in page.title() and "页面不存在" in page.locator("main").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "other-village-404.png"), full_page=True)

    # Control: the same URL is a real page for team B.
    page.get_by_role("button", name="退出登录").click()
    page = browser_login(team_member_b)
    response = page.goto(f"{live_server.url}/households/{foreign.pk}/")
    assert response.status == 200
    assert "乙村李四" in page.locator("main").inner_text()
