"""The posting photo (content check, scoped and logged view) and the policy sheet edited by the 镇民政办."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kanjia.models import AccessLog
from publicity import policy, rounds
from publicity.models import PolicySheet, PublicityRound
from tests.publicity.conftest import at_appraisal, days_ago, open_round
from tests.publicity.test_pages import PNG
from tests.test_pdf_xlsx import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_one(cases, crew, launched, village_a, town_officer):
    for case in cases[:2]:
        at_appraisal(case, crew)
    return open_round(campaign=launched, village=village_a, number=1, by=town_officer)


def _posting(client, publicity_round, photo: SimpleUploadedFile):
    return client.post(
        reverse("publicity:round_posting", args=[publicity_round.pk]),
        {"posted_on": days_ago(9).isoformat(), "posted_place": "村委会公示栏", "posted_photo": photo},
    )


# --- The posting photo --------------------------------------------------------------------


def test_a_renamed_executable_or_an_oversize_photo_is_refused_next_to_the_field(client, round_one, town_officer):
    client.force_login(town_officer)
    exe = SimpleUploadedFile("张贴照片.jpg", b"MZ\x90\x00" + b"\x00" * 60, content_type="image/jpeg")
    response = _posting(client, round_one, exe)
    assert response.status_code == 400
    page = response.content.decode()
    field = page.split('name="posted_photo"')[1][:600]
    assert "只能上传 JPEG、PNG 文件（按文件内容识别，改扩展名无效）" in field
    big = SimpleUploadedFile("大.png", PNG + b"\x00" * (rounds.PHOTO_MAX_SIZE), content_type="image/png")
    response = _posting(client, round_one, big)
    assert response.status_code == 400 and "单个文件不能超过 5 MB" in response.content.decode()
    # A PDF is a document, not a photo.
    pdf = SimpleUploadedFile("张贴.png", b"%PDF-1.4\n%%EOF\n", content_type="image/png")
    assert _posting(client, round_one, pdf).status_code == 400
    round_one.refresh_from_db()
    assert round_one.posted_on is None and not round_one.posted_photo and round_one.history.count() == 2


def test_the_photo_is_shown_on_the_round_page_to_those_who_see_the_village(
    client, round_one, town_officer, team_member_a, team_a, team_member_b, team_b, district_officer
):
    url = reverse("publicity:round_photo", args=[round_one.pk])
    client.force_login(town_officer)
    assert client.get(url).status_code == 404  # no photo yet
    photo = SimpleUploadedFile("我的照片.png", PNG, content_type="image/png")
    assert _posting(client, round_one, photo).status_code == 302
    round_one.refresh_from_db()
    assert "我的照片" not in round_one.posted_photo.name and round_one.posted_photo.name.endswith(".png")

    page = client.get(reverse("publicity:round", args=[round_one.pk])).content.decode()
    assert 'data-testid="posting-photo"' in page and f'src="{url}"' in page and "已上传照片" not in page

    for user in (town_officer, team_member_a, district_officer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "no-store"
        # The stored photo is the re-encoded image (no metadata): the same pixels.
        served = Image.open(BytesIO(b"".join(response.streaming_content)))
        assert served.tobytes() == Image.open(BytesIO(PNG)).convert(served.mode).tobytes()
    logged = AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD, detail="公示张贴照片")
    assert logged.count() == 3 and set(logged.values_list("village_id", flat=True)) == {round_one.village_id}

    client.force_login(team_member_b)  # another team's village: not found, nothing logged
    assert client.get(url).status_code == 404
    assert logged.count() == 3


def test_a_stored_file_that_is_not_an_image_is_never_served(client, round_one, town_officer):
    # Photos saved before the content check only had their extension checked.
    round_one.posted_photo.save("old.png", ContentFile(b"MZ\x90\x00 renamed executable"), save=True)
    client.force_login(town_officer)
    assert client.get(reverse("publicity:round_photo", args=[round_one.pk])).status_code == 404


# --- The policy sheet -----------------------------------------------------------------------


def test_the_town_office_edits_the_policy_sheet_and_the_pdf_prints_it(client, town_officer, village_a):
    client.force_login(town_officer)
    url = reverse("publicity:policy")
    page = client.get(url).content.decode()
    assert 'data-testid="policy-form"' in page and "一、共同生活的家庭成员" in page  # the default text to start from

    body = "一、堪嘉镇低保政策咨询请到便民服务中心。\r\n\r\n二、举报骗保行为一经查实给予奖励。\n"
    response = client.post(url, {"title": "堪嘉镇低保政策宣传单", "body": body})
    assert response.status_code == 302
    sheet = PolicySheet.objects.get()
    assert sheet.body == "一、堪嘉镇低保政策咨询请到便民服务中心。\n二、举报骗保行为一经查实给予奖励。"
    assert sheet.updated_by == town_officer and sheet.history.get().history_user == town_officer

    text = pdf_text(client.get(reverse("publicity:policy_pdf")).content)
    assert "堪嘉镇低保政策宣传单" in text
    assert "堪嘉镇低保政策咨询请到便民服务中心" in text and "举报骗保行为一经查实给予奖励" in text
    assert "共同生活的家庭成员" not in text

    # A second save changes the same sheet; both versions are in its history with the acting user.
    assert client.post(url, {"title": "堪嘉镇低保政策宣传单", "body": "一、新的第一段。"}).status_code == 302
    assert PolicySheet.objects.count() == 1
    assert [h.body for h in sheet.history.order_by("history_id")][-1] == "一、新的第一段。"
    assert "新的第一段" in pdf_text(client.get(reverse("publicity:policy_pdf")).content)
    page = client.get(url).content.decode()
    assert page.count("测试民政") >= 2  # the history table names who saved


def test_bad_policy_text_is_refused_and_nothing_saved(client, town_officer):
    client.force_login(town_officer)
    response = client.post(reverse("publicity:policy"), {"title": "标题", "body": " \n \n"})
    assert response.status_code == 400
    assert "必填" in response.content.decode().split('name="body"')[1][:600]
    with pytest.raises(ValidationError) as refused:
        policy.policy_save(title="标题", body="\r\n  \n", by=town_officer)
    assert refused.value.message_dict == {"body": ["请填写正文（每段一行）。"]}
    assert not PolicySheet.objects.exists()


def test_readers_may_only_read_the_policy_sheet_and_teams_are_refused(
    client, town_officer, district_officer, inspector, team_member_a, team_a, sysadmin
):
    url = reverse("publicity:policy")
    payload = {"title": "越权标题", "body": "越权正文"}
    for user in (district_officer, inspector):
        client.force_login(user)
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200 and 'data-testid="policy-text"' in page and "policy-form" not in page
        assert client.post(url, payload).status_code == 403
    for user in (team_member_a, sysadmin):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, payload).status_code == 403
    assert not PolicySheet.objects.exists()
    assert PublicityRound.objects.count() == 0
