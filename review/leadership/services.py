"""The campaign's leadership group (领导小组): who is in it and in which role (组长, 副组长, 成员).

The town office sets it. One 组长 per campaign (a database constraint backs the
check); setting a person already in the group changes their role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from kanjia import roles
from review.models import Campaign, LeadershipMember

Role = LeadershipMember.Role


def can_manage_leadership(*, user: AbstractBaseUser) -> bool:
    return user.is_authenticated and roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user)


def _require(by: AbstractBaseUser) -> None:
    if not can_manage_leadership(user=by):
        raise PermissionDenied("领导小组由镇民政办设置。")


def leadership_set(
    *, campaign: Campaign, user: AbstractBaseUser, role: str, by: AbstractBaseUser, duty: str = ""
) -> LeadershipMember:
    """Put `user` in the campaign's leadership group with `role` (or change their role)."""
    _require(by)
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = "请选择职务（组长、副组长或成员）。"
    if not get_user_model().objects.filter(pk=user.pk, is_active=True).exists():
        errors["user"] = "该账号已停用，不能加入领导小组。"
    head = LeadershipMember.objects.filter(campaign=campaign, role=Role.HEAD).exclude(user=user).first()
    if role == Role.HEAD and head is not None:
        errors["role"] = (
            f"领导小组已有组长（{head.user.get_full_name() or head.user.username}），请先将其改为其他职务。"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = LeadershipMember.objects.select_for_update().filter(campaign=campaign, user=user).first()
        if member is None:
            last = LeadershipMember.objects.filter(campaign=campaign).aggregate(n=Max("order"))["n"] or 0
            member = LeadershipMember(campaign=campaign, user=user, order=last + 10)
        elif member.role == role and member.duty == duty.strip()[:50]:
            return member  # nothing changes: no history row
        member.role, member.duty = role, duty.strip()[:50]
        member._history_user = by
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError as exc:  # a concurrent 组长
            raise ValidationError({"role": "领导小组只能有一名组长。"}) from exc
    return member


def leadership_remove(*, member: LeadershipMember, by: AbstractBaseUser) -> None:
    _require(by)
    member._history_user = by
    member.delete()
