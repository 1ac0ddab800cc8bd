"""A phone's visit photos in the household's bag (registered with review.visits.hooks).

Each photo must be a JPEG or PNG that decodes completely; it is written again without
metadata (`kanjia.uploads.clean_upload`: no GPS, no EXIF), then filed through
`archives.documents.services.document_upload` (content check, random name, retention)
as 入户调查照片 (a team's 入户调查) or
抽查走访照片 (the district's 听查看访), inside the transaction that applies the form.
"""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from archives.documents.services import MAX_SIZE, document_path, document_upload
from archives.models import Document, DocumentKind
from archives.models.documents import STAGES
from kanjia.uploads import IMAGE_TYPES, clean_upload

KINDS = {"入户调查": "入户调查照片", "听查看访": "抽查走访照片"}


def file_visit_photos(*, kind: str, household, case, files: Sequence, note: str, by: AbstractBaseUser) -> int:
    name = KINDS[kind]
    document_kind = DocumentKind.objects.filter(name=name, active=True).first()
    if document_kind is None:
        raise ValidationError(f"“{name}”材料类别未启用，照片无法归档。")
    created: list[Document] = []
    try:
        for number, file in enumerate(files, start=1):
            try:
                file_type, clean = clean_upload(file, max_size=MAX_SIZE, allowed=IMAGE_TYPES)
                clean.name = f"{name}-{number}{file_type.extension}"
            except ValidationError as error:
                raise ValidationError(f"第{number}张照片：{'；'.join(error.messages)}") from error
            created.append(
                document_upload(
                    household=household,
                    kind=document_kind,
                    file=clean,
                    by=by,
                    case=case,
                    stage=case.status if case is not None and case.status in dict(STAGES) else "",
                    note=note[:200],
                    # A spot check's photos come with the district's record, which
                    # review.dynamic.spotchecks.check_record has just accepted from `by`.
                    filer_checked=kind == "听查看访",
                )
            )
    except BaseException:
        # The caller's transaction rolls the rows back; the files written so far go now.
        for document in created:
            document_path(document).unlink(missing_ok=True)
        raise
    return len(created)
