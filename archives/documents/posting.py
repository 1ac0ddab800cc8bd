"""The publicity posting photo in the households' bags (registered with publicity.hooks).

A round's posting photo (张贴照片) is the 公示照片 of every household the round
lists: it is filed in each listed household's bag as a 公示照片 document of the
listed case, through `archives.documents.services.document_upload` (content check,
random name, retention), so the bag's checklist and the district approval gate
see it like any upload. The same photo is not filed twice for the same case.
"""

import hashlib
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File

from archives.documents.services import document_path, document_upload
from archives.models import Document, DocumentKind
from archives.models.documents import STAGES
from publicity.rounds import NUMERALS

POSTING_KIND = "公示照片"


def file_posting_photo(*, round, by: AbstractBaseUser) -> str | None:
    """File `round.posted_photo` as 公示照片 in the bag of every household the round lists; a note for the officer."""
    kind = DocumentKind.objects.filter(name=POSTING_KIND, active=True).first()
    if kind is None:
        return f"“{POSTING_KIND}”材料类别未启用，张贴照片未归入各户档案袋。"
    entries = list(round.entries.select_related("case__household").order_by("pk"))
    stages = dict(STAGES)
    when = f"{round.posted_on:%Y-%m-%d}" if round.posted_on else ""
    note = f"第{NUMERALS[round.number]}榜公示张贴照片：{when}张贴于{round.posted_place}（公示批次#{round.pk}）"
    created: list[Document] = []
    with round.posted_photo.open("rb") as stored:
        photo = File(stored, name=f"公示张贴照片-批次{round.pk}{Path(round.posted_photo.name).suffix}")
        digest = hashlib.file_digest(photo, "sha256").hexdigest()
        photo.seek(0)
        already = set(
            Document.objects.filter(kind=kind, sha256=digest, case_id__in=[e.case_id for e in entries]).values_list(
                "case_id", flat=True
            )
        )
        try:
            for entry in entries:
                case = entry.case
                if case.pk in already:
                    continue
                created.append(
                    document_upload(
                        household=case.household,
                        kind=kind,
                        file=photo,
                        by=by,
                        case=case,
                        stage=case.status if case.status in stages else "",
                        note=note[:200],
                    )
                )
        except BaseException:
            # The caller's transaction rolls the rows back; the files written so far go now.
            for document in created:
                document_path(document).unlink(missing_ok=True)
            raise
    if not created:
        return None
    return f"张贴照片已作为“{POSTING_KIND}”归入 {len(created)} 户档案袋。"
