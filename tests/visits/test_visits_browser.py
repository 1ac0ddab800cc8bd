"""In Chromium with mobile emulation (360×800): download the visit tasks, go offline (the context
offline AND every request aborted, since `set_offline` does not stop service-worker fetches), fill
two 入户调查 with a photo each, reload offline (the work survives), go online, sync, and find the
drafts and photos on the case pages. A conflict (the case moved on while offline, and the session
expired meanwhile) shows the difference and loses nothing; a second visitor's sync is a conflict.
The phone's store holds no full ID number and logout wipes it only when nothing is unsynced."""

import contextlib
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.signals import request_started
from django.utils import timezone
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from archives.documents.services import document_path
from archives.models import Document
from households.models import Member
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.models import Case, Investigation, VisitSync
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import acceptance_data, investigation_data
from tests.visits.conftest import GPS_MAKER, photo

HERE = Path(__file__).parent
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 360, "height": 800},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36"
    ),
    "locale": "zh-CN",
}

DUMP_JS = (HERE / "idb_dump.js").read_text(encoding="utf-8").split("\n", 1)[1]  # after the comment line
EXPORT_JS = (HERE / "idb_export_key.js").read_text(encoding="utf-8").split("\n", 1)[1]
DATABASES_JS = "async () => (await indexedDB.databases()).map((d) => d.name)"


