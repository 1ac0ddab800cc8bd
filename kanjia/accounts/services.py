"""Accounts and roles, administered by the 系统管理员 (issue 17).

- The system administrator creates accounts, corrects names, resets passwords (the password rules
  apply), disables and enables accounts, and lifts django-axes login lockouts.
- Roles are requested on the same page. Taking away a role, and giving 纪委监察 or 系统管理员, applies at
  once. Giving a case-deciding role (镇民政办 reviews, 区民政局 approves) waits until a second person —
  an active member of the town office, neither the requester nor the account itself — confirms it. So
  no administrator can make anyone, themselves included, a decider alone.
- 清理小组 is never given here: team membership and its village grants go through review's team services.
- Every role change is a `RoleChange` row and every account action an `AccountEvent` row, both with
  history: they are in the audit trail with who asked, who confirmed and when.
"""

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from households.models import Town
from households.towns.selectors import town_ids_of
from households.towns.services import town_assign, town_unassign
from kanjia import roles
from kanjia.accounts.selectors import can_confirm_roles, can_manage_accounts
from kanjia.models import AccountEvent, RoleChange

User = get_user_model()

# Roles whose holders take decisions on cases: a second person confirms giving them.
DECIDING_ROLES = (roles.TOWN_OFFICE, roles.DISTRICT)
# Roles this page gives or takes (清理小组 goes through review.teams.services).
ASSIGNABLE_ROLES = (roles.TOWN_OFFICE, roles.DISTRICT, roles.INSPECTOR, roles.DISTRICT_INSPECTOR, roles.SYSADMIN)


def _require_admin(by: AbstractBaseUser) -> None:
    if not can_manage_accounts(user=by):
        raise PermissionDenied("只有系统管理员可以管理账号。")


def _event(user: AbstractBaseUser, action: str, by: AbstractBaseUser, note: str = "") -> AccountEvent:
    event = AccountEvent(user=user, action=action, by=by, note=note[:200])
    event._history_user = by
    event.save()
    return event


