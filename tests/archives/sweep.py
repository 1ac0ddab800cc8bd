"""Objects in village B for the scope sweep's archive URLs (tests/test_scope_sweep.py).

Documents are written under settings.MEDIA_ROOT like any upload.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from archives.documents.services import document_upload
from archives.models import Document, DocumentKind
from archives.payments.services import roll_generate
from tests.samples import PDF


class RewindingUpload(SimpleUploadedFile):
    """The sweep posts one payload many times: each request must carry the whole file."""

    def read(self, *args, **kwargs) -> bytes:
        self.seek(0)
        return super().read(*args, **kwargs)


def household(w) -> dict:
    return {"pk": w.household_b.pk}


def _document(w, *, kind: str = "申请书") -> Document:
    return document_upload(
        household=w.household_b,
        kind=DocumentKind.objects.get(name=kind),
        file=SimpleUploadedFile("sweep.pdf", PDF),
        by=w.town_officer,
    )


def document(w) -> dict:
    return {"pk": _document(w).pk}


def expired_document(w) -> dict:
    """A routine file filed six years ago: past its retention, so the town office may delete it."""
    doc = _document(w, kind="其他")
    filed = timezone.now() - timedelta(days=6 * 366)
    Document.objects.filter(pk=doc.pk).update(uploaded_at=filed, keep_until=filed.date() + timedelta(days=5 * 365))
    return {"pk": doc.pk}


def upload_payload(w, fields: dict) -> dict:
    return {"kind": DocumentKind.objects.get(name="其他").pk, "file": RewindingUpload("越权上传.pdf", PDF)}


def roll(w) -> dict:
    return {"pk": roll_generate(town=w.village_b.town, month=timezone.localdate(), by=w.town_officer).pk}


def roll_village(w) -> dict:
    """Village B's part of its town's roll (household B is paid in it)."""
    return {**roll(w), "village_id": w.village_b.pk}


def district_rolls(w) -> dict:
    """A finished 全区发放花名册 holding village B's town's roll (the job run in-process)."""
    from archives.payments import district

    roll(w)
    job = district.district_roll_start(month=timezone.localdate(), by=w.district_officer)
    district.run_district_roll(job_id=job.pk)
    return {"pk": job.pk}
