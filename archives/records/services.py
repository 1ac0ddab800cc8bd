"""The town's and campaigns' files (综合档案, 财务档案): uploads, deletion after retention, kinds.

Same upload rules as the households' documents: type by content
(`kanjia.uploads`), at most 20 MB, a random stored name under MEDIA_ROOT/records
(served only by `archives.records.views.record_download`, which checks the
reader and logs), row and file together or neither. Retention is the kind's
number of years from filing (None: permanent); changing a kind's retention
recomputes its documents' dates.

Who files what: the town office files anything; a meeting's minutes and an
outreach photo may also be filed by whoever may change that meeting or record
(`review.meetings.services`, `review.outreach.services`: a team for its
villages' 民主评议 meetings and outreach).
"""

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from archives.documents.services import MAX_SIZE, add_years
from archives.models import RecordDocument, RecordKind
from archives.models.records import PHASES
from archives.records.locations import box_for
from households.models import Town
from kanjia import roles
from kanjia.uploads import FILE_TYPES, check_upload, clean_upload
from review.meetings.services import can_change_meeting
from review.models import Campaign, Meeting, Outreach
from review.outreach.services import outreach_refusal


def records_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "records"


def record_path(document: RecordDocument) -> Path:
    # stored_name is ours (hex + fixed extension), never user input: no traversal.
    return records_dir() / document.stored_name


def can_file_records(*, user: AbstractBaseUser) -> bool:
    """The town office files the town's and campaigns' documents."""
    return user.is_authenticated and roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user)


def keep_until_for(*, kind: RecordKind, filed_on):
    return add_years(filed_on, kind.retention_years) if kind.retention_years else None


def kind_for(*, meeting: Meeting | None = None, outreach: Outreach | None = None) -> RecordKind | None:
    """The active kind a meeting's minutes (by meeting kind) or an outreach photo are filed under."""
    kinds = RecordKind.objects.filter(active=True).order_by("order", "id")
    if meeting is not None:
        return kinds.filter(meeting_kind=meeting.kind).first()
    return kinds.filter(for_outreach=True).first()


def default_title(*, meeting: Meeting | None, outreach: Outreach | None, original: str) -> str:
    """甲村民主评议会议记录（2021-06-02）, 甲村标语（2021-05-12）, or the file's name."""
    if meeting is not None:
        where = meeting.village.name if meeting.village_id else "镇"
        return f"{where}{meeting.kind}会议记录（{meeting.held_on:%Y-%m-%d}）"
    if outreach is not None:
        return f"{outreach.village.name}{outreach.kind}（{outreach.held_on:%Y-%m-%d}）"
    return Path(original).stem


def _store(file: UploadedFile) -> tuple[str, int, str, str]:
    """Write the checked file under a random name; (stored name, size, sha256, content type)."""
    # Decoded, not sniffed: images are stored re-encoded without metadata (GPS), see kanjia/uploads.py.
    file_type, clean = clean_upload(file, max_size=MAX_SIZE, allowed=FILE_TYPES)
    directory = records_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + file_type.extension
    path = directory / stored_name
    digest, written = hashlib.sha256(), 0
    # O_EXCL: never overwrite; 0o600: readable by the application only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in clean.chunks():
                written += len(chunk)
                if written > MAX_SIZE:  # the declared size lied
                    raise ValidationError("单个文件不能超过 20 MB。")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored_name, written, digest.hexdigest(), file_type.content_type


