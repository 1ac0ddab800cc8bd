"""Income, eligibility and benefit of one household for one month (S21§12–14, SJ§9/12).

`compute` is pure: it works on objects already in memory (prefetched by the
caller), so the detail page and the synthetic-data generator share it without
extra queries. `benefit_for` loads what a household needs and calls it.

Rules, in the order the detail page shows them:
1. Co-resident members (共同生活家庭成员, S21§7): not dead, not moved out.
2. Household income: counted items of co-resident members and of the household
   itself, in force in the month. Excluded kinds (优待抚恤金, 奖学金, 见义勇为,
   社会救助金, 城乡居民基础养老金) and items marked "不计入" are listed but not
   added; rigid costs of illness or disability are deducted (never below zero).
3. Per-capita income = household income ÷ co-resident members.
4. The standard in force on the first day of the month for the town and area.
5. Property checks: every active PropertyRule of the town.
6. Eligible = per-capita income < standard and every property check passes.
7. Base amount = (standard − per-capita income) × covered persons (co-resident
   members marked 纳入保障), rounded as the standard says.
8. 分类施保 supplement = the exact sum over covered co-resident members of each
   member's amount: the categories whose criteria the member meets on the first
   day of the month (age, disability grade, serious illness, or a recorded
   人工认定), the highest one (就高) or all added up, as the town configures
   (`Town.supplement_rule`). No rounding. Until every active category of the
   town has its criteria set (`Category.mapped_at`), the old household rule
   applies (the household's category × covered persons) and a step says so.
"""

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from households.models import (
    Asset,
    Category,
    Household,
    IncomeItem,
    Member,
    MemberCategory,
    PropertyRule,
    Rounding,
    Standard,
    SupplementRule,
    Town,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
EXCLUDED_KINDS = frozenset(
    {
        IncomeItem.Kind.SPECIAL_CARE,
        IncomeItem.Kind.SCHOLARSHIP,
        IncomeItem.Kind.HEROISM,
        IncomeItem.Kind.ASSISTANCE,
        IncomeItem.Kind.BASIC_PENSION,
    }
)


@dataclass(frozen=True)
class Line:
    """One row of the computation as the detail page shows it."""

    label: str
    amount: Decimal | int | None = None  # int for a count of persons
    note: str = ""
    counted: bool = True


@dataclass
class Computation:
    month: date
    members: int = 0
    covered: int = 0
    income_lines: list[Line] = field(default_factory=list)
    total_income: Decimal = ZERO
    per_capita: Decimal = ZERO
    standard: Standard | None = None
    property_lines: list[Line] = field(default_factory=list)
    property_ok: bool = True
    eligible: bool = False
    base_amount: Decimal = ZERO
    extra_amount: Decimal = ZERO
    steps: list[Line] = field(default_factory=list)
    # Per member (co-resident and covered): the categories paid for them, and the amount.
    member_categories: dict[int, list[Category]] = field(default_factory=dict)
    member_extra: dict[int, Decimal] = field(default_factory=dict)
    per_person: bool = False  # 分类施保 computed per person (every active category mapped)

    @property
    def total(self) -> Decimal:
        return self.base_amount + self.extra_amount


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def is_co_resident(member: Member, *, month: date) -> bool:
    """Alive and not moved out on the first day of the month."""
    return not (member.died_on and member.died_on < month) and not (member.moved_out_on and member.moved_out_on < month)


def is_counted(item: IncomeItem) -> bool:
    return item.counted and item.kind not in EXCLUDED_KINDS and item.kind != IncomeItem.Kind.RIGID_COST


def in_force(item: IncomeItem, *, month: date) -> bool:
    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    starts_ok = item.period_start is None or item.period_start <= month_end
    ends_ok = item.period_end is None or item.period_end >= month
    return starts_ok and ends_ok


def standard_in_force(standards: Iterable[Standard], *, town_id: int, area: str, month: date) -> Standard | None:
    candidates = [s for s in standards if s.town_id == town_id and s.area == area and s.effective_from <= month]
    return max(candidates, key=lambda s: s.effective_from, default=None)


def round_amount(amount: Decimal, rounding: str) -> Decimal:
    if rounding == Rounding.JIAO:
        return amount.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).quantize(CENT)
    if rounding == Rounding.YUAN:
        return amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP).quantize(CENT)
    if rounding == Rounding.YUAN_UP:
        return amount.quantize(Decimal("1"), rounding=ROUND_CEILING).quantize(CENT)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def per_person_in_effect(categories: Iterable[Category]) -> bool:
    """Every active category of the town has its criteria (and there is at least one)."""
    active = [c for c in categories if c.active]
    return bool(active) and all(c.mapped_at is not None for c in active)


