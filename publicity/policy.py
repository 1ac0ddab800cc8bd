"""The policy sheet (政策宣传单) text: who may read and change it, and saving it.

The 镇民政办 edits the text on the publicity pages (the system administrator
can still use /admin/); 区民政局 and 纪委监察 read it. The newest active
`PolicySheet` is what `publicity.notices.policy_context` prints; saving changes
that row in place (or creates the first one), so its history records every
version with the acting user.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from kanjia import roles
from publicity.models import PolicySheet
from publicity.rounds import can_manage_rounds

TITLE_MAX = 100
BODY_MAX = 5000


def can_read_policy(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return roles.reads_whole_town(user)


def can_edit_policy(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return can_manage_rounds(user=user)


def _normalise(body: str) -> str:
    lines = [line.strip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def policy_save(*, title: str, body: str, by: AbstractBaseUser) -> PolicySheet:
    """Save the printed policy text (one paragraph per line). Bad input raises ValidationError, nothing saved."""
    if not can_edit_policy(user=by):
        raise PermissionDenied("政策宣传单由镇民政办修改。")
    title, body = title.strip(), _normalise(body)
    errors = {}
    if not title:
        errors["title"] = "请填写标题。"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"标题不能超过 {TITLE_MAX} 字。"
    if not body:
        errors["body"] = "请填写正文（每段一行）。"
    elif len(body) > BODY_MAX:
        errors["body"] = f"正文不能超过 {BODY_MAX} 字。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sheet = PolicySheet.objects.select_for_update().filter(active=True).first() or PolicySheet(active=True)
        sheet.title, sheet.body, sheet.updated_by = title, body, by
        sheet._history_user = by
        sheet.save()
    return sheet
