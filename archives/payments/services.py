"""Payment rolls (发放花名册): who is paid how much for a month, kept as a financial record.

The roll for month M pays what was in force for M. A district decision pays
from the month after the decision (DistrictApproval.effective_month), while
the final approval writes the household at once; so, per household:

- A household changed by a district decision that takes effect after M (a
  decision made in M, or later when M is regenerated afterwards) is paid as its
  record stood at 00:00 on the 1st of M, Asia/Shanghai
  (`Household.history.as_of`): admitted in M → not yet on M's roll; stopped in
  M → still paid in M at the old amount; adjusted in M → old amount in M, new
  from M+1. Any hand edit made to such a household in M counts from M+1 too.
- Every other household is paid as the registry held it at the end of M: now,
  for the current month and for next month's roll made in advance; the
  history at the last instant of M for a month that is over. Hand edits (not
  through a decision: correcting a wrong amount or person count, the ledger
  import, records entered this month) are corrections of the record, not new
  decisions: they count for the month in which they are made.
- Paid = 在保 with 纳入保障年月 empty or not after M. The payee's details (户主,
  村组, 开户银行, 账号) come from the registry as at the end of M (now, for the
  current and next month) for every household, a decision pending or not: a
  bank account corrected mid-month reaches the bank.
- 渐退期: a household with a grace period in force for M (review.dynamic.services
  `grace_in_force`) and not otherwise paid is on the roll at the grace
  period's monthly amount (stored on GracePeriod, by default the household's
  total before the stop), all of it as 保障金, remark “渐退期（至…）”.

Generation is set-based: a constant number of queries whatever the town's
size. Each generation is a new, never-changed roll (sequence 1, 2, ...);
regenerating a month shows what changed since the previous roll of that month.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from archives.models import PaymentRoll, PaymentRollLine
from archives.payments.selectors import can_generate_rolls
from households import idcard
from households.models import Household, Town
from households.selectors import town_ids_of
from households.towns.selectors import office_of
from kanjia.pdf import STATIC_DIR, render_pdf
from kanjia.xlsx import SheetSpec, write_xlsx
from review.dynamic.services import add_months, grace_in_force, month_start
from review.models import DistrictApproval, GracePeriod

ZERO = Decimal("0")


def parse_month(text: str) -> date:
    """'2021-06' → 2021-06-01; ValidationError (Chinese) otherwise."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": "请按“年-月”填写发放年月，例如 2021-06。"}) from None


def month_begins(month: date) -> datetime:
    """00:00 on the 1st of `month` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(month_start(month), time.min))


# What a line needs, read with values() from the live table or from its history alike.
ENTITLEMENT = ("id", "covered_persons", "base_amount", "extra_amount", "category__name")
PAYEE = ("village_id", "village__name", "village__order", "group__number", "head_name", "bank_name", "bank_account")


def _paid(*, town: Town, month: date) -> Q:
    return Q(village__town=town, status=Household.Status.ACTIVE) & (
        Q(start_month__isnull=True) | Q(start_month__lte=month)
    )


def pending_decisions(*, town: Town, month: date, until: datetime) -> QuerySet:
    """Ids of the town's households changed (by `until`) by a district decision taking effect after `month`."""
    return DistrictApproval.objects.filter(
        decision=DistrictApproval.Decision.APPROVE,
        effective_month__gt=month,
        completed_at__lte=until,
        case__household__village__town=town,
    ).values("case__household_id")


@dataclass
class DueLine:
    """One household paid for the month, before it is written as a PaymentRollLine."""

    household_id: int
    village_id: int
    village_name: str
    village_order: int
    group_number: int | None
    head_name: str
    category_name: str
    covered_persons: int
    base_amount: Decimal
    extra_amount: Decimal
    bank_name: str
    bank_account: str
    remark: str = ""

    @property
    def sort_key(self) -> tuple:
        return (
            self.village_order,
            self.village_id,
            self.group_number is not None,
            self.group_number or 0,
            self.household_id,
        )


def _due(row: dict, payee: dict, *, remark: str = "") -> DueLine:
    return DueLine(
        household_id=row["id"],
        village_id=payee["village_id"],
        village_name=payee["village__name"],
        village_order=payee["village__order"],
        group_number=payee["group__number"],
        head_name=payee["head_name"],
        category_name=row["category__name"] or "",
        covered_persons=row["covered_persons"],
        base_amount=row["base_amount"],
        extra_amount=row["extra_amount"],
        bank_name=payee["bank_name"],
        bank_account=payee["bank_account"],
        remark=remark,
    )


