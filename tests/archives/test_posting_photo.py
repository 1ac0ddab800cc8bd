"""The publicity posting photo is filed as 公示照片 in every listed household's bag (archives.documents.posting)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from archives.documents.checklist import DISTRICT_APPROVAL, household_checklist, missing_before
from archives.documents.services import document_path, document_upload
from archives.models import Document
from publicity import rounds
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.models import Case, Status
from tests.archives.conftest import PDF, png_bytes, upload
from tests.e2e_helpers import travel_back
from tests.factories import HouseholdFactory, MemberFactory
from tests.publicity.conftest import at_appraisal, sign_all
from tests.review_cases.conftest import district_data, drive
from tests.samples import jpeg_bytes

pytestmark = pytest.mark.django_db
# The signed 清理核实登记表 is filed by the system on its third signature.
OTHER_DOCUMENTS = ["诚信承诺书", "家庭经济状况核对授权书", "入户调查表", "民主评议记录", "镇审核意见"]


@pytest.fixture
def listed(pipeline, campaign, household, crew, town_officer, village_a, kinds) -> tuple[list[Case], object]:
    """Two households of village A at 民主评议, listed in an open 第一榜."""
    other = HouseholdFactory(village=village_a, head_name="李四", base_amount=Decimal("280.00"))
    MemberFactory(household=other, name="李四")
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    cases = [at_appraisal(c, crew) for c in Case.objects.filter(campaign=campaign).order_by("pk")]
    with travel_back(2):
        draft = rounds.round_prepare(campaign=campaign, village=village_a, number=1, by=town_officer)
        opened = rounds.round_open(round=draft, by=town_officer)
    return cases, opened


def _post(client, publicity_round, photo: bytes, name: str = "张贴.png"):
    return client.post(
        reverse("publicity:round_posting", args=[publicity_round.pk]),
        {
            "posted_on": timezone.localdate().isoformat(),
            "posted_place": "村委会公示栏",
            "posted_photo": SimpleUploadedFile(name, photo, content_type="image/png"),
        },
    )


def test_the_posting_photo_counts_for_every_listed_bag_and_the_approval_gate(
    client, listed, crew, kinds, town_officer, district_officer
):
    cases, publicity_round = listed
    assert all("公示照片" in missing_before(case=c, stage=DISTRICT_APPROVAL, blocking_only=True) for c in cases)

    client.force_login(town_officer)
    photo = png_bytes()
    response = _post(client, publicity_round, photo)
    assert response.status_code == 302
    assert "张贴照片已作为“公示照片”归入 2 户档案袋" in client.get(response.url).content.decode()

    filed = Document.objects.filter(kind=kinds["公示照片"]).order_by("case_id")
    assert [d.case_id for d in filed] == [c.pk for c in cases]
    for document, case in zip(filed, cases, strict=True):
        assert document.household_id == case.household_id and document.uploaded_by == town_officer
        assert document.content_type == "image/png" and document_path(document).read_bytes() == photo
        assert document.stage == Status.APPRAISAL and "第一榜公示张贴照片" in document.note
        item = next(i for i in household_checklist(household=case.household).items if i.kind.name == "公示照片")
        assert item.present
        assert "公示照片" not in missing_before(case=case, stage=DISTRICT_APPROVAL)
        bag = client.get(reverse("archives:bag", args=[case.household_id])).content.decode()
        assert "公示张贴照片" in bag

    # The same photo again files nothing twice.
    assert _post(client, publicity_round, photo).status_code == 302
    assert Document.objects.filter(kind=kinds["公示照片"]).count() == 2

    # The town review and the district approval are no longer refused for the photo: only the other
    # documents were needed.
    case = sign_all(cases[0], crew).case
    assert case.status == Status.TOWN_REVIEW
    for name in OTHER_DOCUMENTS:
        document_upload(
            household=case.household, kind=kinds[name], file=upload(f"{name}.pdf", PDF), by=town_officer, case=case
        )
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    case = case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert case.status == Status.DONE


def test_a_refused_photo_files_nothing(client, listed, kinds, town_officer, media_root):
    _, publicity_round = listed
    client.force_login(town_officer)
    response = _post(client, publicity_round, b"MZ\x90\x00" + b"\x00" * 60, name="照片.png")
    assert response.status_code == 400
    assert "只能上传 JPEG、PNG 文件（按文件内容识别，改扩展名无效）" in response.content.decode()
    publicity_round.refresh_from_db()
    assert publicity_round.posted_on is None and not publicity_round.posted_photo
    assert not Document.objects.filter(kind=kinds["公示照片"]).exists()
    assert not (media_root / "publicity").exists() and not (media_root / "documents").exists()


def test_a_failed_filing_leaves_no_posting_and_no_files(client, listed, kinds, town_officer, media_root, monkeypatch):
    from archives.documents import posting

    _, publicity_round = listed
    real = posting.document_upload
    calls = []

    def second_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("磁盘已满")
        return real(**kwargs)

    monkeypatch.setattr(posting, "document_upload", second_fails)
    with pytest.raises(OSError):
        rounds.round_record_posting(
            round=publicity_round,
            by=town_officer,
            posted_on=timezone.localdate(),
            place="村委会公示栏",
            photo=SimpleUploadedFile("张贴.png", png_bytes(), content_type="image/png"),
        )
    publicity_round.refresh_from_db()
    assert publicity_round.posted_on is None and not publicity_round.posted_photo
    assert not Document.objects.exists()
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_an_inactive_kind_is_not_filed_and_says_so(listed, kinds, town_officer):
    _, publicity_round = listed
    kind = kinds["公示照片"]
    kind.active = False
    kind.save()
    recorded = rounds.round_record_posting(
        round=publicity_round,
        by=town_officer,
        posted_on=timezone.localdate(),
        place="村委会公示栏",
        photo=SimpleUploadedFile("张贴.jpg", jpeg_bytes(), content_type="image/jpeg"),
    )
    assert recorded.posted_photo.name.endswith(".jpg")
    assert recorded.posting_notes == ["“公示照片”材料类别未启用，张贴照片未归入各户档案袋。"]
    assert not Document.objects.exists()
