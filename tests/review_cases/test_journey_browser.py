"""A whole re-check in Chromium: the team accepts, investigates, appraises and signs;
the town office reviews; the district approves; the household shows its new status."""

import os
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import Household
from review.models import Case, CaseStep, Status
from tests.factories import StandardFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOURCES = ["养老保险", "失业保险", "住房公积金", "车辆", "不动产", "工商", "税务", "其他"]


def test_whole_case_through_the_pages(
    browser_login, live_server, case, crew, town_officer, district_officer, household, screenshot_dir
):
    today = timezone.localdate().isoformat()
    page = None
    # A standard, so that the decisions start from a computation: 张三 alone, no income → 470.00.
    StandardFactory(town=household.village.town, area="农村", monthly_amount=Decimal("470.00"))

    def login(user):
        nonlocal page
        if page is not None:
            page.click("button:has-text('退出登录')")
            page.wait_for_load_state()
        page = browser_login(user)
        return page

    def open_case():
        page.goto(f"{live_server.url}/review/worklist/")
        page.click(f"a:has-text('#{case.pk}')")
        page.wait_for_load_state()

    def press(action):
        page.click(f"button[data-action='{action}']")
        page.wait_for_load_state()

    # 受理 and 入户调查 by the team's 驻村干部.
    login(crew.cadre)
    open_case()
    page.check("#id_promise_signed")
    page.fill("#id_promise_signed_on", today)
    page.check("#id_authorization_signed")
    page.fill("#id_authorization_signed_on", today)
    press("accept")
    assert page.get_by_test_id("case-status").inner_text() == Status.INVESTIGATION

    page.get_by_label(crew.cadre.get_full_name()).check()
    page.get_by_label(crew.village_cadre.get_full_name()).check()
    page.fill("#id_family_present", "张三")
    page.fill("#id_living_conditions", "两间砖房，户主务农，收入已超过原核定水平。")
    for source in SOURCES:
        page.fill(f"#id_check_{source}", today)
    page.select_option("#id_recommended_outcome", "调整")
    page.fill("#id_recommended_amount", "420")
    press("investigate")
    assert page.get_by_test_id("case-status").inner_text() == Status.APPRAISAL

    # 民主评议: villager representatives under 2/3 are refused with a message next to the field.
    page.fill("#id_place", "村委会会议室")
    page.fill("#id_chair", "王书记")
    for field, value in [("town_cadres", 1), ("village_committee", 2), ("party_reps", 2), ("villager_reps", 8)]:
        page.fill(f"#id_{field}", str(value))
    page.fill("#id_votes_agree", "13")
    page.fill("#id_minutes", "经评议，同意调整。")
    page.select_option("#id_result", "同意")
    page.click("button[value='save']")
    page.wait_for_load_state()
    assert "不足参会人数 13 人的三分之二" in page.locator("form[data-testid='stage-form']").inner_text()
    page.fill("#id_party_reps", "1")
    page.fill("#id_votes_agree", "12")
    page.click("button[value='save']")
    page.wait_for_load_state()
    # Saved only: a draft, not yet for signing; its result is submitted with its own button.
    assert page.locator("button[data-action='sign']").count() == 0
    press("appraise")
    press("sign")
    # The other two signatures of the 清理核实登记表; the third hands it in to 镇审核.
    for user in (crew.leader, crew.village_cadre):
        login(user)
        open_case()
        press("sign")
    assert page.get_by_test_id("signatures").inner_text().count("未签字") == 0
    assert page.get_by_test_id("case-status").inner_text() == Status.TOWN_REVIEW
    page.screenshot(path=os.path.join(screenshot_dir, "case-town-review.png"), full_page=True)

    # 镇审核 by the town office.
    login(town_officer)
    open_case()
    page.fill("#id_opinion", "经审核，家庭收入增加，同意调整。")
    page.select_option("#id_proposed_outcome", "调整")
    assert page.input_value("#id_proposed_amount") == "470.00"  # prefilled from the computation
    page.fill("#id_proposed_amount", "420")
    press("town_review")
    # A deviation without a written reason is refused in Chinese; the input stays.
    assert page.get_by_test_id("case-status").inner_text() == Status.TOWN_REVIEW
    assert "须填写特殊情形说明" in page.content() and "计算为 470.00 元" in page.content()
    assert page.input_value("#id_proposed_amount") == "420"
    page.fill("#id_special_reason", "家庭收入增加，经入户核实按 420 元调整。")
    press("town_review")
    assert page.get_by_test_id("case-status").inner_text() == Status.DISTRICT_APPROVAL

    # 区审批 by the district bureau.
    login(district_officer)
    open_case()
    assert page.input_value("#id_base_amount") == "470.00"
    page.select_option("#id_outcome", "调整")
    page.fill("#id_base_amount", "420")
    page.fill("#id_extra_amount", "0")
    page.fill("#id_special_reason", "同意镇审核意见，按 420 元调整。")
    press("approve")
    assert page.get_by_test_id("case-status").inner_text() == Status.DONE
    assert page.get_by_test_id("case-outcome").inner_text() == "调整"
    assert page.get_by_test_id("household-amount").inner_text() == "420.00 元"
    assert page.locator("[data-testid='timeline'] li").count() == 6  # 提交评议结果 is a step of its own
    decided = page.get_by_test_id("district-decided").inner_text()
    assert "420.00" in decided and "按 420 元调整" in decided
    assert "470.00" in page.get_by_test_id("district-computed").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "case-done.png"), full_page=True)

    page.goto(f"{live_server.url}/households/{household.pk}/")
    assert "420" in page.locator("main").inner_text()

    household.refresh_from_db()
    assert (household.status, household.base_amount) == (Household.Status.ACTIVE, Decimal("420.00"))
    assert Case.objects.get(pk=case.pk).status == Status.DONE
    assert CaseStep.objects.filter(case=case).count() == 6  # with 提交评议结果