def paid_in_month(*, town: Town, month: date) -> list[DueLine]:
    """Who is paid how much for `month` (the rule in the module docstring), in roll order.

    At most four queries whatever the number of households: the households
    without a pending decision, those with one (as of the 1st of the month),
    their payee details, and the grace periods in force.
    """
    month = month_start(month)
    now = timezone.now()
    begins, ends = month_begins(month), month_begins(add_months(month, 1))
    snapshot_at = min(now, ends - timedelta(microseconds=1))
    pending = pending_decisions(town=town, month=month, until=snapshot_at)
    paid = _paid(town=town, month=month)

    # Households without a decision pending: the registry as it stands (or stood at the end of the month).
    settled = Household.objects if ends > now else Household.history.as_of(snapshot_at)
    due = {
        row["id"]: _due(row, row)
        for row in settled.filter(paid).exclude(id__in=pending).values(*ENTITLEMENT, *PAYEE).iterator(chunk_size=2000)
    }
    # Households a decision changed after the month began: as they stood at 00:00 on the 1st.
    held = list(Household.history.as_of(begins).filter(paid, id__in=pending).values(*ENTITLEMENT))
    # A household with no history row before the 1st (registered or imported during the month) is taken
    # as it was first recorded, which is how it stood before the decision (issue 17: the roll missed it).
    known = Household.history.filter(id__in=pending, history_date__lt=begins).values("id")
    first = (
        Household.history.filter(id__in=pending, history_date__gte=begins)
        .exclude(id__in=known)
        .values("id")
        .annotate(first=Min("history_id"))
        .values("first")
    )
    held += list(Household.history.filter(paid, history_id__in=first).values(*ENTITLEMENT))
    if held:
        payees = {row["id"]: row for row in settled.filter(id__in=pending).values("id", *PAYEE)}
        due.update((row["id"], _due(row, payees[row["id"]])) for row in held if row["id"] in payees)

    # 渐退期: paid at the grace period's amount unless paid in care anyway.
    graces = (
        GracePeriod.objects.filter(grace_in_force(month=month), household__village__town=town)
        .order_by("household_id", "-start_month", "-id")
        .values(
            "household_id",
            "monthly_amount",
            "end_month",
            *(f"household__{name}" for name in ("covered_persons", *PAYEE)),
        )
    )
    for grace in graces:
        if grace["household_id"] in due:
            continue
        payee = {name: grace[f"household__{name}"] for name in PAYEE}
        row = {
            "id": grace["household_id"],
            "covered_persons": grace["household__covered_persons"],
            "base_amount": grace["monthly_amount"],
            "extra_amount": ZERO,
            "category__name": "",
        }
        due[grace["household_id"]] = _due(row, payee, remark=f"渐退期（至{grace['end_month']:%Y年%m月}）")
    return sorted(due.values(), key=lambda line: line.sort_key)


