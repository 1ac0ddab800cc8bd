"""The phone's pages and JSON endpoints (下载走访任务, 同步). Thin: selectors read, services write.

The app shell (`visit_app`) holds no personal data: the visit list and the forms
live on the phone, encrypted (static/js/visits/). JSON endpoints answer 401
instead of redirecting to the login page, so the phone can tell an expired
session from a refusal and keep its forms. CSRF is enforced as everywhere: the
phone fetches a fresh token from `visit_session` after each login.
"""

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from kanjia.access import log_access
from kanjia.models import AccessLog
from review.cases.selectors import cases_visible_to
from review.dynamic.spotchecks import checks_visible_to
from review.models import VisitSync
from review.visits import selectors, services

DEVICE_HEADER = "X-Visit-Device"
SW_FILE = Path(settings.BASE_DIR) / "static" / "js" / "visits" / "sw.js"


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def json_login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _json(
                {"login": reverse("login"), "reason": "登录已过期，请重新登录后再同步（手机上的表单不会丢失）。"}, 401
            )
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_safe
def visit_app(request: HttpRequest) -> HttpResponse:
    """The phone's app shell: cached by the service worker, filled from the phone's encrypted store."""
    return render(request, "review/visits/app.html", {"visitor": selectors.is_visitor(user=request.user)})


@login_required
@require_safe
def visit_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /review/visits/ so that its scope is the app."""
    response = HttpResponse(SW_FILE.read_text(encoding="utf-8"), content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("review:visit_app")
    return response


@require_safe
def visit_session(request: HttpRequest) -> JsonResponse:
    """Is the session alive (and a fresh CSRF token), and must this phone wipe itself?

    Without a session the answer is 401; with the phone's device token it still says
    whether the account was locked or deactivated (then the phone wipes everything).
    """
    device = services.device_for_token(token=request.headers.get(DEVICE_HEADER, ""))
    wipe = services.device_must_wipe(device=device) if device is not None else ""
    if not request.user.is_authenticated:
        return _json({"login": reverse("login"), "wipe": wipe}, 401)
    if device is not None and device.user_id != request.user.pk:
        device, wipe = None, ""
    return _json(
        {
            "user": request.user.pk,
            "name": request.user.get_full_name() or request.user.get_username(),
            "csrf": get_token(request),
            "visitor": selectors.is_visitor(user=request.user),
            "wipe": wipe,
        }
    )


@json_login_required
@require_POST
def visit_download(request: HttpRequest) -> JsonResponse:
    """下载走访任务: the user's visit list and empty forms, and the phone's device token."""
    try:
        device, token = services.device_register(
            user=request.user,
            device_id=request.POST.get("device", ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationError as exc:
        return _json({"reason": "；".join(exc.messages)}, 400)
    except PermissionDenied as exc:
        return _json({"reason": str(exc)}, 403)
    tasks = selectors.tasks_for(user=request.user)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.VISIT_DOWNLOAD,
        obj=device,
        detail=f"设备{device.device_id[:16]} 下载走访任务：入户调查{len(tasks['investigations'])}户，"
        f"抽查{len(tasks['spot_checks'])}户",
    )
    return _json({**tasks, "device_token": token})


@json_login_required
@require_POST
def visit_sync(request: HttpRequest) -> JsonResponse:
    """同步 one form: `form` (JSON) and its `photos`. Applied, conflict or invalid (200), 403, 404, 400."""
    device = services.device_for_token(token=request.headers.get(DEVICE_HEADER, ""))
    if device is None or device.user_id != request.user.pk:
        return _json({"reason": "本机尚未下载走访任务（或已在别处重新下载），请先下载走访任务。"}, 400)
    try:
        sent = json.loads(request.POST.get("form", ""))
        kind, target_id = sent["kind"], int(sent["target"])
        fields = sent.get("fields") or {}
        if not isinstance(fields, dict) or kind not in VisitSync.Kind.values:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return _json({"reason": "表单格式不正确。"}, 400)
    if kind == VisitSync.Kind.INVESTIGATION:
        target = cases_visible_to(user=request.user).select_related("household").filter(pk=target_id).first()
    else:
        target = checks_visible_to(user=request.user).select_related("household", "case").filter(pk=target_id).first()
    if target is None:
        return _json({"result": "无权", "reason": "没有找到该户，或该户不在您负责的范围内。"}, 404)
    client_id = str(sent.get("client_id") or "")[:64]
    saved_at = str(sent.get("saved_at") or "")
    try:
        outcome = services.visit_sync(
            user=request.user,
            device=device,
            kind=kind,
            target=target,
            client_id=client_id,
            token=str(sent.get("token") or ""),
            saved_at=saved_at,
            fields=fields,
            photos=request.FILES.getlist("photos"),
            base=sent.get("base") if isinstance(sent.get("base"), dict) else None,
        )
    except PermissionDenied as exc:
        _log(request, device, target, kind, saved_at, "无权")
        reason = getattr(exc, "text", None) or (str(exc.args[0]) if exc.args else "您无权办理。")
        return _json({"result": "无权", "applied": False, "reason": reason}, 403)
    _log(request, device, target, kind, saved_at, outcome.result)
    return _json(outcome.as_json())


def _log(request: HttpRequest, device, target, kind: str, saved_at: str, result: str) -> None:
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.VISIT_SYNC,
        obj=target,
        village_id=target.household.village_id,
        detail=f"设备{device.device_id[:16]} {kind} 手机离线保存于{saved_at[:25]} 同步结果：{result}"
        f"（服务器时间{timezone.localtime():%Y-%m-%d %H:%M:%S}）",
    )
