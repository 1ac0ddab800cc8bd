"""Publicity pages: scope (other villages 404), who may act (403), forms, downloads with access log."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kanjia.models import AccessLog
from publicity.models import GenerationJob, NoticeFile, Objection, PublicityRound
from review.models import Case, Status
from tests.publicity.conftest import at_appraisal, days_ago, open_round
from tests.publicity.test_notices import pdf_pages

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def round_one(cases, crew, launched, village_a, town_officer):
    for case in cases[:2]:
        at_appraisal(case, crew)
    return open_round(campaign=launched, village=village_a, number=1, by=town_officer)


def test_list_shows_rounds_by_campaign_and_village(client, round_one, town_officer, django_assert_max_num_queries):
    client.force_login(town_officer)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("publicity:rounds"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "甲村" in text and "第一榜" in text and "公示中" in text and "生成草稿" in text
    response = client.get(reverse("publicity:rounds"), {"village": round_one.village_id + 1000})
    assert "尚无公示批次" in response.content.decode()


def test_team_members_see_only_their_villages(client, round_one, team_member_a, team_member_b, team_b):
    client.force_login(team_member_b)
    assert "甲村" not in client.get(reverse("publicity:rounds")).content.decode()
    for name in ("publicity:round", "publicity:round_pdf"):
        assert client.get(reverse(name, args=[round_one.pk])).status_code == 404
    client.force_login(team_member_a)
    page = client.get(reverse("publicity:round", args=[round_one.pk]))
    assert page.status_code == 200 and "登记异议" in page.content.decode()
    assert "发布公示" not in page.content.decode() and "结束公示" not in page.content.decode()


def test_only_the_town_office_manages_rounds(client, round_one, personas, team_b):
    urls = [
        reverse("publicity:round_close", args=[round_one.pk]),
        reverse("publicity:round_posting", args=[round_one.pk]),
        reverse("publicity:round_prepare"),
    ]
    for name in ("team_member_a", "district_officer", "inspector"):
        client.force_login(personas[name])
        for url in urls:
            assert client.post(url, {}).status_code == 403, (name, url)
    assert PublicityRound.objects.get(pk=round_one.pk).status == "公示中"


def test_prepare_open_and_download(client, cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    client.force_login(town_officer)
    response = client.post(
        reverse("publicity:round_prepare"), {"campaign": launched.pk, "village": village_a.pk, "number": 1}
    )
    draft = PublicityRound.objects.get()
    assert response.status_code == 302 and draft.status == "草稿"
    page = client.get(reverse("publicity:round", args=[draft.pk])).content.decode()
    assert cases[0].household.head_name in page and "发布公示" in page
    today = timezone.localdate()
    response = client.post(
        reverse("publicity:round_open", args=[draft.pk]), {"starts_on": today.isoformat(), "days": 7, "paper": "A3"}
    )
    draft.refresh_from_db()
    end = today + timedelta(days=6)
    assert response.status_code == 302 and draft.status == "公示中" and draft.paper == "A3"
    assert draft.ends_on == end
    response = client.get(reverse("publicity:round_pdf", args=[draft.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_pages(response.content)[0]
    period = f"{today.year}年{today.month}月{today.day}日至{end.year}年{end.month}月{end.day}日"
    assert "第一榜公示" in text and period in text
    log = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert (log.user, log.village_id, log.object_id) == (town_officer, village_a.pk, str(draft.pk))
    assert NoticeFile.objects.get(kind="公示名单").round == draft


def test_open_form_shows_errors_next_to_fields(client, cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    client.force_login(town_officer)
    client.post(reverse("publicity:round_prepare"), {"campaign": launched.pk, "village": village_a.pk, "number": 1})
    draft = PublicityRound.objects.get()
    response = client.post(reverse("publicity:round_open", args=[draft.pk]), {"starts_on": "", "days": 0})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    assert PublicityRound.objects.get().status == "草稿"


def test_posting_record_with_photo(client, round_one, town_officer):
    client.force_login(town_officer)
    photo = SimpleUploadedFile("posted.png", PNG, content_type="image/png")
    response = client.post(
        reverse("publicity:round_posting", args=[round_one.pk]),
        {"posted_on": days_ago(9).isoformat(), "posted_place": "村委会公示栏", "posted_photo": photo},
    )
    assert response.status_code == 302
    round_one.refresh_from_db()
    assert round_one.posted_place == "村委会公示栏" and round_one.posted_photo.name.endswith(".png")
    assert round_one.posted_by == town_officer


def test_register_and_handle_an_objection_then_close(client, round_one, cases, team_member_a, town_officer, team_a):
    client.force_login(team_member_a)
    response = client.post(
        reverse("publicity:objection_register", args=[round_one.pk]),
        {
            "case": cases[0].pk,
            "received_on": timezone.localdate().isoformat(),
            "channel": "电话",
            "anonymous": "on",
            "content": "该户有小轿车一辆。",
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.anonymous and objection.registered_by == team_member_a
    url = reverse("publicity:objection", args=[objection.pk])
    assert client.post(url, {"result": "成立"}).status_code == 403
    client.force_login(town_officer)
    response = client.post(url, {"investigation": "", "result": "", "reply": "", "replied_on": ""})
    assert response.status_code == 400 and Objection.objects.get().is_open
    response = client.post(
        url,
        {
            "investigation": "核实该车已于2020年报废。",
            "investigated_on": timezone.localdate().isoformat(),
            "investigators": [town_officer.pk],
            "result": "不成立",
            "reply": "经核实，该车已报废。",
            "replied_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302 and Objection.objects.get().result == "不成立"
    response = client.post(reverse("publicity:round_close", args=[round_one.pk]), follow=True)
    assert "公示已结束" in response.content.decode()
    # Passed: the case waits at 民主评议 for its 登记表 signatures (公示期满，待签字上交).
    assert Case.objects.get(pk=cases[0].pk).status == Status.APPRAISAL
    assert "公示期满，待签字上交" in response.content.decode()
    assert "已推进" not in response.content.decode()  # passed, but not moved on: the team signs first


def test_inspector_reads_without_forms(client, round_one, inspector):
    client.force_login(inspector)
    page = client.get(reverse("publicity:round", args=[round_one.pk])).content.decode()
    assert "公示名单预览" in page and "登记异议" not in page and "结束公示" not in page
    assert client.get(reverse("publicity:round_pdf", args=[round_one.pk])).status_code == 200
    assert not NoticeFile.objects.exists()  # reading does not write files


def test_generate_button_creates_one_job_and_polls(
    client, round_one, launched, town_officer, django_capture_on_commit_callbacks
):
    client.force_login(town_officer)
    url = reverse("publicity:generate", args=[launched.pk, 1])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, HTTP_HX_REQUEST="true")
        client.post(url, HTTP_HX_REQUEST="true")
    job = GenerationJob.objects.get()
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    assert len(callbacks) == 1  # the second click reuses the queued job
    fragment = client.get(reverse("publicity:job", args=[job.pk])).content.decode()
    assert 'data-progress="0"' in fragment


def test_boards_and_policy_sheet(client, round_one, village_a, town_officer, team_member_a, team_a):
    client.force_login(town_officer)
    assert client.get(reverse("publicity:board_pdf", args=[village_a.pk])).status_code == 404
    assert client.post(reverse("publicity:board_regenerate", args=[village_a.pk])).status_code == 302
    client.force_login(team_member_a)
    assert client.post(reverse("publicity:board_regenerate", args=[village_a.pk])).status_code == 403
    response = client.get(reverse("publicity:board_pdf", args=[village_a.pk]))
    assert response.status_code == 200
    text = pdf_pages(b"".join(response.streaming_content))[0]
    assert "甲村城乡最低生活保障对象公示栏" in text
    response = client.get(reverse("publicity:policy_pdf"))
    assert "政策宣传" in pdf_pages(response.content)[0]
    assert AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).count() == 2
