"""A delivered decision notice's scanned receipt in the household's bag (registered with review.notices.hooks).

The 送达回证 (signed receipt of a 不予纳入/停发/减发 notice) is an approval file of
the notice's case: filed through `archives.documents.services.document_upload`
(content check, random name, retention), inside the transaction that records
the delivery. A refused file (wrong type, too large) refuses the delivery too.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from archives.documents.services import document_upload
from archives.models import DocumentKind
from archives.models.documents import STAGES

RECEIPT_KIND = "决定通知书送达回证"


def file_notice_scan(*, notice, file, by: AbstractBaseUser) -> str:
    kind = DocumentKind.objects.filter(name=RECEIPT_KIND, active=True).first()
    if kind is None:
        raise ValidationError(f"“{RECEIPT_KIND}”材料类别未启用，扫描件无法归档。")
    case = notice.case
    document = document_upload(
        household=notice.household,
        kind=kind,
        file=file,
        by=by,
        case=case,
        stage=case.status if case.status in dict(STAGES) else "",
        note=f"{notice.get_kind_display()}决定通知书送达回证：{notice.delivered_on:%Y-%m-%d} {notice.method}送达"[:200],
    )
    return f"送达回证已归入该户档案袋（{RECEIPT_KIND}，材料#{document.pk}）。"
