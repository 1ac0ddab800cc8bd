"""In Chromium: the town officer opens round 1 for a village, downloads the notice,
records an objection, handles it and closes the round; the case moves on."""

import os
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from publicity.models import Objection, PublicityRound
from review.models import Case, Status
from tests.publicity.conftest import at_appraisal, days_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_round_one_journey(browser_login, live_server, cases, crew, launched, village_a, town_officer, screenshot_dir):
    case = at_appraisal(cases[0], crew)
    page = browser_login(town_officer)
    page.goto(f"{live_server.url}/publicity/")

    # Prepare the draft for 甲村, check it, publish it today (a round cannot be backdated).
    form = page.get_by_test_id("prepare")
    form.locator("#id_campaign").select_option(str(launched.pk))
    form.locator("#id_village").select_option(str(village_a.pk))
    form.locator("#id_number").select_option("1")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("round-status").inner_text() == "草稿"
    assert case.household.head_name in page.get_by_test_id("preview").inner_text()
    page.fill("#id_starts_on", days_ago(10).isoformat())
    page.get_by_test_id("open-round").click()
    page.wait_for_load_state()
    # The date field refuses a day before today (and the server would too): still a draft.
    assert page.locator("#id_starts_on").get_attribute("min") == days_ago(0).isoformat()
    assert page.get_by_test_id("round-status").inner_text() == "草稿"
    page.fill("#id_starts_on", days_ago(0).isoformat())
    page.get_by_test_id("open-round").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("round-status").inner_text() == "公示中"
    assert page.get_by_test_id("close-round").is_disabled()
    # The notice had in fact been posted ten days ago: the office corrects the start, with a reason.
    page.get_by_test_id("correct-toggle").click()
    form = page.get_by_test_id("correct-form")
    form.locator("#id_starts_on").fill(days_ago(10).isoformat())
    form.locator("#id_reason").fill("名单已于该日在村委会公示栏张贴，系统登记晚了十天。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "系统登记晚了十天" in page.get_by_test_id("corrections").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "publicity-round-corrected.png"), full_page=True)

    # Download the notice.
    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    data = open(download_info.value.path(), "rb").read()  # noqa: SIM115 - read once
    text = PdfReader(BytesIO(data)).pages[0].extract_text()
    assert "甲村" in text and "第一榜公示" in text and case.household.head_name in text

    # Record an objection against the household.
    page.get_by_test_id("objection-toggle").click()
    form = page.get_by_test_id("objection-form")
    form.locator("#id_case").select_option(str(case.pk))
    form.locator("#id_channel").select_option("来访")
    form.locator("#id_objector_name").fill("赵六")
    form.locator("#id_content").fill("该户有经营性门面一间。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "该户案件暂停推进" in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "publicity-round-objection.png"), full_page=True)

    # Handle it: not upheld.
    page.get_by_test_id("objections").locator("a:has-text('待处理')").click()
    page.wait_for_load_state()
    page.fill("#id_investigated_on", timezone.localdate().isoformat())
    page.select_option("#id_investigators", label=town_officer.get_full_name() or town_officer.username)
    page.fill("#id_investigation", "入户核实，门面已于2020年转让。")
    page.select_option("#id_result", "不成立")
    page.fill("#id_reply", "经核实，反映情况不属实，已当面答复。")
    page.get_by_test_id("handle-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "无异议" not in page.get_by_test_id("objections").inner_text()
    assert "不成立" in page.get_by_test_id("objections").inner_text()

    # Close the round (confirm dialog).
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("close-round").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("round-status").inner_text() == "已结束"
    assert "公示已结束" in page.content()
    page.screenshot(path=os.path.join(screenshot_dir, "publicity-round-closed.png"), full_page=True)

    assert PublicityRound.objects.get().status == PublicityRound.Status.CLOSED
    assert Objection.objects.get().result == "不成立"
    # Passed: the case waits at 民主评议 for the 登记表 signatures, as the round's list says.
    assert Case.objects.get(pk=case.pk).status == Status.APPRAISAL
    assert "公示期满，待签字上交" in page.content()