def qualifying_categories(
    member: Member, *, categories: Iterable[Category], manual: set[tuple[int, int]], month: date
) -> list[Category]:
    """The active mapped categories whose criteria the member meets on the first day of the month."""
    found = []
    age = age_on(member.birth_date, month) if member.birth_date else None
    for c in categories:
        if not c.active or c.mapped_at is None:
            continue
        meets = (
            (c.age_at_least is not None and age is not None and age >= c.age_at_least)
            or (c.age_under is not None and age is not None and age < c.age_under)
            or (bool(member.disability) and member.disability_grade in c.grades)
            or (c.serious_illness and member.health == Member.Health.SERIOUS)
            or (c.manual and (member.pk, c.pk) in manual)
        )
        if meets:
            found.append(c)
    return found


def member_supplement(qualifying: list[Category], *, rule: str) -> tuple[list[Category], Decimal]:
    """就高 (one category, the highest amount) or 累加 (all of them): what the person is paid for."""
    if not qualifying:
        return [], ZERO
    if rule == SupplementRule.SUM:
        return list(qualifying), sum((c.extra_amount for c in qualifying), ZERO)
    best = max(qualifying, key=lambda c: (c.extra_amount, -c.pk if c.pk else 0))
    return [best], best.extra_amount


def _per_person_lines(
    result: "Computation",
    covered: list[Member],
    *,
    categories: list[Category],
    manual: set[tuple[int, int]],
    rule: str,
) -> None:
    total = ZERO
    rule_label = "就高" if rule != SupplementRule.SUM else "累加"
    for m in covered:
        paid, amount = member_supplement(
            qualifying_categories(m, categories=categories, manual=manual, month=result.month), rule=rule
        )
        if not paid:
            continue
        result.member_categories[m.pk] = paid
        result.member_extra[m.pk] = amount
        total += amount
        names = "、".join(f"{c.name} {c.extra_amount}" for c in paid)
        result.steps.append(Line(f"分类施保 · {m.name}", amount, f"{names}（{rule_label}）"))
    result.extra_amount = total.quantize(CENT)


def _income_lines(
    incomes: Iterable[IncomeItem], *, resident_ids: set[int], names: dict[int, str], month: date
) -> tuple[list[Line], Decimal]:
    lines, total, deductions = [], ZERO, ZERO
    for item in incomes:
        who = names.get(item.member_id, "") if item.member_id else "家庭"
        label = f"{who} · {item.get_kind_display()}"
        if item.member_id and item.member_id not in resident_ids:
            lines.append(Line(label, item.monthly_amount, "成员已去世或迁出，不计入", counted=False))
        elif not in_force(item, month=month):
            lines.append(Line(label, item.monthly_amount, "不在本月收入期间内，不计入", counted=False))
        elif item.kind == IncomeItem.Kind.RIGID_COST:
            deductions += item.monthly_amount
            lines.append(Line(label, -item.monthly_amount, "因病因残刚性支出，予以扣减"))
        elif item.kind in EXCLUDED_KINDS:
            lines.append(Line(label, item.monthly_amount, "按规定不计入家庭收入", counted=False))
        elif not item.counted:
            lines.append(Line(label, item.monthly_amount, "登记为不计入", counted=False))
        else:
            total += item.monthly_amount
            lines.append(Line(label, item.monthly_amount, "计入"))
    return lines, max(ZERO, total - deductions)


def _property_lines(assets: Iterable[Asset], rules: Iterable[PropertyRule]) -> tuple[list[Line], bool]:
    assets = list(assets)
    lines, ok = [], True
    for rule in rules:
        if not rule.active:
            continue
        owned = [a for a in assets if a.kind == rule.kind]
        quantity = sum(a.quantity for a in owned)
        value = sum((a.value for a in owned), ZERO)
        problems = []
        if rule.max_quantity is not None and quantity > rule.max_quantity:
            problems.append(f"{rule.kind} {quantity} 处/辆，超过上限 {rule.max_quantity}")
        if rule.max_value is not None and value > rule.max_value:
            problems.append(f"{rule.kind} 价值 {value} 元，超过上限 {rule.max_value} 元")
        ok = ok and not problems
        lines.append(Line(rule.name, value if owned else None, "；".join(problems) or "符合", counted=not problems))
    return lines, ok