class ServerRequests:
    """Paths the live server was asked for (request_started fires in the server thread)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        request_started.connect(self.record)

    def record(self, sender, environ=None, **kwargs) -> None:
        self.paths.append((environ or {}).get("PATH_INFO", "?"))

    def close(self) -> None:
        request_started.disconnect(self.record)


@pytest.fixture
def server_requests():
    recorder = ServerRequests()
    yield recorder
    recorder.close()


@pytest.fixture
def two_cases(village_a, crew, town_officer, team_b) -> list[Case]:
    campaign = campaigns.campaign_create(
        name="2026年手机走访", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )
    for head in ("王大山", "李小溪"):
        household = HouseholdFactory(village=village_a, head_name=head, base_amount=Decimal("300.00"))
        MemberFactory(household=household, name=head)
        MemberFactory(household=household, name=f"{head[0]}小宝", relation=Member.Relation.CHILD)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    cases = list(Case.objects.filter(campaign=campaign).order_by("household__head_name"))
    return [case_advance(case=c, action="accept", by=crew.cadre, data=acceptance_data()) for c in cases]


@pytest.fixture
def photo_file(tmp_path) -> str:
    path = tmp_path / "camera.jpg"
    path.write_bytes(photo(size=(2000, 1500)).read())
    return str(path)


def phone_page(browser, live_server, user):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server, user)
    return context, page


def login(page, live_server, user, *, next_url="/review/visits/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    wait_ready(page)


def wait_ready(page):
    page.wait_for_selector("body[data-ready='1']")


WAIT_STATUS = """(exp) => {
    const s = document.querySelector('[data-testid=status]');
    return !!s && Object.entries(exp).every(([k, v]) => s.getAttribute('data-' + k) === String(v));
}"""


def status(page, **expected) -> dict:
    """The phone's counters; with `expected`, first wait (up to 10 s) for them to settle there:
    the counters are recounted from IndexedDB just after the save notice shows."""
    if expected:
        # On a timeout the caller's assertion shows the figures the phone ended on.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(WAIT_STATUS, arg=expected, timeout=10_000)
    s = page.get_by_test_id("status")
    return {k: int(s.get_attribute(f"data-{k}")) for k in ("pending", "failed", "conflict")}


def download(page):
    # A function, not a bare expression: Playwright re-evaluates a bare expression's string on every
    # poll, which the page's CSP (no 'unsafe-eval') refuses whenever the worker is not in control
    # at the first look (microsoft/playwright#7395); a function is evaluated once, then called.
    page.wait_for_function("() => !!navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.get_by_test_id("download").click()
    page.wait_for_selector("[data-testid=notice]:has-text('已下载')")


def go_offline(context):
    context.set_offline(True)
    # set_offline does not stop service-worker fetches: abort everything the page or its worker asks for.
    context.route("**/*", lambda route: route.abort())


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def back_to_list(page):
    if page.locator("#editor:visible").count():
        page.locator("#editor button:has-text('返回列表')").click()


def fill_investigation(page, head: str, *, living: str, photo_path: str | None, colleague: str):
    page.locator(f".task:has-text('{head}') button").click()
    page.wait_for_selector("#visit-form")
    page.locator("#visit-form label", has_text=colleague).locator("input").check()
    page.fill("#f-family_present", f"{head}及其子女")
    page.fill("#f-living_conditions", living)
    page.select_option("#f-recommended_outcome", "维持")
    assert "部门的家庭经济状况核对结果仍在电脑上录入" in page.get_by_test_id("stage-note").inner_text()
    if photo_path:
        page.get_by_test_id("camera").set_input_files(photo_path)
        page.wait_for_selector("[data-testid=photos] img")
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=notice]:has-text('已加密保存在本机')")


def test_two_investigations_offline_survive_a_reload_and_sync_with_photos(
    browser, live_server, two_cases, crew, server_requests, photo_file, screenshot_dir
):
    context, page = phone_page(browser, live_server, crew.cadre)
    download(page)
    assert page.locator(".task").count() == 2
    page.screenshot(path=os.path.join(screenshot_dir, "visits-list.png"))

    go_offline(context)
    server_requests.paths.clear()
    fill_investigation(page, "王大山", living="土坯房两间，屋顶漏雨。", photo_path=photo_file, colleague="甲村村干部")
    fill_investigation(
        page, "李小溪", living="砖房一间，家中无大件电器。", photo_path=photo_file, colleague="甲村村干部"
    )
    assert status(page, pending=2, failed=0, conflict=0) == {"pending": 2, "failed": 0, "conflict": 0}
    page.reload()
    wait_ready(page)
    assert status(page, pending=2, failed=0, conflict=0) == {"pending": 2, "failed": 0, "conflict": 0}
    assert page.locator("[data-testid=form-status]:has-text('已保存，待同步')").count() == 2
    assert page.locator("[data-testid=form-status]:has-text('已同步')").count() == 0
    page.locator(".task:has-text('王大山') button").click()
    assert page.input_value("#f-living_conditions") == "土坯房两间，屋顶漏雨。"
    page.wait_for_selector("[data-testid=photos] img")  # decrypted after the form opens
    assert page.locator("[data-testid=photos] img").count() == 1
    page.screenshot(path=os.path.join(screenshot_dir, "visits-offline-form.png"), full_page=True)
    # What the phone stores: ciphertext only, no full ID number anywhere, a key scripts cannot export.
    raw = page.evaluate(DUMP_JS)
    stored = " ".join(" ".join(rows) for rows in raw.values())
    for member in Member.objects.filter(household__cases__in=two_cases):
        assert member.id_number not in stored
        assert member.id_number[:6] not in stored or member.id_number[6:14] not in stored
    assert "土坯房" not in stored and "王大山" not in stored  # forms and tasks are encrypted
    assert '"extractable":false' in raw["keys"][0] and '"algorithm":"AES-GCM"' in raw["keys"][0]
    assert page.evaluate(EXPORT_JS) == "refused"
    tasks_text = page.evaluate("async () => JSON.stringify(await VisitStore.tasks())")
    assert "王大山" in tasks_text and "********" in tasks_text
    for member in Member.objects.filter(household__cases__in=two_cases):
        assert member.id_number not in tasks_text
    assert server_requests.paths == [], f"the server was asked while offline: {server_requests.paths}"

    go_online(context)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#editor button:has-text('返回列表')").click()
    page.get_by_test_id("sync").click()
    page.wait_for_selector("[data-testid=notice]:has-text('同步完成')")
    assert status(page, pending=0, failed=0, conflict=0) == {"pending": 0, "failed": 0, "conflict": 0}
    assert page.locator("[data-testid=form-status]:has-text('已同步（服务器已保存）')").count() == 2
    page.screenshot(path=os.path.join(screenshot_dir, "visits-synced.png"))

    written = {"王大山": "土坯房两间，屋顶漏雨。", "李小溪": "砖房一间，家中无大件电器。"}
    for case in two_cases:
        living = written[case.household.head_name]
        record = Investigation.objects.get(case=case)
        assert record.living_conditions == living and record.completed_at is None
        assert set(record.investigators.all()) == {crew.cadre, crew.village_cadre}
        document = Document.objects.get(case=case, kind__name="入户调查照片")
        with Image.open(document_path(document)) as image:
            assert max(image.size) <= 1600 and dict(image.getexif()) == {}  # resized on the phone, no EXIF
        assert GPS_MAKER.encode() not in document_path(document).read_bytes()
        page.goto(f"{live_server.url}/review/cases/{case.pk}/")
        assert living in page.content()
        page.goto(f"{live_server.url}/archives/households/{case.household_id}/")
        assert "入户调查照片" in page.content()
    assert VisitSync.objects.filter(result="已采用").count() == 2

    # Nothing unsynced: logging out wipes the phone's store.
    page.goto(f"{live_server.url}/review/visits/")
    wait_ready(page)
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/**")
    assert "kanjia-visits" not in page.evaluate(DATABASES_JS)
    context.close()


def test_conflict_after_session_expiry_shows_the_difference_and_keeps_the_form(
    browser, live_server, two_cases, crew, server_requests, screenshot_dir
):
    case = next(c for c in two_cases if c.household.head_name == "王大山")
    context, page = phone_page(browser, live_server, crew.cadre)
    download(page)
    go_offline(context)
    server_requests.paths.clear()
    fill_investigation(page, "王大山", living="手机上记录的情况", photo_path=None, colleague="甲村村干部")
    assert server_requests.paths == []
    # Meanwhile: the web completes the investigation and the case moves on; the session expires.
    case_advance(
        case=case,
        action="investigate",
        by=crew.cadre,
        data=investigation_data([crew.cadre, crew.village_cadre], living_conditions="网页上记录的情况"),
    )
    Session.objects.all().delete()

    go_online(context)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    back_to_list(page)
    page.get_by_test_id("sync").click()
    page.wait_for_selector("[data-testid=relogin]:visible")
    assert status(page, pending=1)["pending"] == 1  # the expired session lost nothing
    page.get_by_test_id("relogin").click()
    page.fill("#id_username", crew.cadre.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/review/visits/")
    wait_ready(page)
    page.get_by_test_id("sync").click()
    page.wait_for_selector("[data-testid=notice]:has-text('同步完成')")
    assert status(page, pending=0, failed=0, conflict=1) == {"pending": 0, "failed": 0, "conflict": 1}
    assert "民主评议" in page.get_by_test_id("conflict-reason").inner_text()
    page.locator(".task:has-text('王大山') button:has-text('查看差异')").click()
    diff = page.get_by_test_id("diff").inner_text()
    assert "办理环节" in diff and "入户调查" in diff and "民主评议" in diff
    assert "手机上记录的情况" in diff and "网页上记录的情况" in diff
    assert page.get_by_test_id("overwrite").count() == 0  # the case moved on: it cannot be applied
    page.screenshot(path=os.path.join(screenshot_dir, "visits-conflict.png"), full_page=True)
    # Nothing lost on either side.
    assert Investigation.objects.get(case=case).living_conditions == "网页上记录的情况"
    assert VisitSync.objects.get(result="冲突").payload["fields"]["living_conditions"] == "手机上记录的情况"
    # Logging out with an unsynced (conflicting) form keeps it, encrypted.
    page.locator("#conflict button:has-text('返回列表')").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/**")
    assert "kanjia-visits" in page.evaluate(DATABASES_JS)
    login(page, live_server, crew.cadre)
    assert status(page, conflict=1)["conflict"] == 1
    context.close()


def test_second_visitors_sync_of_the_same_household_is_a_conflict(
    browser, live_server, two_cases, crew, second_visitor, photo_file
):
    case = next(c for c in two_cases if c.household.head_name == "王大山")
    first_context, first = phone_page(browser, live_server, crew.cadre)
    second_context, second = phone_page(browser, live_server, second_visitor)
    download(first)
    download(second)
    for context in (first_context, second_context):
        go_offline(context)
    fill_investigation(first, "王大山", living="第一位走访的记录", photo_path=photo_file, colleague="甲村村干部")
    fill_investigation(second, "王大山", living="第二位走访的记录", photo_path=photo_file, colleague="甲村村干部")
    for context, page in ((first_context, first), (second_context, second)):
        go_online(context)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        back_to_list(page)
        page.get_by_test_id("sync").click()
        page.wait_for_selector("[data-testid=notice]:has-text('同步完成')")

    assert status(first) == {"pending": 0, "failed": 0, "conflict": 0}, first.get_by_test_id("list").inner_text()
    assert status(second) == {"pending": 0, "failed": 0, "conflict": 1}
    assert "甲组组员" in second.get_by_test_id("conflict-reason").inner_text()
    second.locator(".task:has-text('王大山') button:has-text('查看差异')").click()
    diff = second.get_by_test_id("diff").inner_text()
    assert "第一位走访的记录" in diff and "第二位走访的记录" in diff
    assert second.get_by_test_id("overwrite").count() == 1  # the person may choose, nothing is decided silently
    assert Investigation.objects.filter(case=case).count() == 1
    assert Investigation.objects.get(case=case).living_conditions == "第一位走访的记录"
    assert Document.objects.filter(case=case, kind__name="入户调查照片").count() == 1
    first_context.close()
    second_context.close()


def test_the_phone_wipes_itself_after_7_days_or_when_the_account_is_locked(browser, live_server, two_cases, crew):
    from axes.models import AccessAttempt

    context, page = phone_page(browser, live_server, crew.cadre)
    download(page)
    fill_investigation(page, "王大山", living="未同步的记录", photo_path=None, colleague="甲村村干部")
    # Seven days without contact: everything goes, unsynced forms included (docs/visits.md).
    page.evaluate("VisitStore.setMeta({lastContact: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString()})")
    page.reload()
    wait_ready(page)
    assert "超过 7 天未与服务器联系" in page.get_by_test_id("notice").inner_text()
    assert status(page, pending=0)["pending"] == 0 and page.evaluate("VisitStore.tasks()") is None
    # The account locked (django-axes): the next time the app is online it wipes itself.
    download(page)
    fill_investigation(page, "王大山", living="未同步的记录", photo_path=None, colleague="甲村村干部")
    AccessAttempt.objects.create(
        username=crew.cadre.username,
        ip_address="10.0.0.9",
        user_agent="x",
        failures_since_start=5,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
    )
    page.reload()
    wait_ready(page)
    assert "账号已被锁定" in page.get_by_test_id("notice").inner_text()
    assert status(page, pending=0)["pending"] == 0 and page.evaluate("VisitStore.tasks()") is None
    context.close()
