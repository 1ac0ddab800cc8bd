"""Document uploads, downloads and retention (writes; reads are in archives.documents.selectors).

Files are checked by content (`kanjia.uploads`: magic bytes, never the name or
the browser's content type), limited to 20 MB, written under a random name in
MEDIA_ROOT/documents (no public URL serves that folder) and read back only by
`archives.documents.views.document_download`, which checks village scope and logs.

Retention (ARC): approval files are kept at least 3 years after aid stops,
routine files at least 5 years from filing. `keep_until` is None while an
approval file's household still receives or applies for aid.
"""

import hashlib
import os
import secrets
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from archives.models import Document, DocumentKind
from archives.models.documents import STAGES
from households.models import Household
from households.selectors import households_changeable_by
from kanjia import roles
from kanjia.uploads import FILE_TYPES, clean_upload

MAX_SIZE = 20 * 1024 * 1024
APPROVAL_YEARS = 3
ROUTINE_YEARS = 5
STOPPED = (Household.Status.SUSPENDED, Household.Status.EXITED)


def documents_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "documents"


def document_path(document: Document) -> Path:
    # stored_name is ours (hex + fixed extension), never user input: no traversal.
    return documents_dir() / document.stored_name


# --- Retention -----------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def aid_stopped_on(*, household: Household) -> date | None:
    """The day the household's aid stopped (its latest run of 停保/已退出 began), or None while it goes on."""
    if household.status not in STOPPED:
        return None
    stopped = None
    for status, when in household.history.order_by("-history_date", "-history_id").values_list(
        "status", "history_date"
    ):
        if status not in STOPPED:
            break
        stopped = when
    return timezone.localtime(stopped).date() if stopped else timezone.localdate()


def keep_until_for(*, kind: DocumentKind, uploaded_on: date, stopped_on: date | None) -> date | None:
    if kind.retention == DocumentKind.Retention.ROUTINE:
        return add_years(uploaded_on, ROUTINE_YEARS)
    return add_years(stopped_on, APPROVAL_YEARS) if stopped_on else None


def documents_refresh_retention(
    *, household_ids: Iterable[int] | QuerySet | None = None, by: AbstractBaseUser | None = None
) -> int:
    """Recompute keep_until (e.g. after aid stopped or resumed); returns the number changed."""
    documents = Document.objects.select_related("kind", "household")
    if household_ids is not None:
        documents = documents.filter(household_id__in=household_ids)
    stopped: dict[int, date | None] = {}
    changed = []
    for document in documents:
        if document.household_id not in stopped:
            stopped[document.household_id] = aid_stopped_on(household=document.household)
        keep = keep_until_for(
            kind=document.kind,
            uploaded_on=timezone.localtime(document.uploaded_at).date(),
            stopped_on=stopped[document.household_id],
        )
        if keep != document.keep_until:
            document.keep_until = keep
            changed.append(document)
    if changed:
        bulk_update_with_history(changed, Document, ["keep_until"], default_user=by, default_change_reason="保管期限")
    return len(changed)


# --- Upload ------------------------------------------------------------------------------


def _check_can_file(*, household: Household, by: AbstractBaseUser) -> None:
    if not households_changeable_by(user=by).filter(pk=household.pk).exists():
        raise PermissionDenied("您只能查阅该户档案，不能上传或删除材料。")


def document_upload(
    *,
    household: Household,
    kind: DocumentKind,
    file: UploadedFile,
    by: AbstractBaseUser,
    case=None,
    stage: str = "",
    note: str = "",
    filer_checked: bool = False,
) -> Document:
    """File one document in the household's bag. Bad input raises ValidationError (Chinese), nothing saved.

    `filer_checked`: the caller has already decided that `by` may file this (the district's
    spot-check photos: the district reads every bag but changes none by hand).
    """
    if not filer_checked:
        _check_can_file(household=household, by=by)
    errors: dict[str, str] = {}
    if not kind.active:
        errors["kind"] = "该材料类别已停用。"
    if case is not None and case.household_id != household.pk:
        errors["case"] = "所选案件不属于该户。"
    if stage and stage not in dict(STAGES):
        errors["stage"] = "环节不正确。"
    file_type = clean = None
    try:
        # Decoded, not sniffed: images are stored re-encoded without metadata (GPS), see kanjia/uploads.py.
        file_type, clean = clean_upload(file, max_size=MAX_SIZE, allowed=FILE_TYPES)
    except ValidationError as error:
        errors["file"] = error.messages[0]
    if errors:
        raise ValidationError(errors)

    directory = documents_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + file_type.extension
    path = directory / stored_name
    digest = hashlib.sha256()
    written = 0
    # O_EXCL: never overwrite; 0o600: readable by the application only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in clean.chunks():
                written += len(chunk)
                if written > MAX_SIZE:  # the declared size lied
                    raise ValidationError({"file": "单个文件不能超过 20 MB。"})
                digest.update(chunk)
                out.write(chunk)
        with transaction.atomic():
            document = Document(
                household=household,
                case=case,
                stage=stage,
                kind=kind,
                original_name=Path(file.name or "未命名").name[:200],
                stored_name=stored_name,
                content_type=file_type.content_type,
                size=written,
                sha256=digest.hexdigest(),
                note=note.strip()[:200],
                uploaded_by=by,
            )
            document.keep_until = keep_until_for(
                kind=kind, uploaded_on=timezone.localdate(), stopped_on=aid_stopped_on(household=household)
            )
            document._history_user = by
            document.save()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return document


# --- Delete --------------------------------------------------------------------------------


def document_delete(*, document: Document, by: AbstractBaseUser) -> None:
    """Delete a document whose retention period is over (town office only)."""
    if not roles.has_role(by, roles.TOWN_OFFICE) or roles.is_read_only(by):
        raise PermissionDenied("只有镇民政办可以删除档案材料。")
    _check_can_file(household=document.household, by=by)
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("kind", "household").get(pk=document.pk)
        keep = keep_until_for(
            kind=document.kind,
            uploaded_on=timezone.localtime(document.uploaded_at).date(),
            stopped_on=aid_stopped_on(household=document.household),
        )
        if keep is None:
            raise ValidationError("该户仍在保障（或申请）中，审批材料须保存至停保后满3年，不能删除。")
        if timezone.localdate() <= keep:
            raise ValidationError(f"该材料须保管至{keep:%Y年%m月%d日}，期满前不能删除。")
        path = document_path(document)
        document._history_user = by
        document.delete()
        # The file goes only once the row's deletion is committed.
        transaction.on_commit(lambda: path.unlink(missing_ok=True))