def compute(
    *,
    household: Household,
    members: Iterable[Member],
    incomes: Iterable[IncomeItem],
    assets: Iterable[Asset],
    standards: Iterable[Standard],
    rules: Iterable[PropertyRule],
    category: Category | None,
    town_id: int,
    month: date,
    categories: Iterable[Category] = (),
    manual: Iterable[tuple[int, int]] = (),
    supplement_rule: str = SupplementRule.HIGHEST,
) -> Computation:
    month = first_of_month(month)
    members = list(members)
    residents = [m for m in members if is_co_resident(m, month=month)]
    covered = [m for m in residents if m.covered]
    result = Computation(month=month, members=len(residents), covered=len(covered))
    names = {m.pk: m.name for m in members}
    result.income_lines, result.total_income = _income_lines(
        incomes, resident_ids={m.pk for m in residents}, names=names, month=month
    )
    if residents:
        result.per_capita = (result.total_income / len(residents)).quantize(CENT, rounding=ROUND_HALF_UP)
    result.standard = standard_in_force(standards, town_id=town_id, area=household.area, month=month)
    result.property_lines, result.property_ok = _property_lines(assets, rules)
    steps = result.steps
    steps.append(Line("共同生活家庭成员人数", len(residents), "已去世、已迁出成员不计"))
    steps.append(Line("家庭月收入合计", result.total_income, "计入项目之和减去刚性支出"))
    steps.append(Line("家庭月人均收入", result.per_capita, f"{result.total_income} ÷ {len(residents) or '—'}"))
    if result.standard is None:
        steps.append(Line("保障标准", None, f"未设置{household.area}保障标准，无法计算", counted=False))
        return result
    standard = result.standard.monthly_amount
    steps.append(Line("保障标准", standard, f"{household.area}，{result.standard.effective_from:%Y年%m月%d日}起执行"))
    steps.append(Line("财产核查", None, "符合" if result.property_ok else "不符合（见财产核查）", result.property_ok))
    result.eligible = bool(residents) and result.per_capita < standard and result.property_ok
    if not result.eligible:
        reason = "人均收入达到或超过保障标准" if result.per_capita >= standard else "财产超出规定或无共同生活成员"
        steps.append(Line("是否符合条件", None, f"不符合：{reason}", counted=False))
        return result
    gap = standard - result.per_capita
    raw = gap * len(covered)
    result.base_amount = round_amount(raw, result.standard.rounding)
    steps.append(Line("保障人数", len(covered), "共同生活且纳入保障的成员"))
    steps.append(
        Line(
            "月保障金",
            result.base_amount,
            f"({standard} − {result.per_capita}) × {len(covered)} = {raw.quantize(CENT)}，"
            f"{result.standard.get_rounding_display()}",
        )
    )
    categories = [c for c in categories if c.town_id == town_id]
    if per_person_in_effect(categories):
        result.per_person = True
        _per_person_lines(
            result,
            covered,
            categories=categories,
            manual=manual if isinstance(manual, set) else set(manual),
            rule=supplement_rule,
        )
        steps.append(Line("分类施保金", result.extra_amount, "按人计算：符合条件的保障成员加发金额之和（不取整）"))
    elif category is not None and category.extra_amount:
        result.extra_amount = (category.extra_amount * len(covered)).quantize(CENT)
        note = f"{category.name}：{category.extra_amount} × {len(covered)}"
        if categories:
            note += "（分类施保类别尚未全部设置适用条件，暂按户计算）"
        steps.append(Line("分类施保金", result.extra_amount, note))
    steps.append(Line("每月合计", result.total, "月保障金 + 分类施保金"))
    return result


def manual_pairs(*, household: Household) -> set[tuple[int, int]]:
    return set(MemberCategory.objects.filter(member__household=household).values_list("member_id", "category_id"))


def benefit_for(*, household: Household, month: date | None = None) -> Computation:
    """Load what the computation needs (uses prefetched relations when present)."""
    town_id = household.village.town_id
    town = household.village.town
    categories = list(Category.objects.filter(town_id=town_id))
    manual = manual_pairs(household=household) if any(c.manual for c in categories) else set()
    return compute(
        household=household,
        members=household.members.all(),
        incomes=household.incomes.all(),
        assets=household.assets.all(),
        standards=Standard.objects.filter(town_id=town_id, area=household.area),
        rules=PropertyRule.objects.filter(town_id=town_id, active=True),
        category=household.category,
        town_id=town_id,
        month=month or timezone.localdate(),
        categories=categories,
        manual=manual,
        supplement_rule=town.supplement_rule,
    )


