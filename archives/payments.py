"""Payment rolls (发放花名册): who is paid how much for a month, kept as a financial record.

A roll lists the households in 在保 status (admitted from that month or
earlier) with their base amount and 分类施保 amount, as the registry holds them
when the roll is generated. Each generation is a new, never-changed roll
(sequence 1, 2, ...); regenerating a month shows what changed since the
previous roll of that month.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from archives.models import PaymentRoll, PaymentRollLine
from archives.selectors import can_generate_rolls
from households import idcard
from households.models import Household, Town
from kanjia.pdf import STATIC_DIR, render_pdf
from kanjia.xlsx import SheetSpec, write_xlsx

ZERO = Decimal("0")


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_month(text: str) -> date:
    """'2021-06' → 2021-06-01; ValidationError (Chinese) otherwise."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": "请按“年-月”填写发放年月，例如 2021-06。"}) from None


def roll_generate(*, town: Town, month: date, by: AbstractBaseUser, note: str = "") -> PaymentRoll:
    """Generate (or regenerate) the month's roll for the town; earlier rolls stay as they were."""
    if not can_generate_rolls(user=by):
        raise PermissionDenied("只有镇民政办可以生成发放花名册。")
    month = month_start(month)
    today = timezone.localdate()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    if month > next_month:
        raise ValidationError({"month": "不能生成下月以后的发放花名册。"})
    with transaction.atomic():
        # Serialise generations of one town: two clicks make rolls 1 and 2, never two 1s.
        Town.objects.select_for_update().get(pk=town.pk)
        sequence = (PaymentRoll.objects.filter(town=town, month=month).aggregate(last=Max("sequence"))["last"] or 0) + 1
        households = (
            Household.objects.filter(village__town=town, status=Household.Status.ACTIVE)
            .filter(Q(start_month__isnull=True) | Q(start_month__lte=month))
            .select_related("village", "group", "category")
            .order_by("village__order", "village_id", "group__number", "id")
        )
        roll = PaymentRoll.objects.create(
            town=town, month=month, sequence=sequence, generated_by=by, note=note.strip()[:200]
        )
        lines = [
            PaymentRollLine(
                roll=roll,
                household=h,
                village=h.village,
                village_name=h.village.name,
                group_number=h.group.number if h.group else None,
                head_name=h.head_name,
                category_name=h.category.name if h.category else "",
                covered_persons=h.covered_persons,
                base_amount=h.base_amount,
                extra_amount=h.extra_amount,
                total=h.base_amount + h.extra_amount,
                bank_name=h.bank_name,
                bank_account=h.bank_account,
            )
            for h in households
        ]
        # Lines are written once and never changed: no history rows needed.
        PaymentRollLine.objects.bulk_create(lines, batch_size=500)
        roll.households = len(lines)
        roll.persons = sum(line.covered_persons for line in lines)
        roll.base_total = sum((line.base_amount for line in lines), ZERO)
        roll.extra_total = sum((line.extra_amount for line in lines), ZERO)
        roll.total = roll.base_total + roll.extra_total
        roll._history_user = by
        roll.save()
    return roll


# --- Reads ---------------------------------------------------------------------------------


@dataclass
class VillageTotal:
    village: str
    households: int = 0
    persons: int = 0
    base: Decimal = ZERO
    extra: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.base + self.extra


def roll_village_totals(*, roll: PaymentRoll) -> list[VillageTotal]:
    rows = (
        roll.lines.values("village_id", "village_name")
        .annotate(
            households=Count("id"), persons=Sum("covered_persons"), base=Sum("base_amount"), extra=Sum("extra_amount")
        )
        .order_by("village__order", "village_id")
    )
    return [
        VillageTotal(r["village_name"], r["households"], r["persons"] or 0, r["base"] or ZERO, r["extra"] or ZERO)
        for r in rows
    ]


@dataclass
class Change:
    household_id: int
    village: str
    head_name: str
    kind: str  # 新增 / 移出 / 金额变动
    old_total: Decimal | None
    new_total: Decimal | None
    detail: str = ""


