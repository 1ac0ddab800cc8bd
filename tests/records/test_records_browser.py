"""Journeys of issue 18, from each person's home page.

The town office files the campaign plan, records one 民主评议 meeting with its
signed minutes, links the two cases it heard, and sees the minutes on both cases
and the campaign's file fill up. The inspector registers a problem clue from an
anomaly report (their one write) and refers it to the town office.
"""

import os

import pytest

from archives.models import Clue, RecordDocument
from review.models import MeetingAppraisal
from tests.archives.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, screenshot_dir: str, name: str) -> None:
    page.screenshot(path=os.path.join(screenshot_dir, f"records_{name}.png"), full_page=True)


def test_town_office_files_the_plan_and_one_appraisal_meetings_minutes_that_show_on_two_cases(
    browser_login, live_server, town_officer, campaign, appraised, held_on, screenshot_dir
):
    page = browser_login(town_officer)
    page.set_viewport_size({"width": 1366, "height": 900})
    # Home → 专项行动 → the campaign.
    page.click("nav >> text=专项行动")
    page.click(f"text={campaign.name}")
    page.wait_for_load_state()
    assert page.locator('[data-testid="file-missing"]').inner_text() == "缺 10 项"
    assert "✗ 工作方案" in page.locator('[data-phase="准备"]').inner_text()

    # The campaign's 综合档案: file the plan.
    page.click('[data-testid="campaign-file-link"]')
    page.wait_for_load_state()
    page.select_option("#id_kind", label="低保工作综合档案：工作方案（准备阶段）")
    page.fill("#id_title", "堪嘉镇城乡低保精准兜底专项提升行动方案")
    page.set_input_files("#id_file", files=[{"name": "行动方案.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#record-upload-form button[type=submit]")
    page.wait_for_load_state()
    assert "KJ-镇综合-01" in page.locator(".alert-success").inner_text()
    assert "✓ 工作方案" in page.locator('[data-phase="准备"]').inner_text()
    assert "堪嘉镇城乡低保精准兜底专项提升行动方案" in page.locator("#record-documents").inner_text()
    shot(page, screenshot_dir, "1_campaign_file_plan")

    # Back to the campaign → its meetings → record the 民主评议 meeting with its minutes.
    page.click("text=专项行动 >> nth=1")
    page.wait_for_load_state()
    page.click("text=全部会议记录")
    page.click('[data-testid="meeting-new"]')
    page.wait_for_load_state()
    page.select_option("#id_kind", "民主评议")
    page.select_option("#id_village", label="甲村")
    page.fill("#id_held_on", held_on.isoformat())
    page.fill("#id_place", "甲村村委会会议室")
    page.fill("#id_chair", "甲村书记")
    page.fill("#id_attendee_count", "12")
    page.fill("#id_attendees", "镇干部1人、村两委2人、党员代表1人、村民代表8人")
    page.set_input_files(
        "#id_minutes", files=[{"name": "甲村民主评议记录(签字).pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click('[data-testid="meeting-form"] button[type=submit]')
    page.wait_for_load_state()
    assert "甲村民主评议记录(签字).pdf" in page.locator('[data-testid="meeting-files"]').inner_text()

    # Link the two cases it heard (same village, same day): offered as checkboxes.
    for case in appraised:
        page.check(f'[data-testid="link-form"] input[value="{case.pk}"]')
    page.click('[data-testid="link-form"] button[type=submit]')
    page.wait_for_load_state()
    assert "已关联 2 件" in page.locator(".alert-success").inner_text()
    shot(page, screenshot_dir, "2_meeting_with_two_cases")
    assert MeetingAppraisal.objects.count() == 2
    minutes = RecordDocument.objects.get(meeting__isnull=False)

    # Each case shows the meeting and its minutes (filed once).
    for n, case in enumerate(appraised, start=1):
        page.click(f'[data-testid="meeting-cases"] a[href="/review/cases/{case.pk}/"]')
        page.wait_for_load_state()
        line = page.locator('[data-testid="appraisal-meeting"]')
        assert "甲村 民主评议" in line.inner_text()
        assert line.locator(f'a[href="/archives/records/documents/{minutes.pk}/download/"]').count() == 1
        line.scroll_into_view_if_needed()
        shot(page, screenshot_dir, f"3_case_{n}_minutes")
        page.go_back()
        page.wait_for_load_state()

    # The campaign page: the plan and the 民主评议 minutes are in its file now.
    page.goto(f"{live_server.url}/review/campaigns/{campaign.pk}/")
    assert page.locator('[data-testid="file-missing"]').inner_text() == "缺 8 项"
    assert "✓ 民主评议会议记录" in page.locator('[data-phase="清理实施"]').inner_text()
    assert "其中 2 件的评议会议已上传会议记录" in page.locator('[data-phase="清理实施"]').inner_text()
    page.locator('[data-testid="campaign-file"]').scroll_into_view_if_needed()
    shot(page, screenshot_dir, "4_campaign_page_file")


def test_inspector_registers_a_clue_from_an_anomaly_report_and_refers_it(
    browser_login, live_server, inspector, village_a, screenshot_dir
):
    page = browser_login(inspector)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("nav >> text=审计")
    page.click('[data-testid="nav-clues"]')
    page.wait_for_load_state()
    assert "没有问题线索" in page.locator('[data-testid="clues"]').inner_text()
    page.click("text=同一人在同一案件中参与两个决策层级")
    page.click('[data-testid="register-clue-top"]')
    page.wait_for_load_state()
    assert page.input_value("#id_source_detail") == "同一人在同一案件中参与两个决策层级"
    page.fill("#id_title", "调查人员参与本案审核")
    page.fill("#id_description", "异常报告显示，有工作人员在同一案件中既入户调查又参与镇审核。")
    shot(page, screenshot_dir, "5_clue_form")
    page.click('[data-testid="clue-save"]')
    page.wait_for_load_state()
    assert page.locator('[data-testid="clue-status"]').inner_text() == "核实中"
    page.fill("#id_note", "请镇民政办核实该案件办理过程并书面答复。")
    page.click('[data-testid="refer-form"] button[type=submit]')
    page.wait_for_load_state()
    assert page.locator('[data-testid="clue-referred"]').is_visible()
    shot(page, screenshot_dir, "6_clue_referred")
    clue = Clue.objects.get()
    assert clue.referred_by == inspector and clue.source == Clue.Source.ANOMALY
