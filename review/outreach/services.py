"""Policy outreach (政策宣传) records: the town office for any village, a team for the villages it covers."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from households.models import Village
from households.selectors import villages_changeable_by
from kanjia import roles
from review import filing
from review.models import Campaign, Outreach

MAX_COUNT = 1_000_000


def outreach_refusal(*, user: AbstractBaseUser, village: Village | None) -> str | None:
    """Why `user` may not record outreach in `village` (any village when None); None when they may."""
    if not user.is_authenticated or roles.is_read_only(user):
        return "只读账号不能登记宣传记录。"
    if not roles.has_role(user, roles.TOWN_OFFICE, roles.VILLAGE_TEAM):
        return "政策宣传记录由镇民政办或清理小组登记。"
    villages = villages_changeable_by(user=user)
    if not (villages.filter(pk=village.pk) if village is not None else villages).exists():
        return "您只能登记本小组负责村(社区)的宣传记录。"
    return None


def outreach_create(
    *,
    by: AbstractBaseUser,
    village: Village,
    held_on: date,
    kind: str,
    count: int,
    campaign: Campaign | None = None,
    audience: int | None = None,
    note: str = "",
    photo: UploadedFile | None = None,
) -> Outreach:
    """Record one outreach activity (and file its photo when given: all or nothing)."""
    refusal = outreach_refusal(user=by, village=village)
    if refusal:
        raise PermissionDenied(refusal)
    errors: dict[str, str] = {}
    if kind not in Outreach.Kind.values:
        errors["kind"] = "请选择宣传形式。"
    if not held_on:
        errors["held_on"] = "请填写日期。"
    elif held_on > timezone.localdate():
        errors["held_on"] = "日期不能晚于今天。"
    if not count or not 0 < count <= MAX_COUNT:
        errors["count"] = "请填写数量（份、条、场、次）。"
    if audience is not None and not 0 <= audience <= MAX_COUNT:
        errors["audience"] = "受众人数不正确。"
    if kind == Outreach.Kind.OTHER and not note.strip():
        errors["note"] = "“其他”形式请说明做了什么。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = Outreach(
            town=village.town,
            campaign=campaign,
            village=village,
            held_on=held_on,
            kind=kind,
            count=count,
            audience=audience,
            note=note.strip()[:200],
            created_by=by,
        )
        record._history_user = by
        record.save()
        if photo is not None:
            try:
                filing.attach(obj=record, file=photo, by=by)
            except ValidationError as exc:
                raise ValidationError({"photo": exc.messages}) from exc
    return record


def outreach_attach(*, record: Outreach, file: UploadedFile, by: AbstractBaseUser) -> filing.FiledFile:
    refusal = outreach_refusal(user=by, village=record.village)
    if refusal:
        raise PermissionDenied(refusal)
    if not filing.can_attach():
        raise ValidationError("档案模块未启用，不能上传照片。")
    with transaction.atomic():
        return filing.attach(obj=record, file=file, by=by)