def roll_generate(*, town: Town, month: date, by: AbstractBaseUser, note: str = "") -> PaymentRoll:
    """Generate (or regenerate) the month's roll for the town; earlier rolls stay as they were."""
    if not can_generate_rolls(user=by):
        raise PermissionDenied("只有镇民政办可以生成发放花名册。")
    towns = town_ids_of(user=by)  # None: every town
    if towns is not None and town.pk not in towns:
        raise PermissionDenied("只能生成本镇的发放花名册。")
    month = month_start(month)
    if month > add_months(month_start(timezone.localdate()), 1):
        raise ValidationError({"month": "不能生成下月以后的发放花名册。"})
    with transaction.atomic():
        # Serialise generations of one town: two clicks make rolls 1 and 2, never two 1s.
        Town.objects.select_for_update().get(pk=town.pk)
        sequence = (PaymentRoll.objects.filter(town=town, month=month).aggregate(last=Max("sequence"))["last"] or 0) + 1
        due = paid_in_month(town=town, month=month)
        roll = PaymentRoll.objects.create(
            town=town, month=month, sequence=sequence, generated_by=by, note=note.strip()[:200]
        )
        lines = [
            PaymentRollLine(
                roll=roll,
                household_id=d.household_id,
                village_id=d.village_id,
                village_name=d.village_name,
                group_number=d.group_number,
                head_name=d.head_name,
                category_name=d.category_name,
                covered_persons=d.covered_persons,
                base_amount=d.base_amount,
                extra_amount=d.extra_amount,
                total=d.base_amount + d.extra_amount,
                bank_name=d.bank_name,
                bank_account=d.bank_account,
                remark=d.remark,
            )
            for d in due
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
    village_id: int | None = None

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
        VillageTotal(
            r["village_name"],
            r["households"],
            r["persons"] or 0,
            r["base"] or ZERO,
            r["extra"] or ZERO,
            r["village_id"],
        )
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
        if parts and before.remark != line.remark:
            parts.append(f"备注 {before.remark or '无'}→{line.remark or '无'}")
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


@dataclass
class ReconcileLine:
    reason: str
    households: int = 0  # households this reason touches
    household_delta: int = 0  # roll minus dashboard, in households
    amount: Decimal = ZERO  # roll minus dashboard, in yuan


@dataclass
class Reconciliation:
    """The roll against the dashboard's 在保 figures for the same month, and why they differ."""

    as_of: str
    dashboard_households: int
    dashboard_total: Decimal
    roll_households: int
    roll_total: Decimal
    lines: list[ReconcileLine]

    @property
    def household_gap(self) -> int:
        return self.roll_households - self.dashboard_households

    @property
    def amount_gap(self) -> Decimal:
        return self.roll_total - self.dashboard_total

    @property
    def explained(self) -> bool:
        return sum(line.household_delta for line in self.lines) == self.household_gap and (
            sum((line.amount for line in self.lines), ZERO) == self.amount_gap
        )


def roll_reconcile(*, roll: PaymentRoll) -> Reconciliation:
    """Roll lines against the households the dashboard counts as 在保 (now, or at the end of a past month).

    Each household on one side only, or with another amount, is put under a reason: a district decision
    in the month that takes effect next month (新纳入 not yet paid, 停保 still paid, 调整 at the old
    amount), 渐退期, 纳入保障年月 after the month, or a change made after the roll was generated.
    Four queries whatever the town's size.
    """
    month = roll.month
    now = timezone.now()
    ends = month_begins(add_months(month, 1))
    live = ends > now
    source = Household.objects if live else Household.history.as_of(ends - timedelta(microseconds=1))
    care = {
        row["id"]: (row["base_amount"] + row["extra_amount"], row["start_month"])
        for row in source.filter(village__town_id=roll.town_id, status=Household.Status.ACTIVE).values(
            "id", "base_amount", "extra_amount", "start_month"
        )
    }
    paid = {line["household_id"]: line for line in roll.lines.values("household_id", "total", "remark")}
    pending = dict(
        DistrictApproval.objects.filter(
            decision=DistrictApproval.Decision.APPROVE,
            effective_month__gt=month,
            completed_at__lt=ends,
            case__household__village__town_id=roll.town_id,
        ).values_list("case__household_id", "outcome")
    )
    reasons: dict[str, ReconcileLine] = defaultdict(lambda: ReconcileLine(""))

    def count(reason: str, delta: int, amount: Decimal) -> None:
        line = reasons[reason]
        line.reason = reason
        line.households += 1
        line.household_delta += delta
        line.amount += amount

    for household_id in care.keys() | paid.keys():
        counted, line = care.get(household_id), paid.get(household_id)
        if counted and line and counted[0] == line["total"]:
            continue
        decided = pending.get(household_id)
        if counted and not line:
            if decided:
                reason = f"本月区审批{decided}，次月起发放"
            elif counted[1] and counted[1] > month:
                reason = "纳入保障年月晚于本月，本月不发"
            else:
                reason = "花名册生成后纳入在保（请重新生成）"
            count(reason, -1, -counted[0])
        elif line and not counted:
            if line["remark"].startswith("渐退期"):
                reason = "渐退期，本月照发"
            elif decided:
                reason = f"本月区审批{decided}，本月照发、次月起停发"
            else:
                reason = "花名册生成后不再在保（请重新生成）"
            count(reason, 1, line["total"])
        else:
            reason = f"本月区审批{decided}，本月按原金额发放" if decided else "花名册生成后金额变动（请重新生成）"
            count(reason, 0, line["total"] - counted[0])
    return Reconciliation(
        as_of="当前" if live else f"{month:%Y年%m月}末",
        dashboard_households=len(care),
        dashboard_total=sum((total for total, _ in care.values()), ZERO),
        roll_households=len(paid),
        roll_total=sum((line["total"] for line in paid.values()), ZERO),
        lines=sorted(reasons.values(), key=lambda r: r.reason),
    )


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
            "备注",
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
                line.remark,
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


# Above this many lines a roll is printed village by village: WeasyPrint holds a whole document in memory
# (a 1,000-row PDF is about 250 MB and 8 s, STACK.md), so a whole town's PDF would not be interactive.
PDF_MAX_LINES = 1000


def roll_pdf(
    *,
    roll: PaymentRoll,
    village_id: int | None = None,
    totals: list[VillageTotal] | None = None,
    diff: RollDiff | None = None,
) -> bytes:
    """The roll as printed for signatures: the whole roll, or one village's part of it (its lines, its
    total and its changes since the previous roll). `totals` and `diff` may be passed in when several
    villages of one roll are printed (the district's job), so they are read once per roll."""
    lines = roll.lines.order_by("id")
    totals = roll_village_totals(roll=roll) if totals is None else totals
    diff = roll_diff(roll=roll) if diff is None else diff
    village = None
    if village_id is not None:
        lines = lines.filter(village_id=village_id)
        village = next((t for t in totals if t.village_id == village_id), None)
        totals = [village] if village else []
        name = village.village if village else ""
        diff = RollDiff(previous=diff.previous, changes=[c for c in diff.changes if c.village == name])
    lines = list(lines)
    for line in lines:
        line.account_masked = idcard.mask(line.bank_account or "")
    return render_pdf(
        template="archives/payments/roll_pdf.html",
        context={
            "roll": roll,
            "lines": lines,
            "totals": totals,
            "village": village,
            "diff": diff,
            "office": office_of(town=roll.town),
        },
        stylesheets=(STATIC_DIR / "pdf" / "roll.css",),
    )