@dataclass
class RollDiff:
    previous: PaymentRoll | None
    changes: list[Change] = field(default_factory=list)

    @property
    def total_change(self) -> Decimal:
        return sum(((c.new_total or ZERO) - (c.old_total or ZERO) for c in self.changes), ZERO)


def previous_roll(*, roll: PaymentRoll) -> PaymentRoll | None:
    return (
        PaymentRoll.objects.filter(town_id=roll.town_id, month=roll.month, sequence__lt=roll.sequence)
        .order_by("-sequence")
        .first()
    )


def roll_diff(*, roll: PaymentRoll) -> RollDiff:
    """What changed since the previous roll of the same month (empty when this is the first)."""
    previous = previous_roll(roll=roll)
    diff = RollDiff(previous=previous)
    if previous is None:
        return diff
    old = {line.household_id: line for line in previous.lines.all()}
    new = {line.household_id: line for line in roll.lines.all()}
    for household_id, line in new.items():
        before = old.get(household_id)
        if before is None:
            diff.changes.append(Change(household_id, line.village_name, line.head_name, "新增", None, line.total))
            continue
        parts = []
        if before.base_amount != line.base_amount:
            parts.append(f"保障金 {before.base_amount}→{line.base_amount}")
        if before.extra_amount != line.extra_amount:
            parts.append(f"分类施保金 {before.extra_amount}→{line.extra_amount}")
        if before.covered_persons != line.covered_persons:
            parts.append(f"保障人数 {before.covered_persons}→{line.covered_persons}")
        if parts:
            diff.changes.append(
                Change(
                    household_id,
                    line.village_name,
                    line.head_name,
                    "金额变动",
                    before.total,
                    line.total,
                    "；".join(parts),
                )
            )
    for household_id, line in old.items():
        if household_id not in new:
            diff.changes.append(Change(household_id, line.village_name, line.head_name, "移出", line.total, None))
    order = {"新增": 0, "金额变动": 1, "移出": 2}
    diff.changes.sort(key=lambda c: (order[c.kind], c.village, c.head_name))
    return diff


def roll_xlsx(*, roll: PaymentRoll) -> bytes:
    """The roll for the bank and the file: lines (with full account numbers), village totals, changes."""
    lines = SheetSpec(
        "发放花名册",
        [
            "序号",
            "村(社区)",
            "组",
            "户主",
            "保障人数",
            "分类施保类别",
            "保障金(元)",
            "分类施保金(元)",
            "合计(元)",
            "开户银行",
            "银行账号",
        ],
        (
            [
                n,
                line.village_name,
                line.group_number or "",
                line.head_name,
                line.covered_persons,
                line.category_name,
                line.base_amount,
                line.extra_amount,
                line.total,
                line.bank_name,
                line.bank_account,
            ]
            for n, line in enumerate(roll.lines.order_by("id").iterator(), start=1)
        ),
    )
    totals = roll_village_totals(roll=roll)
    summary = SheetSpec(
        "村汇总",
        ["村(社区)", "户数", "人数", "保障金(元)", "分类施保金(元)", "合计(元)"],
        [
            *([t.village, t.households, t.persons, t.base, t.extra, t.total] for t in totals),
            ["全镇合计", roll.households, roll.persons, roll.base_total, roll.extra_total, roll.total],
        ],
    )
    diff = roll_diff(roll=roll)
    changes = SheetSpec(
        "与上一版差异",
        ["变动", "村(社区)", "户主", "原合计(元)", "新合计(元)", "说明"],
        [[c.kind, c.village, c.head_name, c.old_total, c.new_total, c.detail] for c in diff.changes],
    )
    return write_xlsx([lines, summary, changes] if diff.previous else [lines, summary])


def roll_pdf(*, roll: PaymentRoll) -> bytes:
    lines = list(roll.lines.order_by("id"))
    for line in lines:
        line.account_masked = idcard.mask(line.bank_account or "")
    return render_pdf(
        template="archives/roll_pdf.html",
        context={
            "roll": roll,
            "lines": lines,
            "totals": roll_village_totals(roll=roll),
            "diff": roll_diff(roll=roll),
            "office": settings.OFFICE,
        },
        stylesheets=(STATIC_DIR / "pdf" / "roll.css",),
    )
