"""In Chromium, as the town office: keep the holiday calendar current, deliver a refusal notice with its
scanned receipt from the worklist, register a complaint and uphold it (a new questioned case opens)."""

import os
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from archives.documents.seed import seed_defaults
from archives.models import ChecklistRequirement, Document, DocumentKind
from households.models import Household
from kanjia import holidays
from kanjia.models import HolidayDay
from review.cases import campaigns
from review.models import Case, Complaint, DecisionNotice
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.test_notices import DECIDED, PDF, decide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_town_office_keeps_its_paperwork(
    browser_login, live_server, crew, village_a, town_officer, district_officer, screenshot_dir, tmp_path
):
    seed_defaults(DocumentKind, ChecklistRequirement)
    household = HouseholdFactory(village=village_a, status=Household.Status.APPLYING, head_name="王申请")
    MemberFactory(household=household, name="王申请")
    case = campaigns.application_create(household=household, by=town_officer)
    refused = decide(
        case, crew, town_officer, district_officer, outcome="不予纳入", decided_on=DECIDED, opinion="人均收入高于标准。"
    )
    page = browser_login(town_officer)

    def shot(name: str) -> None:
        page.screenshot(path=os.path.join(screenshot_dir, f"paperwork-{name}.png"), full_page=True)

    page.set_viewport_size({"width": 1366, "height": 768})
    warning = holidays.missing_year_warning()
    if warning:  # from 1 November, or while this year's arrangement is missing
        assert page.get_by_test_id("calendar-warning").inner_text().startswith(warning[:10])
        page.get_by_test_id("calendar-warning").locator("a").click()
    else:
        page.click("nav >> text=更多")
        page.click("nav >> text=节假日")
    page.wait_for_load_state()

    # The calendar: paste next year's arrangement (a bad line first: nothing is saved, the error says which).
    form = page.get_by_test_id("calendar-form")
    form.locator("#id_year").fill("2027")
    form.locator("#id_source").fill("国务院办公厅关于2027年部分节假日安排的通知")
    form.locator("#id_days").fill("2027-01-01至2027-01-03 休 元旦\n2027-01-04 班 错填")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "本来就是工作日" in page.content() and not HolidayDay.objects.exists()
    page.get_by_test_id("calendar-form").locator("#id_days").fill(
        "2027-01-01至2027-01-03 休 元旦\n2027-02-06至2027-02-12 休 春节\n2027-02-14 班 春节调休上班"
    )
    page.get_by_test_id("calendar-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "已保存 2027 年节假日安排" in page.content()
    assert "镇民政办录入" in page.get_by_test_id("calendar-years").inner_text()
    shot("calendar")

    # The worklist: the refusal notice is overdue (decided 2026-09-30, due 2026-10-10).
    page.goto(f"{live_server.url}/review/worklist/")
    notices = page.get_by_test_id("worklist-notices")
    assert "王申请" in notices.inner_text() and "逾期" in notices.inner_text()
    shot("worklist")
    notices.locator(f"a:has-text('#{refused.pk}')").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("notice-state").inner_text() == "逾期未送达"
    assert "六十日内" in page.get_by_test_id("appeal").inner_text()

    # Print it: the bundled font renders the reasons and the household's remedies.
    response = page.request.get(f"{live_server.url}/review/notices/{refused.decision_notice.pk}/notice.pdf")
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages).replace("\n", "")
    assert "不予纳入决定通知书" in text and "行政复议" in text

    # Record the delivery with the scanned receipt.
    scan = tmp_path / "回证.pdf"
    scan.write_bytes(PDF)
    form = page.get_by_test_id("delivery-form")
    form.locator("#id_delivered_on").fill(date(2026, 10, 12).isoformat())
    form.locator("#id_method").select_option("当面")
    form.locator("#id_recipient").fill("王申请")
    form.locator("#id_scan").set_input_files(str(scan))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("notice-state").inner_text() == "已送达"
    assert "送达回证已归入该户档案袋" in page.content()
    shot("notice-delivered")
    assert Document.objects.filter(household=household, kind__name="决定通知书送达回证").exists()

    # The household contests the refusal: register it from the case page, uphold it.
    page.goto(f"{live_server.url}/review/cases/{refused.pk}/")
    assert "已送达" in page.get_by_test_id("case-decision-notice").inner_text()
    page.get_by_test_id("complaint-new").click()
    page.wait_for_load_state()
    form = page.get_by_test_id("complaint-form")
    form.locator("#id_kind").select_option("复核申请")
    form.locator("#id_complainant").fill("王申请")
    form.locator("#id_content").fill("家中有重病人，医疗支出未扣除。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("complaint-state").inner_text() in ("办理中", "逾期未答复")
    form = page.get_by_test_id("handle-form")
    form.locator("#id_result").select_option("成立")
    form.locator("#id_reply").fill("经核实，医疗支出应予扣除，另案复查。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    shot("complaint-upheld")
    page.get_by_test_id("follow-up").click()
    page.wait_for_load_state()
    follow_up = Complaint.objects.get().follow_up_case
    assert page.url.endswith(f"/review/cases/{follow_up.pk}/")
    assert "有异议" in page.content()
    assert f"原案件#{refused.pk}" in page.get_by_test_id("paperwork").inner_text()
    shot("follow-up-case")
    assert Case.objects.get(pk=refused.pk).status == "办结"
    assert DecisionNotice.objects.get().delivered_on == date(2026, 10, 12)
