"""Journey: the town officer finds a household by the last 4 digits of an ID number,
adds a member and sees the benefit recomputed."""

import os
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from households import idcard
from households.models import IncomeItem, Member, Rounding
from kanjia.models import AccessLog
from tests.factories import HouseholdFactory, IncomeItemFactory, MemberFactory, StandardFactory, VillageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household():
    village = VillageFactory(name="陡岩村")
    StandardFactory(town=village.town, area="农村", monthly_amount=Decimal("470.00"), rounding=Rounding.FEN)
    h = HouseholdFactory(village=village, area="农村", head_name="王大山")
    head = MemberFactory(household=h, name="王大山", born=date(1952, 8, 8))
    h.head = head
    h.save()
    IncomeItemFactory(household=h, member=head, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("200.00"))
    # Someone else, so that the search has something to tell apart.
    MemberFactory(household=HouseholdFactory(village=village, head_name="李小河"), name="李小河", born=date(1966, 6, 6))
    return h


def steps(page) -> str:
    return page.locator("#benefit-steps").inner_text()


def test_find_by_last_four_digits_add_member_see_benefit(browser_login, town_officer, household, screenshot_dir):
    # Transactional tests flush the migration's grants: give the town office its reveal permission back.
    town_officer.groups.get(name="镇民政办").permissions.add(Permission.objects.get(codename="reveal_id_number"))
    number = household.head.id_number
    page = browser_login(town_officer)
    page.click("nav >> text=低保户")
    page.fill("input[name=q]", number[-4:])
    page.click("button:has-text('查找')")
    rows = page.locator("#household-list tbody tr")
    # The search reloads the list: wait for the filtered page, not the one it replaces.
    expect(rows).to_have_count(1)
    assert number[-4:] not in page.url  # posted, found again by an opaque token (issue 16)
    rows.first.locator("a").click()

    # Masked by default; the benefit shows line by line: (470 − 200) × 1 = 270.
    assert idcard.mask(number) in page.locator("#members").inner_text()
    assert number not in page.content()
    assert "(470.00 − 200.00) × 1 = 270.00" in steps(page)

    # Reveal one number (logged).
    page.click("#members button:has-text('显示')")
    page.wait_for_selector(".id-full")
    assert page.locator(".id-full").inner_text() == number
    assert AccessLog.objects.filter(user=town_officer, action="reveal_id", object_id=str(household.head.pk)).exists()

    # Add the spouse with no income: per capita 100, (470 − 100) × 2 = 740.
    page.click("a:has-text('编辑')")
    page.click("button:has-text('添加成员')")
    spouse = idcard.generate(born=date(1955, 3, 3), male=False)
    page.fill("[name=members-2-name]", "刘秀英")
    page.fill("[name=members-2-id_number]", spouse)
    page.select_option("[name=members-2-relation]", "配偶")
    page.screenshot(path=os.path.join(screenshot_dir, "household-edit.png"), full_page=True)
    page.click("button:has-text('保存')")
    page.wait_for_selector("#benefit-steps")
    assert "已保存" in page.locator(".alert-success").inner_text()
    assert "刘秀英" in page.locator("#members").inner_text()
    assert "(470.00 − 100.00) × 2 = 740.00" in steps(page)
    spouse_row = Member.objects.get(name="刘秀英")
    assert (spouse_row.sex, spouse_row.birth_date) == ("女", date(1955, 3, 3))
    page.screenshot(path=os.path.join(screenshot_dir, "household-detail.png"), full_page=True)

    # The history tab says who added her.
    page.click("a:has-text('修改记录')")
    history = page.locator("#history").inner_text()
    assert "家庭成员 刘秀英" in history and "新增" in history and "测试民政" in history
    assert spouse not in page.content()


def test_bad_id_number_shows_message_next_to_field(browser_login, live_server, town_officer, household):
    page = browser_login(town_officer)
    page.goto(f"{live_server.url}/households/{household.pk}/edit/")
    page.fill("[name=members-1-name]", "王小")
    page.fill("[name=members-1-id_number]", "512002600315001")
    page.click("button:has-text('保存')")
    feedback = page.locator("[name=members-1-id_number] ~ .invalid-feedback")
    assert "15 位旧身份证号码" in feedback.inner_text()
    assert household.members.count() == 1


def test_list_group_filter_follows_the_village_before_any_submit(browser_login, town_officer, household):
    """Issue 17: picking a 村 on the list offers that village's 组 at once (it used to need a submit)."""
    from tests.factories import VillageGroupFactory

    other = VillageFactory(town=household.village.town, name="树林村")
    mine = VillageGroupFactory(village=household.village, number=3)
    VillageGroupFactory(village=other, number=1)
    page = browser_login(town_officer)
    page.click("nav >> text=低保户")
    group = page.locator("select[name=group]")

    def offered() -> list[str]:
        return group.locator("option:not([hidden])").all_inner_texts()

    assert offered() == ["全部组"]  # no village yet: nothing to pick from
    page.select_option("select[name=village]", str(household.village_id))
    assert offered() == ["全部组", "陡岩村 3组"]
    page.select_option("select[name=group]", str(mine.pk))
    page.select_option("select[name=village]", str(other.pk))
    assert offered() == ["全部组", "树林村 1组"]
    assert group.input_value() == ""  # the other village's group is no longer chosen
