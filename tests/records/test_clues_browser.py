"""In Chromium: the 区纪委's staff list narrows to the clue's town once it is chosen (the filter in
static/js/app.js that the 组 lists use: tests/ui/test_layout_browser.py)."""

import os

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_the_clues_town_leaves_that_towns_and_the_districts_people(
    browser_login, district_inspector, district_officer, town_officer, other_town_officer, other_town, screenshot_dir
):
    page = browser_login(district_inspector)
    page.click("nav >> text=审计")
    page.click("text=问题线索")
    page.click("text=登记问题线索")
    staff = page.locator("select[name=staff]")

    def shown() -> list[str]:
        return staff.locator("option:not([hidden])").all_inner_texts()

    # Before a town is chosen everyone is listed; a person picked from the wrong town is unpicked.
    assert any("城东民政" in name for name in shown()) and any("测试民政" in name for name in shown())
    staff.select_option(label=next(name for name in shown() if "测试民政" in name))
    page.select_option("select[name=town]", label="城东镇")
    names = shown()
    assert any("城东民政" in name for name in names) and any("测试区局" in name for name in names)
    assert not any("测试民政" in name for name in names)
    expect(staff.locator('optgroup[label="堪嘉镇"]')).to_be_hidden()
    assert staff.evaluate("s => [...s.selectedOptions].map(o => o.text)") == []
    page.screenshot(path=os.path.join(screenshot_dir, "clue-staff-by-town.png"), full_page=True)

    page.select_option("select[name=town]", label="堪嘉镇")
    names = shown()
    assert any("测试民政" in name for name in names) and not any("城东民政" in name for name in names)
