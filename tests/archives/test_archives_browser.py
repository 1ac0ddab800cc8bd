"""Journey: a team member files the signed 清理核实登记表 and sees the household's bag become complete."""

import os
from pathlib import Path

import pytest

from archives.documents.services import document_upload
from archives.models import ChecklistRequirement, Document
from tests.archives.conftest import PDF, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_team_member_uploads_the_registration_form_and_the_bag_is_complete(
    browser_login, live_server, team_a, team_member_a, household_a, kinds, screenshot_dir
):
    # The checklist: application and ID copies (already filed) and the signed registration form (missing).
    ChecklistRequirement.objects.all().delete()
    for name in ("申请书", "身份证/户口簿复印件", "清理核实登记表"):
        ChecklistRequirement.objects.create(case_kind="新申请", stage="受理", kind=kinds[name])
    for name in ("申请书", "身份证/户口簿复印件"):
        document_upload(household=household_a, kind=kinds[name], file=upload(f"{name}.pdf", PDF), by=team_member_a)

    page = browser_login(team_member_a)
    page.goto(f"{live_server.url}/households/{household_a.pk}/")
    page.click("#archive-bag-link")
    page.wait_for_load_state()
    assert page.locator("#bag-code").inner_text() == "KJ-甲村-03-0001"
    assert page.locator("#bag-status").inner_text() == "缺 1 项"
    assert "清理核实登记表" in page.locator("#checklist tr.table-warning").inner_text()

    page.select_option("#id_kind", label="清理核实登记表")
    page.set_input_files(
        "#id_file", files=[{"name": "清理核实登记表(已签字).pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.fill("#id_note", "驻村领导、驻村干部、村干部已签字")
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()

    assert page.locator("#bag-status").inner_text() == "资料齐全"
    assert page.locator("#checklist tr.table-warning").count() == 0
    assert "清理核实登记表(已签字).pdf" in page.locator("#documents").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "archives_bag_complete.png"), full_page=True)
    document = Document.objects.get(kind=kinds["清理核实登记表"])
    assert document.uploaded_by == team_member_a and document.household == household_a

    # The download link serves the same bytes.
    with page.expect_download() as download:
        page.click(f"#documents a[href='/archives/documents/{document.pk}/download/']")
    assert Path(download.value.path()).read_bytes() == PDF
