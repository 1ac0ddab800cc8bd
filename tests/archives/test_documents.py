"""Uploads: type by content, size limit, random stored names; retention refusal."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from archives.documents import services as documents
from archives.documents.services import document_delete, document_upload
from archives.models import Document
from households.models import Household
from kanjia import roles
from tests.archives.conftest import EXE, PDF, png_bytes, upload
from tests.conftest import make_user
from tests.samples import jpeg_bytes

pytestmark = pytest.mark.django_db


def test_a_pdf_is_stored_under_a_random_name_outside_static(team_a, team_member_a, household_a, kinds, media_root):
    doc = document_upload(household=household_a, kind=kinds["申请书"], file=upload("申请书.pdf", PDF), by=team_member_a)
    assert doc.content_type == "application/pdf"
    assert doc.size == len(PDF)
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.original_name == "申请书.pdf"
    assert "申请书" not in doc.stored_name and doc.stored_name.endswith(".pdf") and len(doc.stored_name) == 36
    path = media_root / "documents" / doc.stored_name
    assert path.read_bytes() == PDF
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert doc.history.count() == 1 and doc.history.first().history_user == team_member_a


def test_content_decides_the_type_not_the_name(team_a, team_member_a, household_a, kinds):
    doc = document_upload(
        household=household_a,
        kind=kinds["公示照片"],
        file=upload("photo.pdf", png_bytes(), "application/pdf"),
        by=team_member_a,
    )
    assert doc.content_type == "image/png" and doc.stored_name.endswith(".png")


def test_a_renamed_executable_is_refused(team_a, team_member_a, household_a, kinds, media_root):
    with pytest.raises(ValidationError) as refused:
        document_upload(household=household_a, kind=kinds["申请书"], file=upload("申请书.pdf", EXE), by=team_member_a)
    assert "只能上传 PDF、JPEG、PNG 文件" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists()
    assert not any((media_root / "documents").glob("*")) if (media_root / "documents").exists() else True


def test_oversize_and_empty_files_are_refused(team_a, team_member_a, household_a, kinds, media_root):
    big = PDF + b"0" * (documents.MAX_SIZE + 1 - len(PDF))
    with pytest.raises(ValidationError) as refused:
        document_upload(household=household_a, kind=kinds["申请书"], file=upload("big.pdf", big), by=team_member_a)
    assert "不能超过 20 MB" in refused.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as refused:
        document_upload(household=household_a, kind=kinds["申请书"], file=upload("0.pdf", b""), by=team_member_a)
    assert "文件是空的" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists()


def test_exactly_20_mb_is_accepted(team_a, team_member_a, household_a, kinds):
    content = PDF + b"0" * (documents.MAX_SIZE - len(PDF))
    doc = document_upload(household=household_a, kind=kinds["其他"], file=upload("x.pdf", content), by=team_member_a)
    assert doc.size == documents.MAX_SIZE


def test_only_those_who_may_change_the_village_upload(
    team_a, team_b, team_member_b, district_officer, inspector, household_a, kinds
):
    for user in (team_member_b, district_officer, inspector):
        with pytest.raises(PermissionDenied):
            document_upload(household=household_a, kind=kinds["申请书"], file=upload("a.pdf", PDF), by=user)
    assert not Document.objects.exists()


def test_town_office_files_for_every_village(town_officer, household_b, kinds):
    doc = document_upload(
        household=household_b,
        kind=kinds["低保证"],
        file=upload("z.jpg", jpeg_bytes()),
        by=town_officer,
    )
    assert doc.content_type == "image/jpeg"


# --- Retention --------------------------------------------------------------------------


def _stop(household: Household, by, days_ago: int) -> None:
    household.history.update(history_date=timezone.now() - timedelta(days=days_ago + 400))
    household.status = Household.Status.EXITED
    household._history_user = by
    household.save()
    household.history.filter(status=Household.Status.EXITED).update(
        history_date=timezone.now() - timedelta(days=days_ago)
    )


def test_approval_files_are_kept_while_aid_goes_on(town_officer, household_a, kinds):
    doc = document_upload(household=household_a, kind=kinds["申请书"], file=upload("a.pdf", PDF), by=town_officer)
    assert doc.keep_until is None
    with pytest.raises(ValidationError) as refused:
        document_delete(document=doc, by=town_officer)
    assert "仍在保障" in refused.value.messages[0]
    assert Document.objects.filter(pk=doc.pk).exists()


def test_approval_files_are_kept_three_years_after_aid_stops(
    town_officer, household_a, kinds, media_root, django_capture_on_commit_callbacks
):
    doc = document_upload(household=household_a, kind=kinds["申请书"], file=upload("a.pdf", PDF), by=town_officer)
    _stop(household_a, town_officer, days_ago=365)
    assert documents.documents_refresh_retention(household_ids=[household_a.pk]) == 1
    doc.refresh_from_db()
    stopped = timezone.localdate() - timedelta(days=365)
    assert doc.keep_until == documents.add_years(stopped, 3)
    with pytest.raises(ValidationError) as refused:
        document_delete(document=doc, by=town_officer)
    assert f"须保管至{doc.keep_until:%Y年%m月%d日}" in refused.value.messages[0]

    # Past the period, the town office may delete it; the file goes too, the history stays.
    _stop(household_a, town_officer, days_ago=3 * 366 + 2)
    path = media_root / "documents" / doc.stored_name
    with pytest.raises(PermissionDenied):
        document_delete(document=doc, by=make_user("another_member", roles.VILLAGE_TEAM))
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=doc, by=town_officer)
    assert not Document.objects.filter(pk=doc.pk).exists()
    assert Document.history.filter(id=doc.pk, history_type="-").exists()
    assert not path.exists()


def test_routine_files_are_kept_five_years(town_officer, household_a, kinds):
    doc = document_upload(household=household_a, kind=kinds["其他"], file=upload("a.pdf", PDF), by=town_officer)
    assert doc.keep_until == documents.add_years(timezone.localdate(), 5)
    with pytest.raises(ValidationError):
        document_delete(document=doc, by=town_officer)


def test_add_years_handles_leap_days():
    from datetime import date

    assert documents.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