def record_upload(
    *,
    town: Town,
    kind: RecordKind,
    file: UploadedFile,
    by: AbstractBaseUser,
    campaign: Campaign | None = None,
    year: int | None = None,
    title: str = "",
    note: str = "",
    meeting: Meeting | None = None,
    outreach: Outreach | None = None,
) -> RecordDocument:
    """File one document in the town's or a campaign's file; bad input: ValidationError (Chinese), nothing saved."""
    if meeting is not None:
        allowed = can_change_meeting(user=by, meeting=meeting)
    elif outreach is not None:
        allowed = outreach_refusal(user=by, village=outreach.village) is None
    else:
        allowed = can_file_records(user=by)
    if not allowed:
        raise PermissionDenied("综合档案和财务档案由镇民政办归档。")
    owner = meeting or outreach
    if owner is not None:
        campaign, town = owner.campaign, owner.town
        year = (meeting.held_on if meeting is not None else outreach.held_on).year
    errors: dict[str, str] = {}
    if not kind.active:
        errors["kind"] = "该材料类别已停用。"
    year = campaign.scope_date.year if campaign is not None else (year or timezone.localdate().year)
    if not 2000 <= year <= 2100:
        errors["year"] = "年度不正确。"
    try:
        check_upload(file, max_size=MAX_SIZE, allowed=FILE_TYPES)
    except ValidationError as error:
        errors["file"] = error.messages[0]
    if errors:
        raise ValidationError(errors)

    try:
        stored_name, size, sha256, content_type = _store(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    original = Path(file.name or "未命名").name[:200]
    try:
        with transaction.atomic():
            document = RecordDocument(
                town=town,
                campaign=campaign,
                year=year,
                kind=kind,
                box=box_for(town=town, file=kind.file, campaign=campaign, year=year, by=by),
                meeting=meeting,
                outreach=outreach,
                village=owner.village if owner is not None else None,
                title=(title.strip() or default_title(meeting=meeting, outreach=outreach, original=original))[:200],
                original_name=original,
                stored_name=stored_name,
                content_type=content_type,
                size=size,
                sha256=sha256,
                note=note.strip()[:200],
                uploaded_by=by,
                keep_until=keep_until_for(kind=kind, filed_on=timezone.localdate()),
            )
            document._history_user = by
            document.save()
    except BaseException:
        (records_dir() / stored_name).unlink(missing_ok=True)
        raise
    return document


def record_attach(*, obj: Meeting | Outreach, file: UploadedFile, by: AbstractBaseUser) -> RecordDocument:
    """File a meeting's minutes or an outreach photo under the kind configured for it."""
    meeting = obj if isinstance(obj, Meeting) else None
    outreach = obj if isinstance(obj, Outreach) else None
    kind = kind_for(meeting=meeting, outreach=outreach)
    if kind is None:
        what = f"{meeting.kind}会议记录" if meeting is not None else "政策宣传记录"
        raise ValidationError({"file": f"没有启用的“{what}”材料类别，请镇民政办在综合档案材料类别中设置。"})
    return record_upload(town=obj.town, kind=kind, file=file, by=by, meeting=meeting, outreach=outreach)


def record_delete(*, document: RecordDocument, by: AbstractBaseUser) -> None:
    """Delete a document whose retention period is over (town office only)."""
    if not can_file_records(user=by):
        raise PermissionDenied("只有镇民政办可以删除档案材料。")
    with transaction.atomic():
        document = RecordDocument.objects.select_for_update().select_related("kind").get(pk=document.pk)
        if document.keep_until is None:
            raise ValidationError(f"“{document.kind}”为永久保存的材料，不能删除。")
        if timezone.localdate() <= document.keep_until:
            raise ValidationError(f"该材料须保管至{document.keep_until:%Y年%m月%d日}，期满前不能删除。")
        path = record_path(document)
        document._history_user = by
        document.delete()
        # The file goes only once the row's deletion is committed.
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


# --- Kinds (office data) -------------------------------------------------------------------------


def kind_update(
    *,
    kind: RecordKind,
    by: AbstractBaseUser,
    retention_years: int | None,
    phase: str,
    expected: bool,
    active: bool,
    description: str = "",
) -> RecordKind:
    """Change a kind's retention, phase and expectation; its documents' retention dates follow."""
    if not can_file_records(user=by):
        raise PermissionDenied("综合档案材料类别由镇民政办设置。")
    errors: dict[str, str] = {}
    if retention_years is not None and not 1 <= retention_years <= 100:
        errors["retention_years"] = "保管期限为 1 至 100 年，留空为永久。"
    if phase and phase not in dict(PHASES):
        errors["phase"] = "阶段不正确。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        kind = RecordKind.objects.select_for_update().get(pk=kind.pk)
        changed_retention = kind.retention_years != retention_years
        kind.retention_years, kind.phase, kind.expected, kind.active = retention_years, phase, expected, active
        kind.description = description.strip()[:200]
        kind._history_user = by
        kind.save()
        if changed_retention:
            records_refresh_retention(kind_ids=[kind.pk], by=by)
    return kind


def records_refresh_retention(*, kind_ids: list[int] | None = None, by: AbstractBaseUser | None = None) -> int:
    """Recompute keep_until from each document's kind (after a retention changed); returns how many changed."""
    documents = RecordDocument.objects.select_related("kind")
    if kind_ids is not None:
        documents = documents.filter(kind_id__in=kind_ids)
    changed = []
    for document in documents:
        keep = keep_until_for(kind=document.kind, filed_on=timezone.localtime(document.uploaded_at).date())
        if keep != document.keep_until:
            document.keep_until = keep
            changed.append(document)
    if changed:
        bulk_update_with_history(
            changed, RecordDocument, ["keep_until"], default_user=by, default_change_reason="保管期限随材料类别调整"
        )
    return len(changed)
