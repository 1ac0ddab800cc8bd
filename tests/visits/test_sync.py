"""The phone's endpoints: download (scope, no full ID numbers), sync (same validation as the web,
all or nothing, photos without metadata), conflicts, CSRF, the access log and the wipe signal."""

import json
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from PIL import Image

from archives.documents.services import document_path
from archives.models import Document
from households.models import ReviewFlag
from kanjia.models import AccessLog
from review.cases.workflow import case_advance
from review.models import Case, Investigation, SpotCheck, VisitSync
from tests.review_cases.conftest import investigation_data
from tests.visits.conftest import GPS_MAKER, check_fields, investigation_fields, photo

pytestmark = pytest.mark.django_db
ID = re.compile(r"\d{17}[\dX]")


def inv_key(case) -> str:
    return f"inv-{case.pk}"


# --- Download ------------------------------------------------------------------------------------


def test_team_member_downloads_their_open_investigations_without_full_id_or_bank_numbers(
    visit_case, crew, phone_for, team_member_b
):
    data = phone_for(crew.cadre).download()

    assert [t["case"] for t in data["investigations"]] == [visit_case.pk]
    task = data["investigations"][0]
    assert task["household"]["head_name"] == "王大山"
    text = json.dumps(data, ensure_ascii=False)
    for member in visit_case.household.members.all():
        assert member.id_number not in text
        assert member.id_number[:6] + "********" + member.id_number[-4:] in text  # masked
    assert ID.search(text) is None
    assert "6228480000123456789" not in text and "bank" not in text
    assert "document" not in text.lower()
    log = AccessLog.objects.get(action=AccessLog.Action.VISIT_DOWNLOAD)
    assert "device-0001" in log.detail and log.user == crew.cadre
    # Team B's member gets nothing of village A.
    assert phone_for(team_member_b).download()["investigations"] == []


def test_district_downloads_the_spot_checks_drawn_for_them_and_reassignment_moves_them(
    spot_check, district_officer, phone_for, town_officer
):
    from kanjia import roles
    from review.dynamic import spotchecks
    from tests.conftest import make_user

    assert spot_check.assignee == district_officer
    assert [t["check"] for t in phone_for(district_officer).download()["spot_checks"]] == [spot_check.pk]
    colleague = make_user("district_2", roles.DISTRICT, full_name="区局二")
    spotchecks.check_assign(check=spot_check, assignee=colleague, by=district_officer)
    assert phone_for(district_officer).download()["spot_checks"] == []
    assert [t["check"] for t in phone_for(colleague, "device-0002").download()["spot_checks"]] == [spot_check.pk]
    assert phone_for(town_officer).client.post("/review/visits/download/", {"device": "device-0003"}).status_code == 403


# --- Sync: applied --------------------------------------------------------------------------------