def benefit_month(day: date) -> date:
    """The month a decision made on `day` takes effect: the first of the next month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class SupplementChange:
    household_id: int
    paid: Decimal
    computed: Decimal
    members: list[tuple[str, str, Decimal]]  # name, categories, amount


def supplement_changes(*, household_ids: Iterable[int] | None = None, month: date) -> list[SupplementChange]:
    """Active households of towns where per-person 分类施保 is in effect whose paid supplement
    differs from the per-person sum for `month` (eligibility aside). Four queries."""
    month = first_of_month(month)
    categories = list(Category.objects.all())
    by_town: dict[int, list[Category]] = {}
    for c in categories:
        by_town.setdefault(c.town_id, []).append(c)
    towns = {t: cs for t, cs in by_town.items() if per_person_in_effect(cs)}
    if not towns:
        return []
    rules = dict(Town.objects.filter(pk__in=towns).values_list("pk", "supplement_rule"))
    households = Household.objects.filter(status=Household.Status.ACTIVE, village__town_id__in=towns)
    if household_ids is not None:
        households = households.filter(pk__in=list(household_ids))
    paid = {h: (amount, town) for h, amount, town in households.values_list("pk", "extra_amount", "village__town_id")}
    members = Member.objects.filter(household_id__in=households.values("pk"), covered=True).only(
        *("pk", "household_id", "name", "birth_date", "health", "disability", "disability_grade"),
        *("died_on", "moved_out_on"),
    )
    manual = set(
        MemberCategory.objects.filter(member__household_id__in=households.values("pk")).values_list(
            "member_id", "category_id"
        )
    )
    sums: dict[int, Decimal] = {}
    detail: dict[int, list[tuple[str, str, Decimal]]] = {}
    for m in members:
        if not is_co_resident(m, month=month):
            continue
        town = paid[m.household_id][1]
        chosen, amount = member_supplement(
            qualifying_categories(m, categories=towns[town], manual=manual, month=month), rule=rules[town]
        )
        if chosen:
            sums[m.household_id] = sums.get(m.household_id, ZERO) + amount
            detail.setdefault(m.household_id, []).append((m.name, "、".join(c.name for c in chosen), amount))
    changes = []
    for hid, (amount, _town) in sorted(paid.items()):
        computed = sums.get(hid, ZERO).quantize(CENT)
        if computed != amount:
            changes.append(SupplementChange(hid, amount, computed, detail.get(hid, [])))
    return changes


def compute_many(
    *, households: QuerySet[Household], month: date, chunk: int = 1000
) -> Iterator[tuple[Household, Computation]]:
    """The computation of each of `households` for `month`, a chunk at a time: one query per
    chunk and relation, plus one each for the towns' standards, rules and categories."""
    month = first_of_month(month)
    towns = set(households.values_list("village__town_id", flat=True).distinct())
    standards = list(Standard.objects.filter(town_id__in=towns))
    rules_by_town: dict[int, list[PropertyRule]] = {}
    for rule in PropertyRule.objects.filter(town_id__in=towns, active=True):
        rules_by_town.setdefault(rule.town_id, []).append(rule)
    categories = list(Category.objects.filter(town_id__in=towns))
    supplement_rules = dict(Town.objects.filter(pk__in=towns).values_list("pk", "supplement_rule"))
    manual: set[tuple[int, int]] = set()
    if any(c.manual for c in categories):
        manual = set(
            MemberCategory.objects.filter(member__household__in=households.values("pk")).values_list(
                "member_id", "category_id"
            )
        )
    rows = (
        households.select_related("village", "category")
        .prefetch_related("members", "incomes", "assets")
        .order_by("pk")
        .iterator(chunk_size=chunk)
    )
    for household in rows:
        town_id = household.village.town_id
        yield (
            household,
            compute(
                household=household,
                members=household.members.all(),
                incomes=household.incomes.all(),
                assets=household.assets.all(),
                standards=standards,
                rules=rules_by_town.get(town_id, ()),
                category=household.category,
                town_id=town_id,
                month=month,
                categories=categories,
                manual=manual,
                supplement_rule=supplement_rules.get(town_id, SupplementRule.HIGHEST),
            ),
        )