def _forget_cached_roles(user: AbstractBaseUser) -> None:
    for attr in ("_kanjia_roles", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def account_create(*, username: str, full_name: str, password: str, by: AbstractBaseUser) -> AbstractBaseUser:
    """A new account with no role: roles are requested afterwards (and confirmed where needed)."""
    _require_admin(by)
    username, full_name = (username or "").strip(), (full_name or "").strip()
    errors = {}
    if not username:
        errors["username"] = "请填写用户名。"
    elif User.objects.filter(username=username).exists():
        errors["username"] = "该用户名已被使用。"
    if not full_name:
        errors["full_name"] = "请填写姓名。"
    try:
        validate_password(password, User(username=username, first_name=full_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, first_name=full_name)
        _event(user, AccountEvent.Action.CREATE, by, f"姓名：{full_name}")
    return user


def account_rename(*, user: AbstractBaseUser, full_name: str, by: AbstractBaseUser) -> AbstractBaseUser:
    _require_admin(by)
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": "请填写姓名。"})
    with transaction.atomic():
        old = user.get_full_name()
        user.first_name, user.last_name = full_name, ""
        user.save(update_fields=["first_name", "last_name"])
        _event(user, AccountEvent.Action.EDIT, by, f"{old or '（空）'} → {full_name}")
    return user


def password_reset(*, user: AbstractBaseUser, password: str, by: AbstractBaseUser) -> None:
    """Set a new password (the same rules as everywhere); the old sessions end with it."""
    _require_admin(by)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _event(user, AccountEvent.Action.PASSWORD, by)


def account_set_active(*, user: AbstractBaseUser, active: bool, by: AbstractBaseUser, note: str = "") -> None:
    """停用 (the account can no longer sign in; its records stay) or 启用."""
    _require_admin(by)
    if user.pk == by.pk and not active:
        raise ValidationError("不能停用自己正在使用的账号。")
    if user.is_active == active:
        return
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        _event(user, AccountEvent.Action.ACTIVATE if active else AccountEvent.Action.DEACTIVATE, by, note)


def account_unlock(*, user: AbstractBaseUser, by: AbstractBaseUser) -> int:
    """Lift the django-axes lockout (5 failed sign-ins) of the account, from every address."""
    _require_admin(by)
    with transaction.atomic():
        removed = axes_reset(username=user.get_username())
        _event(user, AccountEvent.Action.UNLOCK, by, f"清除失败登录记录 {removed} 条")
    return removed


# --- Roles ---------------------------------------------------------------------------------------


def _apply(change: RoleChange) -> None:
    user = change.user
    group, _ = Group.objects.get_or_create(name=change.role)
    if change.change == RoleChange.Change.ADD:
        user.groups.add(group)
        if change.town_id:  # a town-level role acts for its town (issue 19)
            town_assign(user=user, town=change.town)
    else:
        user.groups.remove(group)
        if change.town_id and not roles.has_role(user, *(set(roles.TOWN_LEVEL) - {change.role})):
            town_unassign(user=user, town=change.town)
    if change.role == roles.SYSADMIN:  # the admin site needs is_staff
        user.is_staff = change.change == RoleChange.Change.ADD
        user.save(update_fields=["is_staff"])
    _forget_cached_roles(user)


def _role_town(role: str, town: Town | None) -> Town | None:
    """The town a town-level role is given for: required once the deployment has several towns."""
    if role not in roles.TOWN_LEVEL:
        return None
    if town is not None:
        return town
    towns = list(Town.objects.all()[:2])
    if len(towns) != 1:
        raise ValidationError({"town": f"“{role}”须选择所在乡镇。"})
    return towns[0]


def role_request(
    *,
    user: AbstractBaseUser,
    role: str,
    change: str,
    by: AbstractBaseUser,
    reason: str = "",
    town: Town | None = None,
) -> RoleChange:
    """Give or take a role. Giving 镇民政办 or 区民政局 waits for the town office's confirmation
    (for 镇民政办: of the same town)."""
    _require_admin(by)
    if role == roles.VILLAGE_TEAM:
        raise ValidationError({"role": "清理小组成员由镇民政办在“清理小组”页面添加（同时授予所负责的村）。"})
    if role not in ASSIGNABLE_ROLES:
        raise ValidationError({"role": "请选择角色。"})
    if change not in RoleChange.Change.values:
        raise ValidationError({"change": "请选择授予或撤销。"})
    held = user.groups.filter(name=role).exists()
    if change == RoleChange.Change.ADD and held:
        raise ValidationError({"role": f"该账号已有“{role}”角色。"})
    if change == RoleChange.Change.REMOVE and not held:
        raise ValidationError({"role": f"该账号没有“{role}”角色。"})
    if change == RoleChange.Change.ADD:
        _check_not_in_team(user, role)
    if change == RoleChange.Change.REMOVE and role == roles.SYSADMIN and user.pk == by.pk:
        raise ValidationError({"role": "不能撤销自己的系统管理员角色，请由另一名系统管理员办理。"})
    pending = change == RoleChange.Change.ADD and role in DECIDING_ROLES
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        town = _role_town(role, town)
        if RoleChange.objects.filter(user=user, role=role, state=RoleChange.State.PENDING).exists():
            raise ValidationError({"role": f"该账号的“{role}”角色已有待确认的申请。"})
        row = RoleChange(
            user=user,
            role=role,
            town=town,
            change=change,
            reason=(reason or "").strip()[:200],
            requested_by=by,
            state=RoleChange.State.PENDING if pending else RoleChange.State.APPLIED,
            decided_at=None if pending else timezone.now(),
        )
        row._history_user = by
        row.save()
        if not pending:
            _apply(row)
    return row


def _decide(change: RoleChange, by: AbstractBaseUser, state: str, reason: str = "") -> RoleChange:
    with transaction.atomic():
        row = RoleChange.objects.select_for_update().select_related("user").get(pk=change.pk)
        if row.state != RoleChange.State.PENDING:
            raise ValidationError(f"该申请已{row.state}，请刷新页面。")
        row.state, row.decided_by, row.decided_at = state, by, timezone.now()
        if reason:
            row.reason = f"{row.reason}；{reason}".strip("；")[:200]
        row._history_user = by
        row.save()
        if state == RoleChange.State.APPLIED:
            _apply(row)
    return row


def _check_second_person(change: RoleChange, by: AbstractBaseUser) -> None:
    if not can_confirm_roles(user=by):
        raise PermissionDenied("角色授予须由镇民政办确认。")
    towns = town_ids_of(user=by)
    if change.town_id and towns is not None and change.town_id not in towns:
        raise PermissionDenied("只能确认本镇的角色授予。")
    if by.pk == change.requested_by_id:
        raise ValidationError("申请人不能确认自己提出的申请：须由另一人确认。")
    if by.pk == change.user_id:
        raise ValidationError("不能确认授予自己的角色：须由另一人确认。")


def _check_not_in_team(user: AbstractBaseUser, role: str) -> None:
    if role in roles.NOT_TEAM_ROLES and roles.has_role(user, roles.VILLAGE_TEAM):
        raise ValidationError(
            {"role": f"该账号是清理小组成员，不能同时担任“{role}”：请先由镇民政办在“清理小组”页面将其移出小组。"}
        )


def role_confirm(*, change: RoleChange, by: AbstractBaseUser) -> RoleChange:
    """The second person (town office) confirms: the role is given now."""
    _check_second_person(change, by)
    if change.change == RoleChange.Change.ADD:
        _check_not_in_team(change.user, change.role)  # joined a team while the request waited
    return _decide(change, by, RoleChange.State.APPLIED)


def role_reject(*, change: RoleChange, by: AbstractBaseUser, reason: str = "") -> RoleChange:
    _check_second_person(change, by)
    return _decide(change, by, RoleChange.State.REJECTED, reason)


def role_withdraw(*, change: RoleChange, by: AbstractBaseUser) -> RoleChange:
    """The requester takes back a request not yet confirmed."""
    if by.pk != change.requested_by_id or not can_manage_accounts(user=by):
        raise PermissionDenied("只有申请人可以撤回申请。")
    with transaction.atomic():
        row = RoleChange.objects.select_for_update().get(pk=change.pk)
        if row.state != RoleChange.State.PENDING:
            raise ValidationError(f"该申请已{row.state}，请刷新页面。")
        row.state, row.decided_at = RoleChange.State.WITHDRAWN, timezone.now()
        row._history_user = by
        row.save()
    return row
