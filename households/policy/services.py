"""Writes to the town office's rules: 保障标准, 分类施保类别, 财产核查规则 (issue 3).

These are data edited by the town office, never constants in code. Standards
are dated: the benefit of a month is computed with the standard in force on its
first day (households.benefit), so a standard that has come into force is never
changed or deleted, and a new one may not start before today; a change of
standard is a new dated row. A category that a household uses (now or in its
history) is deactivated rather than deleted.

Every write runs in one transaction and records the acting user on its history
row (`_history_user`), so the same code is right in a request, a command or a task.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from households.hooks import households_changed
from households.models import (
    Area,
    AssetKind,
    Category,
    Household,
    Member,
    MemberCategory,
    PropertyRule,
    Rounding,
    Standard,
    SupplementRule,
    Town,
)
from households.paychecks.services import policy_changed

IN_FORCE = (
    "这条保障标准已于 {day:%Y年%m月%d日} 起执行，不能再修改或删除：已执行月份的保障金按当时的标准计算。"
    "如需调整，请新增一条执行起始日期在今天或以后的标准。"
)
BACKDATED = "执行起始日期不能早于今天（{today:%Y年%m月%d日}）：已执行月份的保障金按当时的标准计算，不能追溯修改。"
DUPLICATE_STANDARD = (
    "{town}{area}在 {day:%Y年%m月%d日} 已有一条保障标准，同一日期只能有一条；请修改那一条或换一个日期。"
)
DUPLICATE_CATEGORY = "{town}已有名为“{name}”的分类施保类别，请换一个名称。"
NO_LIMIT = "数量上限和价值上限至少要填写一项，否则这条规则不起作用。"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def standard_in_force_since(*, standard: Standard, today: date | None = None) -> bool:
    """Has this standard started? (Then months may have been computed with it.)"""
    return standard.effective_from <= _today(today)


# --- 保障标准 ------------------------------------------------------------------------


def _check_standard(*, standard: Standard, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if standard.monthly_amount is None or standard.monthly_amount < 0:
        errors["monthly_amount"] = ["月保障标准不能为负数。"]
    if standard.effective_from is None:
        errors["effective_from"] = ["请填写执行起始日期。"]
    elif standard.effective_from < today:
        errors["effective_from"] = [BACKDATED.format(today=today)]
    elif (
        Standard.objects.filter(town=standard.town, area=standard.area, effective_from=standard.effective_from)
        .exclude(pk=standard.pk)
        .exists()
    ):
        errors["effective_from"] = [
            DUPLICATE_STANDARD.format(town=standard.town, area=standard.area, day=standard.effective_from)
        ]
    if standard.rounding not in Rounding.values:
        errors["rounding"] = ["请选择保障金取整方式。"]
    if errors:
        raise ValidationError(errors)


def _save(obj, *, by: AbstractBaseUser | None, duplicate: dict[str, list[str]]):
    """Save with the acting user on the history row. A unique constraint hit (another officer
    saved the same thing a moment earlier) becomes the `duplicate` field error."""
    obj._history_user = by
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(duplicate) from exc
    policy_changed(town_id=obj.town_id)
    return obj


def _save_standard(*, standard: Standard, by: AbstractBaseUser | None) -> Standard:
    message = DUPLICATE_STANDARD.format(town=standard.town, area=standard.area, day=standard.effective_from)
    return _save(standard, by=by, duplicate={"effective_from": [message]})


def standard_create(
    *,
    town: Town,
    area: str,
    monthly_amount: Decimal,
    effective_from: date,
    note: str = "",
    rounding: str = Rounding.YUAN,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> Standard:
    if area not in Area.values:
        raise ValidationError({"area": ["请选择城市或农村。"]})
    standard = Standard(
        town=town,
        area=area,
        monthly_amount=monthly_amount,
        effective_from=effective_from,
        note=note,
        rounding=rounding,
    )
    with transaction.atomic():
        _check_standard(standard=standard, today=_today(today))
        return _save_standard(standard=standard, by=by)


def standard_update(
    *,
    standard: Standard,
    monthly_amount: Decimal,
    effective_from: date,
    note: str = "",
    rounding: str = Rounding.YUAN,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> Standard:
    """Change a standard that has not come into force yet (town and area stay)."""
    today = _today(today)
    with transaction.atomic():
        standard = Standard.objects.select_for_update().get(pk=standard.pk)
        if standard_in_force_since(standard=standard, today=today):
            raise ValidationError(IN_FORCE.format(day=standard.effective_from), code="in_force")
        standard.monthly_amount = monthly_amount
        standard.effective_from = effective_from
        standard.note = note
        standard.rounding = rounding
        _check_standard(standard=standard, today=today)
        return _save_standard(standard=standard, by=by)


def standard_delete(*, standard: Standard, by: AbstractBaseUser | None, today: date | None = None) -> None:
    """Delete a standard that has not come into force yet (entered by mistake)."""
    with transaction.atomic():
        standard = Standard.objects.select_for_update().get(pk=standard.pk)
        if standard_in_force_since(standard=standard, today=_today(today)):
            raise ValidationError(IN_FORCE.format(day=standard.effective_from), code="in_force")
        standard._history_user = by
        standard.delete()
        policy_changed(town_id=standard.town_id)


# --- 分类施保类别 --------------------------------------------------------------------


def _save_category(*, category: Category, by: AbstractBaseUser | None) -> Category:
    errors: dict[str, list[str]] = {}
    category.name = (category.name or "").strip()
    if not category.name:
        errors["name"] = ["请填写类别名称。"]
    elif Category.objects.filter(town=category.town, name=category.name).exclude(pk=category.pk).exists():
        errors["name"] = [DUPLICATE_CATEGORY.format(town=category.town, name=category.name)]
    if category.extra_amount is None or category.extra_amount < 0:
        errors["extra_amount"] = ["加发金额不能为负数。"]
    if errors:
        raise ValidationError(errors)
    duplicate = DUPLICATE_CATEGORY.format(town=category.town, name=category.name)
    return _save(category, by=by, duplicate={"name": [duplicate]})


def category_create(
    *,
    town: Town,
    name: str,
    extra_amount: Decimal,
    description: str = "",
    by: AbstractBaseUser | None,
) -> Category:
    category = Category(town=town, name=name, extra_amount=extra_amount, description=description, active=True)
    with transaction.atomic():
        return _save_category(category=category, by=by)


def category_update(
    *,
    category: Category,
    name: str,
    extra_amount: Decimal,
    description: str = "",
    active: bool = True,
    by: AbstractBaseUser | None,
) -> Category:
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        category.name, category.extra_amount = name, extra_amount
        category.description, category.active = description, active
        return _save_category(category=category, by=by)


def category_in_use(*, category: Category) -> bool:
    """A household has it now, or had it in a recorded version."""
    return (
        Household.objects.filter(category=category).exists()
        or Household.history.filter(category_id=category.pk).exists()
    )


def category_remove(*, category: Category, by: AbstractBaseUser | None) -> bool:
    """Delete an unused category; deactivate one a household uses. True if deleted."""
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        category._history_user = by
        if not category_in_use(category=category):
            try:
                with transaction.atomic():
                    category.delete()
            except ProtectedError:
                pass  # a decision record of another app points at it: keep it, deactivated
            else:
                return True
        if category.active:
            category.active = False
            category.save(update_fields=["active"])
            policy_changed(town_id=category.town_id)
        return False


# --- 财产核查规则 --------------------------------------------------------------------


def _save_rule(*, rule: PropertyRule, by: AbstractBaseUser | None) -> PropertyRule:
    errors: dict[str, list[str]] = {}
    rule.name = (rule.name or "").strip()
    if not rule.name:
        errors["name"] = ["请填写规则名称。"]
    if rule.kind not in AssetKind.values:
        errors["kind"] = ["请选择财产类型。"]
    if rule.max_quantity is not None and rule.max_quantity < 0:
        errors["max_quantity"] = ["数量上限不能为负数。"]
    if rule.max_value is not None and rule.max_value < 0:
        errors["max_value"] = ["价值上限不能为负数。"]
    if rule.max_quantity is None and rule.max_value is None:
        errors.setdefault("max_quantity", []).append(NO_LIMIT)
    if errors:
        raise ValidationError(errors)
    rule._history_user = by
    rule.save()
    policy_changed(town_id=rule.town_id)
    return rule


def property_rule_create(
    *,
    town: Town,
    name: str,
    kind: str,
    max_quantity: int | None,
    max_value: Decimal | None,
    by: AbstractBaseUser | None,
) -> PropertyRule:
    rule = PropertyRule(town=town, name=name, kind=kind, max_quantity=max_quantity, max_value=max_value, active=True)
    with transaction.atomic():
        return _save_rule(rule=rule, by=by)


def property_rule_update(
    *,
    rule: PropertyRule,
    name: str,
    kind: str,
    max_quantity: int | None,
    max_value: Decimal | None,
    active: bool = True,
    by: AbstractBaseUser | None,
) -> PropertyRule:
    with transaction.atomic():
        rule = PropertyRule.objects.select_for_update().get(pk=rule.pk)
        rule.name, rule.kind, rule.max_quantity, rule.max_value, rule.active = (
            name,
            kind,
            max_quantity,
            max_value,
            active,
        )
        return _save_rule(rule=rule, by=by)


# --- 分类施保: criteria per category, the town's rule, 人工认定 ----------------------------

NOT_MAPPED = "请至少设置一项适用条件（年龄、残疾等级、重病或人工认定）；确实无人符合的类别请勾选“无人符合”。"
AGE_RANGE = "年龄应在 0 到 150 岁之间。"


def parse_grades(raw: str) -> str:
    """ "1,2" / "1、2" / "1 2" → "1,2"; anything else is a ValidationError."""
    parts = [p for p in raw.replace("、", ",").replace("，", ",").replace(" ", ",").split(",") if p.strip()]
    grades = set()
    for p in parts:
        if not p.strip().isdigit() or not 1 <= int(p) <= 4:
            raise ValidationError({"disability_grades": ["残疾等级只能是 1 到 4 级，例如“1,2”。"]})
        grades.add(int(p))
    return ",".join(str(g) for g in sorted(grades))


def category_map(
    *,
    category: Category,
    age_at_least: int | None,
    age_under: int | None,
    disability_grades: str,
    serious_illness: bool,
    manual: bool,
    nobody: bool = False,
    extra_amount: Decimal | None = None,
    by: AbstractBaseUser | None,
) -> Category:
    """Set a category's criteria (and its amount per person). A category with no criterion
    is mapped only when the office says nobody qualifies (`nobody`)."""
    grades = parse_grades(disability_grades or "")
    errors: dict[str, list[str]] = {}
    for key, value in (("age_at_least", age_at_least), ("age_under", age_under)):
        if value is not None and not 0 <= value <= 150:
            errors[key] = [AGE_RANGE]
    has_criterion = age_at_least is not None or age_under is not None or grades or serious_illness or manual
    if not has_criterion and not nobody:
        errors["__all__"] = [NOT_MAPPED]
    if extra_amount is not None and extra_amount < 0:
        errors["extra_amount"] = ["加发金额不能为负数。"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        category.age_at_least, category.age_under = age_at_least, age_under
        category.disability_grades, category.serious_illness, category.manual = grades, serious_illness, manual
        if extra_amount is not None:
            category.extra_amount = extra_amount
        category.mapped_at = timezone.now()
        category._history_user = by
        category.save()
        policy_changed(town_id=category.town_id)
        return category


def town_supplement_rule_set(*, town: Town, rule: str, by: AbstractBaseUser | None) -> Town:
    if rule not in SupplementRule.values:
        raise ValidationError({"rule": ["请选择符合多个类别时的发放方式。"]})
    with transaction.atomic():
        town = Town.objects.select_for_update().get(pk=town.pk)
        if town.supplement_rule != rule:
            town.supplement_rule = rule
            town._history_user = by
            town.save(update_fields=["supplement_rule"])
            policy_changed(town_id=town.pk)
        return town


def member_category_grant(
    *, member: Member, category: Category, reason: str, by: AbstractBaseUser | None
) -> MemberCategory:
    """Place a person in a 人工认定 category, with the reason. Recording it again changes the reason."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["人工认定分类施保须写明理由。"]
    if not category.manual:
        errors["category"] = [f"“{category.name}”不是人工认定的类别，符合条件的成员由系统按条件判断。"]
    elif category.town_id != member.household.village.town_id:
        errors["category"] = ["分类施保类别不属于该成员所在的乡镇。"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        grant = MemberCategory.objects.select_for_update().filter(member=member, category=category).first()
        if grant is None:
            grant = MemberCategory(member=member, category=category)
        grant.reason, grant.granted_by = reason[:300], by
        grant._history_user = by
        grant.save()
        households_changed(household_ids=[member.household_id], by=by)
        return grant


def member_category_revoke(*, grant: MemberCategory, by: AbstractBaseUser | None) -> None:
    with transaction.atomic():
        grant = MemberCategory.objects.select_for_update().get(pk=grant.pk)
        grant._history_user = by
        grant.delete()
        households_changed(household_ids=[grant.member.household_id], by=by)