def test_sync_saves_the_draft_disposes_flags_and_files_photos_without_metadata(
    visit_case, crew, phone_for, pending_flag
):
    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    fields = investigation_fields(
        [crew.cadre, crew.village_cadre],
        item_5="1",
        item_5_note="有一辆旧三轮车",
        **{f"flag_{pending_flag.pk}_disposition": "核实无误", f"flag_{pending_flag.pk}_note": "货车系邻居所有"},
    )
    saved_at = (timezone.now() - timedelta(hours=3)).isoformat()

    response = phone.sync(
        kind="入户调查",
        target=visit_case.pk,
        token=task["token"],
        fields=fields,
        photos=[photo(), photo("b.jpg")],
        saved_at=saved_at,
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["applied"] is True
    record = Investigation.objects.get(case=visit_case)
    assert record.completed_at is None  # a draft: the stage completes on the web
    assert record.economic_checks.count() == 0
    assert set(record.investigators.all()) == {crew.cadre, crew.village_cadre}
    assert record.items.get(kind=5).note == "有一辆旧三轮车"
    assert Case.objects.get(pk=visit_case.pk).status == Case.Status.INVESTIGATION
    pending_flag.refresh_from_db()
    assert pending_flag.disposition == "核实无误" and pending_flag.disposed_by == crew.cadre
    documents = Document.objects.filter(household=visit_case.household, kind__name="入户调查照片")
    assert documents.count() == 2
    for document in documents:
        raw = document_path(document).read_bytes()
        assert GPS_MAKER.encode() not in raw
        with Image.open(document_path(document)) as image:
            assert dict(image.getexif()) == {}
        assert document.case_id == visit_case.pk
    sync = VisitSync.objects.get()
    assert sync.result == "已采用" and sync.photos == 2 and sync.device.device_id == "device-0001"
    log = AccessLog.objects.get(action=AccessLog.Action.VISIT_SYNC)
    assert "device-0001" in log.detail and saved_at[:19] in log.detail and "已采用" in log.detail
    # The case page shows the draft and the photos.
    page = phone.client.get(f"/review/cases/{visit_case.pk}/").content.decode()
    assert "土坯房两间" in page
    bag = phone.client.get(f"/archives/households/{visit_case.household_id}/").content.decode()
    assert bag.count("入户调查照片") >= 2


def test_a_form_resent_after_a_lost_answer_is_applied_once(visit_case, crew, phone_for):
    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    fields = investigation_fields([crew.cadre, crew.village_cadre])
    first = phone.sync(kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields, photos=[photo()])
    again = phone.sync(kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields, photos=[photo()])

    assert first.json()["applied"] and again.json()["applied"]
    assert Document.objects.filter(kind__name="入户调查照片").count() == 1
    assert VisitSync.objects.filter(result="已采用").count() == 1


# --- Sync: refused -------------------------------------------------------------------------------


def test_invalid_form_comes_back_with_chinese_reasons_and_nothing_is_half_applied(
    visit_case, crew, phone_for, pending_flag
):
    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    fields = investigation_fields(
        [crew.cadre],  # one investigator only
        item_3="1",  # abnormal without a note
        **{f"flag_{pending_flag.pk}_disposition": "核实无误", f"flag_{pending_flag.pk}_note": "已核实"},
    )
    response = phone.sync(kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields, photos=[photo()])

    body = response.json()
    assert response.status_code == 200 and body["result"] == "未通过" and not body["applied"]
    assert "至少两名调查人员" in " ".join(body["errors"]["investigators"])
    assert "请说明情况" in " ".join(body["errors"]["item_3"])
    assert not Investigation.objects.filter(case=visit_case).exists()
    assert not Document.objects.exists()
    pending_flag.refresh_from_db()
    assert pending_flag.disposition == ReviewFlag.Disposition.PENDING  # rolled back with the form
    assert VisitSync.objects.get().result == "未通过"


def test_a_bad_photo_refuses_the_whole_form(visit_case, crew, phone_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    fake = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff<html>not a photo</html>", content_type="image/jpeg")
    response = phone.sync(
        kind="入户调查",
        target=visit_case.pk,
        token=task["token"],
        fields=investigation_fields([crew.cadre, crew.village_cadre]),
        photos=[photo(), fake],
    )
    assert response.json()["result"] == "未通过"
    assert "第2张照片" in response.json()["errors"]["photos"][0]
    assert not Investigation.objects.exists() and not Document.objects.exists()


def test_sync_enforces_csrf(visit_case, crew, phone_for):
    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(crew.cadre)
    phone.client = strict
    fields = investigation_fields([crew.cadre, crew.village_cadre])

    refused = phone.sync(kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields)
    assert refused.status_code == 403
    assert not Investigation.objects.exists()
    csrf = strict.get("/review/visits/session/").json()["csrf"]
    accepted = phone.sync(kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields, csrf=csrf)
    assert accepted.status_code == 200 and accepted.json()["applied"]


def test_sync_enforces_scope(visit_case, crew, phone_for, team_member_b, district_officer, inspector, town_officer):
    token = phone_for(crew.cadre).download()["investigations"][0]["token"]
    fields = investigation_fields([crew.cadre, crew.village_cadre])
    # Team B cannot see village A: 404, nothing recorded.
    b = phone_for(team_member_b, "device-b")
    b.download()
    assert b.sync(kind="入户调查", target=visit_case.pk, token=token, fields=fields).status_code == 404
    # The district sees it but does not investigate: 403.
    d = phone_for(district_officer, "device-d")
    d.download()
    refused = d.sync(kind="入户调查", target=visit_case.pk, token=token, fields=fields)
    assert refused.status_code == 403 and "清理小组" in refused.json()["reason"]
    # The inspector reads only; anonymous gets 401 (the phone keeps its forms and asks to log in).
    i = Client()
    i.force_login(inspector)
    assert i.post("/review/visits/sync/", {"form": "{}"}).status_code == 403
    assert Client().post("/review/visits/sync/", {"form": "{}"}).status_code == 401
    # Without a download (no device token) nothing is applied.
    t = Client()
    t.force_login(crew.cadre)
    form = {"kind": "入户调查", "target": visit_case.pk, "token": token, "fields": fields, "saved_at": "x"}
    assert t.post("/review/visits/sync/", {"form": json.dumps(form)}).status_code == 400
    assert not Investigation.objects.exists()


# --- Conflicts -----------------------------------------------------------------------------------


def test_case_moved_on_while_offline_is_a_conflict_that_loses_nothing(visit_case, crew, phone_for):
    phone = phone_for(crew.cadre)
    task = phone.download()["investigations"][0]
    # Meanwhile the web completes the investigation and the case moves on.
    case_advance(
        case=visit_case,
        action="investigate",
        by=crew.cadre,
        data=investigation_data([crew.cadre, crew.village_cadre], living_conditions="网页上填写的情况"),
    )
    fields = investigation_fields([crew.cadre, crew.village_cadre])
    body = phone.sync(
        kind="入户调查", target=visit_case.pk, token=task["token"], fields=fields, photos=[photo()]
    ).json()

    assert body["result"] == "冲突" and "民主评议" in body["reason"]
    assert body["server"]["status"] == "民主评议" and body["server"]["can_overwrite"] is False
    assert body["server"]["form"]["living_conditions"] == "网页上填写的情况"
    assert Investigation.objects.get(case=visit_case).living_conditions == "网页上填写的情况"
    assert not Document.objects.exists()
    kept = VisitSync.objects.get(result="冲突")
    assert kept.payload["fields"]["living_conditions"] == fields["living_conditions"]  # the phone's copy, on the server
    # ... and the case page shows it, so the office can act on it.
    page = phone.client.get(f"/review/cases/{visit_case.pk}/").content.decode()
    assert "手机走访同步" in page and fields["living_conditions"] in page and "冲突" in page


def test_second_visitor_is_a_conflict_never_a_second_record(visit_case, crew, second_visitor, phone_for):
    first, second = phone_for(crew.cadre, "device-one"), phone_for(second_visitor, "device-two")
    token_first = first.download()["investigations"][0]["token"]
    token_second = second.download()["investigations"][0]["token"]
    fields_first = investigation_fields([crew.cadre, crew.village_cadre], living_conditions="第一位的记录")
    fields_second = investigation_fields([second_visitor, crew.village_cadre], living_conditions="第二位的记录")

    assert first.sync(kind="入户调查", target=visit_case.pk, token=token_first, fields=fields_first).json()["applied"]
    body = second.sync(
        kind="入户调查", target=visit_case.pk, token=token_second, fields=fields_second, client_id="other"
    ).json()

    assert body["result"] == "冲突" and "甲组" in body["reason"]
    assert body["server"]["form"]["living_conditions"] == "第一位的记录" and body["server"]["can_overwrite"]
    assert Investigation.objects.filter(case=visit_case).count() == 1
    assert Investigation.objects.get(case=visit_case).living_conditions == "第一位的记录"
    # The second visitor, having seen the difference, may choose to overwrite with the server's token.
    again = second.sync(
        kind="入户调查", target=visit_case.pk, token=body["token"], fields=fields_second, client_id="other"
    ).json()
    assert again["applied"]
    assert Investigation.objects.get(case=visit_case).living_conditions == "第二位的记录"
    assert Investigation.objects.count() == 1


def test_edited_on_the_web_since_download_is_a_conflict(visit_case, crew, phone_for, town_officer):
    from review.cases.workflow import stage_save

    phone = phone_for(crew.cadre)
    token = phone.download()["investigations"][0]["token"]
    stage_save(case=visit_case, by=crew.village_cadre, data=investigation_data([crew.cadre, crew.village_cadre]))
    body = phone.sync(
        kind="入户调查",
        target=visit_case.pk,
        token=token,
        fields=investigation_fields([crew.cadre, crew.village_cadre]),
    ).json()
    assert body["result"] == "冲突" and "甲村村干部" in body["reason"]


# --- 听查看访 ----------------------------------------------------------------------------------------


def test_district_syncs_a_spot_check_record_with_photos(spot_check, district_officer, phone_for):
    phone = phone_for(district_officer)
    task = phone.download()["spot_checks"][0]
    # Invalid first (需整改 without a requirement or a due date): the web's rule, nothing applied.
    invalid = phone.sync(
        kind="听查看访",
        target=spot_check.pk,
        token=task["token"],
        fields=check_fields(conclusion="需整改"),
        photos=[photo()],
        client_id="first",
    ).json()
    assert invalid["result"] == "未通过" and "整改要求" in invalid["errors"]["rectification"][0]
    assert not Document.objects.exists() and SpotCheck.objects.get(pk=spot_check.pk).conclusion == ""
    body = phone.sync(
        kind="听查看访", target=spot_check.pk, token=task["token"], fields=check_fields(), photos=[photo()]
    ).json()

    assert body["applied"], body
    spot_check.refresh_from_db()
    assert spot_check.conclusion == "属实" and spot_check.seen_housing == "砖木平房" and spot_check.doc_hukou
    assert Document.objects.get(kind__name="抽查走访照片").household_id == spot_check.household_id
    # Sent again from the same download (another form): the record is there now, a conflict.
    other = phone.sync(
        kind="听查看访", target=spot_check.pk, token=task["token"], fields=check_fields(), client_id="again"
    )
    assert other.json()["result"] == "冲突"


def test_spot_check_reassigned_while_offline_is_a_conflict(spot_check, district_officer, phone_for):
    from kanjia import roles
    from review.dynamic import spotchecks
    from tests.conftest import make_user

    phone = phone_for(district_officer)
    task = phone.download()["spot_checks"][0]
    colleague = make_user("district_2", roles.DISTRICT, full_name="区局二")
    spotchecks.check_assign(check=spot_check, assignee=colleague, by=district_officer)
    body = phone.sync(kind="听查看访", target=spot_check.pk, token=task["token"], fields=check_fields()).json()
    assert body["result"] == "冲突" and "区局二" in body["reason"] and not body["server"]["can_overwrite"]
    assert SpotCheck.objects.get(pk=spot_check.pk).conclusion == ""


# --- Session and the wipe signal -----------------------------------------------------------------


def test_session_endpoint_tells_a_locked_or_deactivated_account_to_wipe(visit_case, crew, phone_for, settings):
    phone = phone_for(crew.cadre)
    phone.download()
    anonymous = Client()
    header = {"HTTP_X_VISIT_DEVICE": phone.token}
    assert anonymous.get("/review/visits/session/", **header).json()["wipe"] == ""
    assert anonymous.get("/review/visits/session/", **header).status_code == 401
    AccessAttempt.objects.create(
        username=crew.cadre.username,
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=5,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
    )
    assert anonymous.get("/review/visits/session/", **header).json()["wipe"] == "账号已被锁定"
    AccessAttempt.objects.all().delete()
    crew.cadre.is_active = False
    crew.cadre.save()
    assert anonymous.get("/review/visits/session/", **header).json()["wipe"] == "账号已停用"
    # A wrong token learns nothing.
    assert anonymous.get("/review/visits/session/", HTTP_X_VISIT_DEVICE="guess").json()["wipe"] == ""


# --- The app shell -----------------------------------------------------------------------------------


def test_app_shell_and_service_worker_hold_no_personal_data(visit_case, crew, client):
    client.force_login(crew.cadre)
    page = client.get("/review/visits/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert "王大山" not in html and "js/visits/app.js" in html and "<script>" not in html
    worker = client.get("/review/visits/sw.js")
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/review/visits/"
    assert "手机走访" in client.get("/").content.decode()  # in the team member's menu
