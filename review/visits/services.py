"""Writes for the phone: device registration and applying a phone's form (入户调查 or 听查看访).

A form goes through the web's own form class and service (`InvestigationForm` and
`workflow.investigation_visit_save`, flag dispositions through `dispose_flag`;
`CheckForm` and `spotchecks.check_record`), so a phone can do nothing the web
would refuse. Each form is applied in one transaction with its photos (filed
through `review.visits.hooks`): all of it or none of it. Before anything is
written, the form's token (what the phone downloaded) is compared with the
server's: if the case moved on, went to another team, was edited on the web or
by another phone, or the spot check was reassigned or recorded, the form is a
conflict and the server's version goes back to the phone for the person to
resolve. Every form sent is kept as a `VisitSync` row (what was sent, with the
reason when refused); a form applied once is not applied again when resent.
"""

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from households.flags import dispose_flag
from households.forms import FlagDispositionForm
from households.models import ReviewFlag
from households.selectors import households_changeable_by
from kanjia import roles
from review.cases import workflow
from review.cases.forms import InvestigationForm
from review.dynamic import spotchecks
from review.dynamic.forms import CheckForm
from review.models import Case, Investigation, SpotCheck, Status, VisitDevice, VisitSync
from review.visits import selectors
from review.visits.hooks import visit_photos_file

DEVICE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
MAX_PHOTOS = 6
MAX_FIELDS = 200
R = VisitSync.Result


@dataclass
class SyncResult:
    """What the phone is told about one form."""

    result: str
    reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    server: dict | None = None
    token: str = ""
    photos: int = 0

    def as_json(self) -> dict:
        return {
            "result": self.result,
            "applied": self.result == R.APPLIED,
            "reason": self.reason,
            "errors": self.errors,
            "server": self.server,
            "token": self.token,
            "photos": self.photos,
        }


class _Conflict(Exception):
    def __init__(self, reason: str, server: dict, token: str, can_overwrite: bool) -> None:
        super().__init__(reason)
        self.reason, self.server, self.token, self.can_overwrite = reason, server, token, can_overwrite


class _Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("；".join(m for ms in errors.values() for m in ms))
        self.errors = errors


# --- Devices ---------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_register(*, user: AbstractBaseUser, device_id: str, user_agent: str = "") -> tuple[VisitDevice, str]:
    """A download: the phone's device row and a fresh device token (only its hash is kept)."""
    if not DEVICE_ID.match(device_id or ""):
        raise ValidationError({"device": "手机的设备标识无效，请刷新页面后重试。"})
    if not selectors.is_visitor(user=user):
        raise PermissionDenied("走访任务只提供给清理小组成员和区民政局人员。")
    token = secrets.token_urlsafe(32)
    device = VisitDevice.objects.filter(user=user, device_id=device_id).first() or VisitDevice(
        user=user, device_id=device_id
    )
    device.token_hash = _hash(token)
    device.user_agent = (user_agent or "")[:200]
    device.downloaded_at = timezone.now()
    device.save()
    return device, token


def device_for_token(*, token: str) -> VisitDevice | None:
    if not token or len(token) > 100:
        return None
    return VisitDevice.objects.select_related("user").filter(token_hash=_hash(token)).first()


def device_must_wipe(*, device: VisitDevice) -> str:
    """Why the phone must wipe everything it holds ("" when it need not): account deactivated or locked."""
    user = device.user
    if not user.is_active:
        return "账号已停用"
    from axes.models import AccessAttempt

    since = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    locked = AccessAttempt.objects.filter(
        username=user.get_username(), failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).exists()
    return "账号已被锁定" if locked else ""


# --- One form --------------------------------------------------------------------------------------


