"""A person's first minute: log in with Chromium and see the Chinese dashboard."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_town_officer_logs_in_and_sees_dashboard(browser_login, town_officer, screenshot_dir):
    page = browser_login(town_officer)
    assert page.locator("h1").inner_text() == "工作台"
    nav = page.locator("nav").inner_text()
    for item in ("首页", "低保户", "专项行动", "公示", "档案", "审计"):
        assert item in nav
    path = os.path.join(screenshot_dir, "dashboard.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000


def test_wrong_password_shows_chinese_message(live_server, page, town_officer):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "town_officer")
    page.fill("#id_password", "not-the-Password-1")
    page.click("button[type=submit]")
    assert "请输入一个正确的" in page.locator(".alert-danger").inner_text()


def test_page_loads_nothing_from_outside(browser_login, town_officer, live_server):
    page = browser_login(town_officer)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    page.wait_for_load_state("networkidle")
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested
