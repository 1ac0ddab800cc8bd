"""Layout at the office's screens (1366×768 laptops, 1920×1080 monitors), measured in Chromium.

A table is clipped when it is wider than its box (a scroll bar hides its last columns) or runs past
the window; the household member table's last columns, 纳入保障 and 备注, must be in view.
"""

import os
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import HouseholdFactory, MemberFactory, VillageFactory, VillageGroupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1920, 1080)]

# Every table on the page: [id or index, its width, its box's width, its right edge, the window's width].
MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  document.querySelectorAll('table').forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (r.width === 0) return;
    out.push([t.id || String(i), t.scrollWidth, t.parentElement.clientWidth, r.right, vw]);
  });
  return {tables: out, page: [document.documentElement.scrollWidth, vw]};
}"""


def clipped(page) -> list:
    found = page.evaluate(MEASURE)
    bad = [t for t in found["tables"] if t[1] > t[2] + 1 or t[3] > t[4] + 1]
    if found["page"][0] > found["page"][1] + 1:
        bad.append(["page", *found["page"]])
    return bad


@pytest.fixture
def household():
    village = VillageFactory(name="胡石桥村")
    h = HouseholdFactory(village=village, head_name="张长寿", address="胡石桥村3组一个相当长的门牌地址128号")
    head = MemberFactory(household=h, name="张长寿", born=date(1950, 1, 1), illness="慢性病（高血压、糖尿病、冠心病）")
    MemberFactory(household=h, name="李桂兰", born=date(1952, 3, 3), relation="配偶", died_on=date(2026, 7, 11))
    MemberFactory(household=h, name="张小军", born=date(1980, 5, 5), relation="子女", moved_out_on=date(2026, 1, 2))
    h.head = head
    h.base_amount = Decimal("470.00")
    h.save()
    return h


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_member_table_shows_its_last_columns(
    browser_login, town_officer, household, live_server, screenshot_dir, width, height
):
    page = browser_login(town_officer)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/households/{household.pk}/")
    table = page.locator("#members")
    box = page.evaluate(
        "() => { const t = document.getElementById('members'); return [t.scrollWidth, t.parentElement.clientWidth]; }"
    )
    assert box[0] <= box[1] + 1, f"member table {box[0]}px in a {box[1]}px box"
    right = table.bounding_box()["x"] + table.bounding_box()["width"]
    for header in ("纳入保障", "备注"):
        cell = table.locator("th", has_text=header).bounding_box()
        assert cell["width"] > 20 and cell["x"] + cell["width"] <= right + 1, header
    # The death and move-out dates are there, readable.
    text = table.inner_text()
    assert "2026-07-11死亡" in text and "2026-01-02迁出" in text
    assert clipped(page) == []
    page.screenshot(path=os.path.join(screenshot_dir, f"layout-household-{width}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_main_pages_have_no_clipped_tables(browser_login, town_officer, household, live_server, width, height):
    page = browser_login(town_officer)
    page.set_viewport_size({"width": width, "height": height})
    links = page.eval_on_selector_all(
        "nav a.nav-link, nav a.dropdown-item", "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(links) >= 8
    from django.utils import timezone

    from review.dynamic import monthly

    # 月上报's village table has 15 columns: it must wrap its headers, not scroll (the village column squashed).
    report = monthly.generate_report(town=household.village.town, month=timezone.localdate())
    extra = [f"/households/{household.pk}/", f"/households/{household.pk}/edit/", "/households/?paid=off"]
    for path in [*links, *extra, f"/review/dynamic/reports/{report.pk}/"]:
        page.goto(live_server.url + path)
        assert clipped(page) == [], path
        # Menu entries never break inside a word: each is one line high.
        heights = page.eval_on_selector_all("nav a.nav-link", "els => els.map(e => e.getBoundingClientRect().height)")
        # The town office's menu (the longest) is one row: seldom-used entries fold under 更多.
        rows = page.eval_on_selector_all(
            "nav .navbar-nav > li > .nav-link",
            "els => new Set(els.map(e => Math.round(e.getBoundingClientRect().top))).size",
        )
        assert rows == 1, (path, rows)
        assert max(heights) < 48, (path, heights)


def test_group_select_lists_the_chosen_villages_groups(browser_login, town_officer, live_server, screenshot_dir):
    a, b = VillageFactory(name="甲村"), VillageFactory(name="乙村")
    for village in (a, b):
        for number in (1, 2, 3):
            VillageGroupFactory(village=village, number=number)
    page = browser_login(town_officer)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/households/new/")

    def shown() -> list[str]:
        return page.eval_on_selector_all(
            "select[name=group] option[data-village]", "els => els.filter(e => !e.hidden).map(e => e.textContent)"
        )

    assert shown() == []  # no village chosen yet
    page.select_option("select[name=village]", str(b.pk))
    assert shown() == ["乙村 1组", "乙村 2组", "乙村 3组"]
    page.select_option("select[name=group]", label="乙村 2组")
    page.select_option("select[name=village]", str(a.pk))
    assert shown() == ["甲村 1组", "甲村 2组", "甲村 3组"]
    assert page.input_value("select[name=group]") == ""  # the other village's group was cleared
    page.screenshot(path=os.path.join(screenshot_dir, "layout-group-select.png"), full_page=True)


def test_sysadmin_pages_fit_and_are_reachable_from_the_menu(browser_login, sysadmin, live_server, screenshot_dir):
    from tests.conftest import make_user

    clerk = make_user("clerk", None, full_name="李新人")
    page = browser_login(sysadmin)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("nav >> text=账号与角色")
    assert clipped(page) == []
    page.click(f"#accounts a:has-text('{clerk.username}')")
    page.select_option("select[name=role]", "区民政局")
    page.fill("input[name=reason]", "区局借调")
    page.click("[data-testid=role-form] button[type=submit]")
    assert "须由镇民政办另一人确认后生效" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-testid=account-roles]").inner_text() == "无"
    assert clipped(page) == []
    page.screenshot(path=os.path.join(screenshot_dir, "accounts-detail.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1000, 700), (1366, 768), (390, 844)])
def test_a_district_sized_monthly_total_fits_its_card(browser_login, district_officer, width, height, screenshot_dir):
    """At 1,000,000 households the district's monthly total reads like 427,315,860.00: at the
    dashboard's figure size it broke over two lines, or ran out of its card on a phone."""
    for village in (VillageFactory(name="堪嘉村"), VillageFactory(name="丰裕村")):
        HouseholdFactory(village=village, base_amount=Decimal("213657930.00"))
    page = browser_login(district_officer)
    page.set_viewport_size({"width": width, "height": height})
    total = page.locator("[data-stat=monthly_total]")
    assert total.inner_text() == "427,315,860.00"
    scroll, client, lines = total.evaluate(
        "e => [e.scrollWidth, e.clientWidth,"
        " Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight))]"
    )
    assert scroll <= client and lines == 1
    assert not clipped(page)
    page.screenshot(path=os.path.join(screenshot_dir, f"dashboard-district-{width}.png"))