def _querydict(fields: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in list(fields.items())[:MAX_FIELDS]:
        if isinstance(value, list):
            data.setlist(str(name), [str(v) for v in value[:50]])
        elif value is True:
            data[str(name)] = "on"
        elif value is None or value is False:
            continue
        else:
            data[str(name)] = str(value)
    return data


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _exc_errors(exc: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {f"{prefix}{name}": [m for e in errors for m in e.messages] for name, errors in exc.error_dict.items()}
    return {f"{prefix}__all__" if prefix else "__all__": list(exc.messages)}


def _saved_at(value: str) -> datetime:
    found = parse_datetime(value or "")
    if found is None:
        raise _Invalid({"saved_at": ["手机保存时间无效。"]})
    if timezone.is_naive(found):
        found = timezone.make_aware(found)
    return min(found, timezone.now())  # a phone clock ahead of time is not believed


def _record(
    *,
    user,
    device,
    kind,
    client_id,
    household_id,
    case=None,
    check=None,
    saved_at,
    result,
    reason="",
    payload=None,
    photos=0,
) -> VisitSync:
    return VisitSync.objects.create(
        user=user,
        device=device,
        client_id=client_id[:64],
        kind=kind,
        household_id=household_id,
        case=case,
        spot_check=check,
        saved_at=saved_at,
        result=result,
        reason=reason[:2000],
        payload=payload if result != R.APPLIED else {"fields": sorted(payload.get("fields", {}))},
        photos=photos,
    )


def visit_sync(
    *,
    user: AbstractBaseUser,
    device: VisitDevice | None,
    kind: str,
    target: Case | SpotCheck,
    client_id: str,
    token: str,
    saved_at: str,
    fields: dict,
    photos: Sequence = (),
    base: dict | None = None,
) -> SyncResult:
    """Apply one phone form to `target` (a case in 入户调查, or a spot check), all or nothing."""
    already = VisitSync.objects.filter(user=user, client_id=client_id, result=R.APPLIED).first()
    if already is not None:  # resent after a lost answer: applied once only
        return SyncResult(result=R.APPLIED, reason="该表单此前已同步。", photos=already.photos)
    household_id = target.household_id
    case = target if kind == VisitSync.Kind.INVESTIGATION else None
    check = target if kind == VisitSync.Kind.SPOT_CHECK else None
    payload = {"fields": fields, "token": token, "base": base or {}, "photos": len(photos)}
    common = {"user": user, "device": device, "kind": kind, "client_id": client_id, "household_id": household_id}
    try:
        when = _saved_at(saved_at)
        if len(photos) > MAX_PHOTOS:
            raise _Invalid({"photos": [f"每份表单最多 {MAX_PHOTOS} 张照片。"]})
        with transaction.atomic():
            if case is not None:
                _apply_investigation(case=case, token=token, fields=fields, by=user)
                note = f"手机走访：入户调查照片（案件#{case.pk}，{timezone.localtime(when):%Y-%m-%d %H:%M}拍摄保存）"
                filed_case = Case.objects.get(pk=case.pk)
            else:
                _apply_check(check=check, token=token, fields=fields, by=user)
                note = f"手机走访：区级抽查看访照片（抽查#{check.pk}，{timezone.localtime(when):%Y-%m-%d %H:%M}）"
                filed_case = check.case
            try:
                filed = visit_photos_file(
                    kind=kind, household=target.household, case=filed_case, files=photos, note=note, by=user
                )
            except ValidationError as exc:
                raise _Invalid({"photos": list(exc.messages)}) from exc
            _record(**common, case=case, check=check, saved_at=when, result=R.APPLIED, payload=payload, photos=filed)
            if device is not None:
                device.synced_at = timezone.now()
                device.save(update_fields=["synced_at"])
    except _Conflict as conflict:
        when = _safe_when(saved_at)
        _record(
            **common, case=case, check=check, saved_at=when, result=R.CONFLICT, reason=conflict.reason, payload=payload
        )
        server = {**conflict.server, "can_overwrite": conflict.can_overwrite}
        return SyncResult(result=R.CONFLICT, reason=conflict.reason, server=server, token=conflict.token)
    except _Invalid as invalid:
        when = _safe_when(saved_at)
        _record(**common, case=case, check=check, saved_at=when, result=R.INVALID, reason=str(invalid), payload=payload)
        return SyncResult(result=R.INVALID, reason="表单未通过校验，请按提示修改后再同步。", errors=invalid.errors)
    except PermissionDenied as denied:
        reason = getattr(denied, "text", None) or (str(denied.args[0]) if denied.args else "您无权办理。")
        _record(
            **common,
            case=case,
            check=check,
            saved_at=_safe_when(saved_at),
            result=R.REFUSED,
            reason=reason,
            payload=payload,
        )
        raise
    return SyncResult(result=R.APPLIED, reason="已同步，服务器已保存。", photos=filed)


def _safe_when(value: str) -> datetime:
    try:
        return _saved_at(value)
    except _Invalid:
        return timezone.now()


# --- 入户调查 --------------------------------------------------------------------------------------


def _investigation_conflict(case: Case, token: str) -> None:
    current = selectors.investigation_token(case=case)
    if token == current:
        return
    server = selectors.investigation_state(case=case)
    server["flags"] = selectors.flag_states(case=case)
    if case.status != Status.INVESTIGATION:
        reason = f"下载后本案已进入“{case.status}”环节，手机上的入户调查不能再保存到本案。"
        raise _Conflict(reason, server, current, can_overwrite=False)
    record = Investigation.objects.filter(case=case).select_related("updated_by").first()
    if record is not None and server.get("form"):
        who = record.updated_by.get_full_name() or record.updated_by.get_username()
        reason = (
            f"下载后，{who}已于{timezone.localtime(record.updated_at):%m月%d日 %H:%M}保存了本户的入户调查"
            "（网页或另一部手机），请对照差异后决定。"
        )
    else:
        reason = "下载后本案的负责小组或本户的重点复核标记已有变化，请对照差异后决定。"
    raise _Conflict(reason, server, current, can_overwrite=True)


def _apply_investigation(*, case: Case, token: str, fields: dict, by: AbstractBaseUser) -> None:
    case = Case.objects.select_for_update().get(pk=case.pk)
    # Who may send it at all, before the server's version is shown in a conflict.
    if not (
        roles.has_role(by, roles.VILLAGE_TEAM, roles.TOWN_OFFICE)
        and not roles.is_read_only(by)
        and households_changeable_by(user=by).filter(pk=case.household_id).exists()
    ):
        raise PermissionDenied("入户调查由负责该村的清理小组填写。")
    _investigation_conflict(case, token)
    errors: dict[str, list[str]] = {}
    form = InvestigationForm(_querydict(_with_checks_left_out(fields)), case=case)
    if not form.is_valid():
        errors.update(_form_errors(form))
    else:
        try:
            workflow.investigation_visit_save(case=case, by=by, data=form.to_data())
        except workflow.TransitionInvalid as exc:
            errors.update(_exc_errors(exc))
    flags = {f.pk: f for f in ReviewFlag.objects.filter(household_id=case.household_id)}
    for name, value in fields.items():
        match = re.fullmatch(r"flag_(\d+)_disposition", str(name))
        if not match or not value:
            continue
        flag = flags.get(int(match.group(1)))
        if flag is None:
            errors[name] = ["该重点复核标记不属于本户。"]
            continue
        if flag.disposition != ReviewFlag.Disposition.PENDING:
            continue  # disposed already: the token would have changed, so this is the same disposition
        flag_form = FlagDispositionForm({"disposition": value, "note": fields.get(f"flag_{flag.pk}_note", "")})
        if not flag_form.is_valid():
            errors.update({f"flag_{flag.pk}_{k}": v for k, v in _form_errors(flag_form).items()})
            continue
        try:
            dispose_flag(flag=flag, by=by, **flag_form.cleaned_data)
        except ValidationError as exc:
            errors.update(_exc_errors(exc, prefix=f"flag_{flag.pk}_"))
    if errors:
        raise _Invalid(errors)


def _with_checks_left_out(fields: dict) -> dict:
    """The phone's form has no economic-check replies; the web form's radio for each needs a value."""
    from review.models import EconomicCheck

    cleaned = {k: v for k, v in fields.items() if not str(k).startswith("check_")}
    cleaned.update({f"check_{s.value}_abnormal": "0" for s in EconomicCheck.Source})
    return cleaned


# --- 听查看访 -----------------------------------------------------------------------------------------


def _apply_check(*, check: SpotCheck, token: str, fields: dict, by: AbstractBaseUser) -> None:
    check = SpotCheck.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=check.pk)
    if not spotchecks.can_draw(user=by):
        raise PermissionDenied("听查看访记录由区民政局填写。")
    current = selectors.check_token(check=check)
    if token != current:
        server = selectors.check_state(check=check)
        if check.closed_at:
            raise _Conflict("下载后该户整改已销号，核查记录不能再修改。", server, current, can_overwrite=False)
        if check.assignee_id and check.assignee_id != by.pk:
            reason = f"下载后该户的抽查走访已改由{server['assignee']}负责。"
            raise _Conflict(reason, server, current, can_overwrite=False)
        reason = "下载后该户的听查看访记录已在网页或另一部手机上保存，请对照差异后决定。"
        raise _Conflict(reason, server, current, can_overwrite=True)
    if check.assignee_id and check.assignee_id != by.pk:
        raise PermissionDenied(
            f"该户的抽查走访由{check.assignee.get_full_name() or check.assignee.get_username()}负责。"
        )
    form = CheckForm(_querydict(fields))
    if not form.is_valid():
        raise _Invalid(_form_errors(form))
    try:
        spotchecks.check_record(check=check, data=form.cleaned_data, by=by)
    except ValidationError as exc:
        raise _Invalid(_exc_errors(exc)) from exc
