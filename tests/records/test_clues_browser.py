"""In Chromium: the 区纪委's staff list narrows to the clue's town once it is chosen, and the
register's 组 list still follows its 村 (both use the same filter in static/js/app.js)."""

import os

import pytest
from playwright.sync_api import expect

from tests.factories import VillageFactory, VillageGroupFactory

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


def test_the_registers_group_list_follows_the_village(browser_login, town_officer):
    first, second = VillageFactory(name="陡岩村"), VillageFactory(name="龙井村")
    VillageGroupFactory(village=first, number=3)
    VillageGroupFactory(village=second, number=5)
    page = browser_login(town_officer)
    page.click("nav >> text=低保户")
    group = page.locator("select[name=group]")
    page.select_option("select[name=village]", label="陡岩村")
    assert [t.strip() for t in group.locator("option:not([hidden])").all_inner_texts()] == ["全部组", "陡岩村 3组"]
    group.select_option(label="陡岩村 3组")
    page.select_option("select[name=village]", label="龙井村")
    assert group.input_value() == ""
