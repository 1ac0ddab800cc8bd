"""Journey: a town officer uploads a ledger, sees the problems, fixes the file and commits."""

import os

import pytest

from households.models import Household
from tests.ledger.helpers import member_row, new_id, workbook_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_see_errors_fix_and_commit(browser_login, live_server, places, town_officer, tmp_path, screenshot_dir):
    head, child = new_id(), new_id()
    good = [
        member_row(head_id=head),
        member_row(head_id=head, 成员姓名="张小明", 身份证号码=child, 与户主关系="儿子"),
    ]
    bad = [dict(good[0]), dict(good[1], 身份证号码=child[:-2])]  # a number two digits short
    (tmp_path / "有错的台账.xlsx").write_bytes(workbook_bytes(bad, title="堪嘉镇低保台账"))
    (tmp_path / "改好的台账.xlsx").write_bytes(workbook_bytes(good, title="堪嘉镇低保台账"))

    page = browser_login(town_officer)
    page.goto(f"{live_server.url}/households/ledger/")
    page.click("a:has-text('上传台账（预检）')")
    page.set_input_files("#id_file", str(tmp_path / "有错的台账.xlsx"))
    page.click("button:has-text('上传并预检')")
    page.wait_for_selector("#problem-list")
    problems = page.locator("#problem-list tbody tr")
    assert problems.count() == 1
    assert "4" in problems.first.inner_text() and "身份证号码应为 18 位" in problems.first.inner_text()
    assert page.locator("text=确认导入").count() == 0
    with page.expect_download() as download:
        page.click("a:has-text('下载错误说明')")
    assert download.value.suggested_filename.endswith("_错误说明.xlsx")
    page.screenshot(path=os.path.join(screenshot_dir, "ledger-preview-errors.png"), full_page=True)

    page.click("a:has-text('重新上传')")
    page.set_input_files("#id_file", str(tmp_path / "改好的台账.xlsx"))
    page.click("button:has-text('上传并预检')")
    page.wait_for_selector("#change-list")
    assert "预检通过" in page.locator("#batch-summary").inner_text()
    assert page.locator("#change-list tbody tr").count() == 3  # one household, two members
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=已导入（")
    page.screenshot(path=os.path.join(screenshot_dir, "ledger-committed.png"), full_page=True)
    assert Household.objects.get().members.count() == 2

    page.goto(f"{live_server.url}/households/ledger/")
    rows = page.locator("#batch-list tbody tr")
    assert rows.count() == 2 and "已导入" in rows.first.inner_text()
