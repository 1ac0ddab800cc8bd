"""Archive pages: scoped download with logging, upload through the form, reports, labels, rolls."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from archives.documents.services import document_upload
from archives.models import Document, PaymentRoll
from kanjia.models import AccessLog
from tests.archives.conftest import EXE, PDF, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc_b(town_officer, household_b, kinds):
    return document_upload(household=household_b, kind=kinds["低保证"], file=upload("低保证.pdf", PDF), by=town_officer)


def test_another_teams_document_is_404_and_nothing_is_logged(client, team_a, team_b, team_member_a, doc_b):
    client.force_login(team_member_a)
    assert client.get(reverse("archives:download", args=[doc_b.pk])).status_code == 404
    assert client.get(reverse("archives:bag", args=[doc_b.household_id])).status_code == 404
    assert client.post(reverse("archives:delete", args=[doc_b.pk])).status_code == 404
    assert not AccessLog.objects.exists()


def test_download_is_served_and_logged(client, team_a, team_b, team_member_b, doc_b):
    client.force_login(team_member_b)
    response = client.get(reverse("archives:download", args=[doc_b.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id, log.village_id) == (
        team_member_b,
        AccessLog.Action.DOWNLOAD,
        str(doc_b.pk),
        doc_b.household.village_id,
    )


def test_the_media_folder_has_no_public_url(client, doc_b, town_officer):
    client.force_login(town_officer)
    for url in (f"/media/documents/{doc_b.stored_name}", f"/documents/{doc_b.stored_name}"):
        assert client.get(url).status_code == 404


def test_upload_through_the_bag_page(client, team_a, team_member_a, household_a, kinds):
    client.force_login(team_member_a)
    bag_url = reverse("archives:bag", args=[household_a.pk])
    page = client.get(bag_url)
    assert page.status_code == 200 and "KJ-甲村-03-0001" in page.content.decode()

    url = reverse("archives:upload", args=[household_a.pk])
    refused = client.post(url, {"kind": kinds["申请书"].pk, "file": upload("申请书.pdf", EXE)})
    assert refused.status_code == 400
    assert "只能上传 PDF、JPEG、PNG 文件" in refused.content.decode()
    assert not Document.objects.exists()

    done = client.post(url, {"kind": kinds["申请书"].pk, "file": upload("申请书.pdf", PDF), "note": "原件已归档"})
    assert done.status_code == 302 and done.url == bag_url
    page = client.get(bag_url).content.decode()
    assert "申请书.pdf" in page and "停保后满3年" in page


def test_readers_see_the_bag_but_cannot_file(client, team_a, district_officer, inspector, household_a, kinds):
    for user in (district_officer, inspector):
        client.force_login(user)
        page = client.get(reverse("archives:bag", args=[household_a.pk]))
        assert page.status_code == 200 and "upload-form" not in page.content.decode()
        answer = client.post(
            reverse("archives:upload", args=[household_a.pk]),
            {"kind": kinds["申请书"].pk, "file": upload("a.pdf", PDF)},
        )
        assert answer.status_code == 403
    assert not Document.objects.exists()


def test_deleting_early_is_refused_with_a_message(client, town_officer, household_a, kinds):
    doc = document_upload(household=household_a, kind=kinds["其他"], file=upload("a.pdf", PDF), by=town_officer)
    client.force_login(town_officer)
    response = client.post(reverse("archives:delete", args=[doc.pk]), follow=True)
    assert "期满前不能删除" in response.content.decode()
    assert Document.objects.filter(pk=doc.pk).exists()


def test_household_page_links_to_its_bag(client, town_officer, household_a):
    client.force_login(town_officer)
    page = client.get(reverse("households:detail", args=[household_a.pk])).content.decode()
    assert reverse("archives:bag", args=[household_a.pk]) in page


def test_archive_home_report_and_export(client, team_a, team_member_a, household_a, household_b, kinds):
    client.force_login(team_member_a)
    home = client.get(reverse("archives:index"))
    assert home.status_code == 200
    text = home.content.decode()
    assert "KJ-甲村" in text and "乙村" not in text and "发放花名册" not in text
    assert client.get(reverse("archives:index"), {"village": household_b.village_id}).status_code == 404
    assert "张甲" in client.get(reverse("archives:completeness")).content.decode()
    export = client.get(reverse("archives:completeness_xlsx"))
    assert export.status_code == 200 and AccessLog.objects.filter(action=AccessLog.Action.EXPORT).count() == 1
    sheet = load_workbook(io.BytesIO(export.content))["缺项明细"]
    assert [row[2].value for row in sheet.iter_rows(min_row=2)] == ["张甲"]


def test_labels_pdf_is_logged(client, town_officer, household_a):
    client.force_login(town_officer)
    response = client.get(reverse("archives:labels"), {"level": "bag"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert AccessLog.objects.filter(action=AccessLog.Action.PRINT).count() == 1


def test_rolls_pages(client, town_officer, team_a, team_member_a, district_officer, household_a):
    client.force_login(town_officer)
    assert client.post(reverse("archives:rolls"), {"month": "2021-13"}).status_code == 400
    response = client.post(reverse("archives:rolls"), {"month": "2021-06"})
    roll = PaymentRoll.objects.get()
    assert response.url == reverse("archives:roll", args=[roll.pk])
    client.post(reverse("archives:rolls"), {"month": "2021-06"})
    second = PaymentRoll.objects.get(sequence=2)
    assert "与第1版相比" in client.get(reverse("archives:roll", args=[second.pk])).content.decode()

    client.force_login(district_officer)
    assert client.get(reverse("archives:roll", args=[roll.pk])).status_code == 200
    assert client.post(reverse("archives:rolls"), {"month": "2021-07"}).status_code == 403
    xlsx = client.get(reverse("archives:roll_xlsx", args=[roll.pk]))
    assert xlsx.status_code == 200 and AccessLog.objects.filter(action=AccessLog.Action.EXPORT).count() == 1
    assert client.get(reverse("archives:roll_pdf", args=[roll.pk])).content.startswith(b"%PDF-")

    client.force_login(team_member_a)
    assert client.get(reverse("archives:rolls")).status_code == 403
    assert client.get(reverse("archives:roll", args=[roll.pk])).status_code == 403


def test_town_wide_bag_labels_are_printed_village_by_village(client, town_officer, household_a, monkeypatch):
    from archives.documents import labels

    monkeypatch.setattr(labels, "MAX_BAG_LABELS", 0)
    client.force_login(town_officer)
    response = client.get(reverse("archives:labels"), {"level": "bag"}, follow=True)
    assert "请按村(社区)分别打印" in response.content.decode()
    village = client.get(reverse("archives:labels"), {"level": "bag", "village": household_a.village_id})
    assert village["Content-Type"] == "application/pdf"
