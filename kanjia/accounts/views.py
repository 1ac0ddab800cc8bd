"""Accounts and roles pages: the 系统管理员 manages accounts; the town office confirms deciding roles."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kanjia.accounts import selectors, services
from kanjia.accounts.forms import AccountCreateForm, PasswordForm, ReasonForm, RenameForm, RoleForm
from kanjia.forms import attach_errors
from kanjia.models import RoleChange


def _require_admin(request: HttpRequest) -> None:
    if not selectors.can_manage_accounts(user=request.user):
        raise PermissionDenied("账号与角色由系统管理员管理。")


@login_required
@require_http_methods(["GET", "POST"])
def account_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_create(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已新建账号 {user.username}。角色请在账号页面申请。")
            return redirect("accounts:account", pk=user.pk)
    q = request.GET.get("q", "").strip()[:50]
    context = {
        "accounts": selectors.account_list(q=q),
        "form": form,
        "q": q,
        "pending": selectors.role_changes_pending(user=request.user),
    }
    return render(request, "accounts/list.html", context, status=400 if form.errors else 200)


def _account(pk: int):
    account = selectors.account_detail(pk=pk)
    if account is None:
        raise Http404("账号不存在。")
    return account


def _render_account(request: HttpRequest, account, **forms) -> HttpResponse:
    context = {
        "account": account,
        "rename_form": forms.get("rename") or RenameForm(initial={"full_name": account.get_full_name()}),
        "password_form": forms.get("password") or PasswordForm(),
        "role_form": forms.get("role") or RoleForm(),
        "deciding_roles": services.DECIDING_ROLES,
        **selectors.account_trail(user=account),
    }
    status = 400 if any(f.errors for f in forms.values() if f is not None) else 200
    return render(request, "accounts/detail.html", context, status=status)


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    return _render_account(request, _account(pk))


ACTIONS = {
    "rename": (RenameForm, lambda a, d, by: services.account_rename(user=a, by=by, **d), "已修改姓名。"),
    "password": (PasswordForm, lambda a, d, by: services.password_reset(user=a, by=by, **d), "已重置密码。"),
    "role": (RoleForm, lambda a, d, by: services.role_request(user=a, by=by, **d), None),
    "deactivate": (
        ReasonForm,
        lambda a, d, by: services.account_set_active(user=a, active=False, by=by, note=d["reason"]),
        "已停用账号。",
    ),
    "activate": (
        ReasonForm,
        lambda a, d, by: services.account_set_active(user=a, active=True, by=by, note=d["reason"]),
        "已启用账号。",
    ),
    "unlock": (ReasonForm, lambda a, d, by: services.account_unlock(user=a, by=by), "已解除登录锁定。"),
}


@login_required
@require_POST
def account_post(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    _require_admin(request)
    account = _account(pk)
    if what not in ACTIONS:
        raise Http404("没有这项操作。")
    form_class, act, done = ACTIONS[what]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = act(account, form.cleaned_data, request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if isinstance(result, RoleChange):
                done = (
                    f"已申请{result.get_change_display()}“{result.role}”角色，须由镇民政办另一人确认后生效。"
                    if result.state == RoleChange.State.PENDING
                    else f"已{result.get_change_display()}“{result.role}”角色。"
                )
            messages.success(request, done)
            return redirect("accounts:account", pk=account.pk)
    key = what if what in ("rename", "password", "role") else None
    if key is None:
        messages.error(request, "；".join(m for errors in form.errors.values() for m in errors))
        return redirect("accounts:account", pk=account.pk)
    return _render_account(request, account, **{key: form})


@login_required
def role_changes(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_role_changes(user=request.user):
        raise PermissionDenied("角色变更由系统管理员申请、镇民政办确认。")
    context = {
        "pending": selectors.role_changes_pending(user=request.user),
        "recent": selectors.role_changes_recent(user=request.user),
        "can_confirm": selectors.can_confirm_roles(user=request.user),
        "reason_form": ReasonForm(),
    }
    return render(request, "accounts/roles.html", context)


@login_required
@require_POST
def role_change_post(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    if not selectors.can_see_role_changes(user=request.user):
        raise PermissionDenied("角色变更由系统管理员申请、镇民政办确认。")
    change = get_object_or_404(selectors.role_changes_visible_to(user=request.user), pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "") if hasattr(form, "cleaned_data") else ""
    try:
        if what == "confirm":
            services.role_confirm(change=change, by=request.user)
            messages.success(
                request, f"已确认：{change.user.get_full_name() or change.user.username} 获得“{change.role}”角色。"
            )
        elif what == "reject":
            services.role_reject(change=change, by=request.user, reason=reason)
            messages.success(request, "已拒绝该申请。")
        elif what == "withdraw":
            services.role_withdraw(change=change, by=request.user)
            messages.success(request, "已撤回该申请。")
        else:
            raise Http404("没有这项操作。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("accounts:roles")
