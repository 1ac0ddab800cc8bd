"""Writes to the registry: a household with its members, assets and income items.

One call saves everything in one transaction or nothing. Edits carry the
`version` they were based on; an edit based on an old version is refused
(optimistic concurrency, SECURITY.md). Sex and birth date come from the ID
number, the head's name and the covered-person count are kept in step, and the
automatic review flags are re-evaluated after every save. Every saved object
carries the acting user for its history record, so the same code is correct in
a request, a command or a Celery task.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from households import idcard
from households.conflicts.selectors import NEUTRAL, THROTTLED, IdCheck, id_holders_check
from households.conflicts.services import id_conflicts_record
from households.flags import evaluate_flags
from households.hooks import households_changed
from households.models import Asset, Household, IdConflict, IncomeItem, Member
from kanjia.access import log_access
from kanjia.models import AccessLog

HOUSEHOLD_FIELDS = frozenset(
    {"village", "group", "address", "area", "category", "phone", "bank_name", "bank_account", "start_month"}
)
# In form order: households.forms.MemberForm shows exactly these fields.
MEMBER_FORM_FIELDS = (
    "name",
    "relation",
    "health",
    "illness",
    "disability",
    "disability_grade",
    "disability_cert",
    "work_capacity",
    "employment",
    "is_student",
    "pays_provident_fund",
    "covered",
    "died_on",
    "moved_out_on",
)
MEMBER_FIELDS = frozenset(MEMBER_FORM_FIELDS)
ASSET_FIELDS = frozenset({"kind", "description", "quantity", "value"})
INCOME_FIELDS = frozenset({"member", "kind", "counted", "monthly_amount", "source", "period_start", "period_end"})
STALE_VERSION = (
    "此户信息在您编辑期间已被他人修改并保存（您编辑的是第 {mine} 版，当前为第 {now} 版）。"
    "请重新打开编辑页面，核对后再保存。"
)
CONFLICT = "保存失败：有家庭成员的身份证号码已在其他户登记为在册成员，请核对后再保存。"


@dataclass
class HouseholdInput:
    """What a form (or an import) hands over.

    `fields` holds household fields (only HOUSEHOLD_FIELDS; a missing key keeps
    the stored value). Each row of `members`, `assets` and `incomes` is a dict of
    that model's fields plus `id` (None for a new row) and `delete`. A member
    row's `id_number` may be empty for an existing member: the stored number is
    kept (forms show it masked). An income row for a member added in the same
    save carries `member_row` (that member's position in `members`) instead of
    `member`.
    """

    fields: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    incomes: list[dict[str, Any]] = field(default_factory=list)


def household_create(*, data: HouseholdInput, by: AbstractBaseUser | None) -> Household:
    household = Household(status=Household.Status.APPLYING)
    return _save_atomically(household=household, data=data, by=by, version=None)


def household_update(
    *, household: Household, version: int, data: HouseholdInput, by: AbstractBaseUser | None
) -> Household:
    return _save_atomically(household=household, data=data, by=by, version=version)


def _save_atomically(*, household: Household, data: HouseholdInput, by, version: int | None) -> Household:
    check = IdCheck()
    try:
        with transaction.atomic():
            if version is not None:
                household = Household.objects.select_for_update().get(pk=household.pk)
                if household.version != version:
                    raise ValidationError(STALE_VERSION.format(mine=version, now=household.version), code="stale")
                household.version += 1
            household = _save(household=household, data=data, by=by, check=check)
            evaluate_flags(household=household, by=by)
            households_changed(household_ids=[household.pk], by=by)
    except IntegrityError as exc:
        # The unique constraint on current ID numbers caught a race the checks missed.
        raise ValidationError(CONFLICT, code="conflict") from exc
    finally:
        # Outside the transaction: a refused save still leaves the record of what it was told.
        id_conflicts_record(check=check, user=by, source=IdConflict.Source.SERVICE, village_id=household.village_id)
    return household


def _apply(obj, values: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(values) - allowed - {"id", "delete", "id_number"}
    if unknown:
        raise TypeError(f"fields not writable here: {sorted(unknown)}")
    for name in allowed & set(values):
        setattr(obj, name, values[name])


def _members(
    household: Household, rows: list[dict], errors: list[str]
) -> tuple[list[Member], list[Member], dict[int, Member]]:
    """(members kept, members dropped, {row position: member kept}) from the member rows."""
    existing = {m.pk: m for m in household.members.all()} if household.pk else {}
    keep, drop, by_row = [], [], {}
    for position, row in enumerate(rows):
        member = existing.get(row.get("id")) if row.get("id") else Member(household=household)
        if member is None:
            errors.append("要修改的家庭成员不属于此户。")
            continue
        if row.get("delete"):
            if member.pk:
                drop.append(member)
            continue
        _apply(member, row, MEMBER_FIELDS)
        raw = row.get("id_number") or ""
        if raw or not member.pk:
            try:
                info = idcard.parse(raw)
            except ValidationError as exc:
                errors.append(f"{member.name or '新成员'}：{exc.messages[0]}")
                continue
            member.id_number, member.sex, member.birth_date = info.number, info.sex, info.birth_date
        keep.append(member)
        by_row[position] = member
    return keep, drop, by_row


def _link_new_members(rows: list[dict], by_row: dict[int, Member], errors: list[str]) -> list[dict]:
    """Income rows whose `member_row` names a member row of this same save get that (maybe unsaved) member."""
    linked = []
    for row in rows:
        if "member_row" in row:
            row = dict(row)
            member = by_row.get(row.pop("member_row"))
            if member is None:
                errors.append("有收入项目所属的新增成员未能登记（已删除或信息有误），请重新选择这项收入属于谁。")
                continue
            row["member"] = member
        linked.append(row)
    return linked


def _check_members(household: Household, members: list[Member], errors: list[str], by, check: IdCheck) -> None:
    if not members:
        errors.append("每户至少要有一名家庭成员（户主）。")
        return
    heads = [m for m in members if m.relation == Member.Relation.HEAD and not m.moved_out_on]
    if len(heads) != 1:
        errors.append(f"每户须有且只有一名在册户主（当前为 {len(heads)} 名）。")
    numbers = [m.id_number for m in members]
    for number in {n for n in numbers if numbers.count(n) > 1}:
        errors.append(f"身份证号码 {idcard.mask(number)} 在本户中重复登记。")
    current = [m.id_number for m in members if not m.moved_out_on]
    stored = set(household.members.values_list("id_number", flat=True)) if household.pk else set()
    found = id_holders_check(user=by, numbers=current, known=stored, exclude_household_id=household.pk)
    check.hidden, check.withheld, check.throttled = found.hidden, found.withheld, found.throttled
    if found.throttled:
        errors.append(THROTTLED)
        return
    for number, other in found.visible.items():
        where = f"{other.household.village} {other.household.head_name}户"
        errors.append(f"身份证号码 {idcard.mask(number)} 已是{where}的在册成员，不能重复登记。")
    for number in found.hidden:  # outside the user's villages: no village, head or name
        errors.append(f"身份证号码 {idcard.mask(number)}：{NEUTRAL}")


def _rows(household: Household, model, related: str, rows: list[dict], allowed, errors) -> tuple[list, list]:
    existing = {o.pk: o for o in getattr(household, related).all()} if household.pk else {}
    keep, drop = [], []
    for row in rows:
        obj = existing.get(row.get("id")) if row.get("id") else model(household=household)
        if obj is None:
            errors.append(f"要修改的{model._meta.verbose_name}不属于此户。")
        elif row.get("delete"):
            if obj.pk:
                drop.append(obj)
        else:
            _apply(obj, row, allowed)
            keep.append(obj)
    return keep, drop


def _save(*, household: Household, data: HouseholdInput, by, check: IdCheck) -> Household:
    errors: list[str] = []
    _apply(household, data.fields, HOUSEHOLD_FIELDS)
    if household.group_id and household.group.village_id != household.village_id:
        errors.append("所选的组不属于所选的村(社区)。")
    members, dropped_members, members_by_row = _members(household, data.members, errors)
    _check_members(household, members, errors, by, check)
    assets, dropped_assets = _rows(household, Asset, "assets", data.assets, ASSET_FIELDS, errors)
    income_rows = _link_new_members(data.incomes, members_by_row, errors)
    incomes, dropped_incomes = _rows(household, IncomeItem, "incomes", income_rows, INCOME_FIELDS, errors)
    kept_ids = {m.pk for m in members if m.pk}
    added = {id(m) for m in members if not m.pk}
    for item in incomes:
        member = item.member
        if member is not None and (member.pk not in kept_ids if member.pk else id(member) not in added):
            errors.append(f"收入项目“{item.get_kind_display()}”所属成员不在本户或已被删除。")
    if errors:
        raise ValidationError(errors)

    household._history_user = by
    if household.pk is None:
        household.save()
    dropped_ids = {m.pk for m in dropped_members}
    # A removed member's income items go with them, each with its own history row.
    orphans = IncomeItem.objects.filter(member_id__in=dropped_ids).exclude(pk__in=[i.pk for i in dropped_incomes])
    for obj in [*dropped_incomes, *orphans, *dropped_assets]:
        obj._history_user = by
        obj.delete()
    for obj in dropped_members:
        obj._history_user = by
        obj.delete()
    for obj in [*members, *assets, *incomes]:
        obj.household = household
        obj._history_user = by
        obj.save()

    head = next(m for m in members if m.relation == Member.Relation.HEAD and not m.moved_out_on)
    household.head, household.head_name = head, head.name
    household.covered_persons = sum(1 for m in members if m.covered and not m.died_on and not m.moved_out_on)
    household.save()
    return household


def member_id_reveal(*, member: Member, by: AbstractBaseUser, request: HttpRequest | None = None) -> str:
    """A full ID number for a user holding `households.reveal_id_number`, one access-log row per reveal.

    The household page and the admin both reveal through here (same permission, same log row).
    """
    if not by.has_perm("households.reveal_id_number"):
        raise PermissionDenied("您没有查看完整身份证号码的权限。")
    log_access(
        request=request,
        user=by,
        action=AccessLog.Action.REVEAL_ID,
        obj=member,
        village_id=member.household.village_id,
        detail=f"查看成员 {member.name} 的完整身份证号",
    )
    return member.id_number
