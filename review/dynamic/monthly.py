"""月解剖 (monthly case analysis) and 月上报 (the monthly report).

月上报 for month M, per village of the town:
- the roll at the end of M: households in care (在保), covered persons, monthly
  amount (base + 分类施保); read from the live table when the end of M has not
  passed yet, else from the households' history as it stood then;
- the same figures at the end of M−1 and the change;
- what the district decided in M (审批日期 in M; payment changes from M+1):
  新纳入, 调整, 停保 by reason (the nine categories);
- 渐退期 households paying in M.
The figures are stored as JSON on the report row, with an Excel and a PDF made
from them; generating the same month again replaces them (one row per month).
"""

from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from households.models import Household, ReviewFlag, Town, Village
from households.paychecks.selectors import paid_off_by_village
from households.selectors import towns_visible_to, villages_visible_to
from kanjia import roles
from kanjia.pdf import STATIC_DIR, render_pdf
from kanjia.xlsx import SheetSpec, write_xlsx
from review.cases.selectors import cases_visible_to, overdue_q
from review.dynamic.services import add_months, can_manage_dynamic, grace_in_force, month_end, month_start
from review.models import (
    Case,
    DistrictApproval,
    GracePeriod,
    MonthlyAnalysis,
    MonthlyAnalysisItem,
    MonthlyReport,
    Outcome,
    Status,
)

User = AbstractBaseUser | AnonymousUser
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
RULE_LIMIT = 20
PDF_CSS = STATIC_DIR / "pdf" / "dynamic.css"


def towns_for(*, user: User) -> QuerySet[Town]:
    return Town.objects.filter(villages__in=villages_visible_to(user=user)).distinct().order_by("code")


def can_read_reports(*, user: User) -> bool:
    """Town-level figures: the office, the district and the inspectors."""
    return roles.reads_whole_town(user)


# --- 月上报: figures --------------------------------------------------------------------------


def _end_of(month: date) -> datetime:
    return timezone.make_aware(datetime.combine(month_end(month), time.max))


def _roll_rows(queryset: QuerySet) -> dict[int, dict]:
    rows = (
        queryset.filter(status=Household.Status.ACTIVE)
        .values("village_id")
        .annotate(
            households=Count("pk"),
            persons=Coalesce(Sum("covered_persons"), 0),
            amount=Coalesce(Sum(F("base_amount") + F("extra_amount"), output_field=MONEY), Value(ZERO)),
        )
    )
    return {r["village_id"]: r for r in rows}


def roll(*, town: Town, month: date) -> dict[int, dict]:
    """Households in care per village at the end of `month` (history when that moment has passed)."""
    return roll_of(towns=[town], month=month)


def roll_of(*, towns, month: date) -> dict[int, dict]:
    """`roll` for several towns at once (one query): the rows are per village, so per town too."""
    end = _end_of(month)
    villages = Village.objects.filter(town__in=towns).values("pk")
    if end >= timezone.now():
        return _roll_rows(Household.objects.filter(village__in=villages))
    historical = Household.history.filter(history_date__lte=end, village_id__in=villages)
    latest = historical.latest_of_each().exclude(history_type="-")
    return _roll_rows(latest)


def default_month(*, user: User) -> date:
    """The month a 月上报 form opens on: the last finished month if the registry already existed then,
    else the current month (a registry loaded this month has no history for the month before: all zeros)."""
    today = timezone.localdate()
    previous = month_start(add_months(today, -1))
    towns = towns_for(user=user)
    known = Household.history.filter(history_date__lte=_end_of(previous), village__town__in=towns).exists()
    return previous if known else month_start(today)


def decisions(*, town: Town | None = None, month: date, towns=None) -> QuerySet[DistrictApproval]:
    """Approvals decided in `month` (their payment changes from the next month), of one town or of `towns`."""
    where = Q(case__household__village__town=town) if town is not None else Q(case__household__village__town__in=towns)
    return DistrictApproval.objects.filter(
        where,
        decision=DistrictApproval.Decision.APPROVE,
        completed_at__isnull=False,
        decided_on__gte=month_start(month),
        decided_on__lte=month_end(month),
    )


def figures(*, town: Town, month: date) -> dict:
    return figures_of(towns=[town], month=month)[town.pk]


def figures_of(*, towns: list[Town], month: date) -> dict[int, dict]:
    """The report figures of each of `towns` (keyed by town id), read together: a fixed number of
    queries whatever the number of towns and villages, plus the paid-vs-computed pass per town."""
    month = month_start(month)
    previous = add_months(month, -1)
    now, before = roll_of(towns=towns, month=month), roll_of(towns=towns, month=previous)
    flows = {
        (r["case__household__village_id"], r["outcome"]): r
        for r in decisions(towns=towns, month=month)
        .values("case__household__village_id", "outcome")
        .annotate(n=Count("pk"), amount=Sum(F("base_amount") + F("extra_amount"), output_field=MONEY))
    }
    stops = {
        (r["case__household__village__town_id"], r["stop_reason"]): r["n"]
        for r in decisions(towns=towns, month=month)
        .filter(outcome=Outcome.STOP)
        .values("case__household__village__town_id", "stop_reason")
        .annotate(n=Count("pk"))
    }
    graces = {
        r["household__village__town_id"]: r
        for r in GracePeriod.objects.filter(grace_in_force(month=month), household__village__town__in=towns)
        .values("household__village__town_id")
        .annotate(households=Count("pk"), amount=Coalesce(Sum("monthly_amount"), Value(ZERO), output_field=MONEY))
    }
    off = paid_off_by_village(town_ids=[t.pk for t in towns], month=month)
    rows_by_town: dict[int, list[dict]] = {t.pk: [] for t in towns}
    for village in Village.objects.filter(town__in=towns).order_by("town_id", "order", "pk"):
        cur, old = now.get(village.pk, {}), before.get(village.pk, {})

        def flow(outcome: str, key: str = "n", village_id: int = village.pk):
            return flows.get((village_id, outcome), {}).get(key) or 0

        rows_by_town[village.town_id].append(
            {
                "village_id": village.pk,
                "village": village.name,
                "households": cur.get("households", 0),
                "persons": cur.get("persons", 0),
                "amount": money(cur.get("amount")),
                "prev_households": old.get("households", 0),
                "prev_persons": old.get("persons", 0),
                "prev_amount": money(old.get("amount")),
                "new": flow(Outcome.ADMIT),
                "new_amount": money(flow(Outcome.ADMIT, "amount")),
                "adjusted": flow(Outcome.ADJUST),
                "stopped": flow(Outcome.STOP),
                "paid_off": off.get(village.pk, 0),
            }
        )
    out = {}
    for town in towns:
        grace = graces.get(town.pk, {"households": 0, "amount": ZERO})
        out[town.pk] = {
            "month": month.isoformat(),
            "previous_month": previous.isoformat(),
            "villages": rows_by_town[town.pk],
            "totals": sum_rows(rows_by_town[town.pk]),
            "stops_by_reason": [
                {"kind": kind, "label": label, "count": stops.get((town.pk, kind), 0)}
                for kind, label in ReviewFlag.Kind.choices
            ],
            "grace": {"households": grace["households"], "amount": money(grace["amount"])},
        }
    return out


COUNTED = ("households", "persons", "prev_households", "prev_persons", "new", "adjusted", "stopped", "paid_off")
AMOUNTS = ("amount", "prev_amount", "new_amount")


def sum_rows(rows: list[dict]) -> dict:
    """The total row of village rows (or of towns' total rows)."""
    totals = {key: sum(r.get(key, 0) for r in rows) for key in COUNTED}
    for key in AMOUNTS:
        totals[key] = money(sum((Decimal(r[key]) for r in rows), ZERO))
    return totals


def money(value) -> str:
    """Amounts are stored as strings with two decimals (JSON has no Decimal; SQLite sums lose the scale)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _change(now, before) -> str:
    diff = Decimal(str(now)) - Decimal(str(before))
    return f"+{diff}" if diff > 0 else str(diff)


def table_rows(data: dict, *, total: bool = True) -> list[list]:
    """The village table as the Excel and PDF show it (with a total row unless `total` is false)."""
    out = []
    for r in [*data["villages"], *([{**data["totals"], "village": "合计"}] if total else [])]:
        out.append(
            [
                r["village"],
                r["households"],
                r["persons"],
                Decimal(r["amount"]),
                r["prev_households"],
                r["prev_persons"],
                Decimal(r["prev_amount"]),
                _change(r["households"], r["prev_households"]),
                _change(r["persons"], r["prev_persons"]),
                _change(r["amount"], r["prev_amount"]),
                r["new"],
                Decimal(r["new_amount"]),
                r["adjusted"],
                r["stopped"],
                r.get("paid_off", "—"),  # reports stored before the column existed have no figure
            ]
        )
    return out


TABLE_HEADER = [
    "村(社区)",
    "在保户数",
    "保障人数",
    "月保障金额(元)",
    "上月户数",
    "上月人数",
    "上月金额(元)",
    "户数增减",
    "人数增减",
    "金额增减(元)",
    "本月新纳入",
    "本月新纳入金额(元)",
    "本月调整",
    "本月停保",
    "现发与测算不一致户数",
]


def _xlsx(data: dict) -> bytes:
    return write_xlsx(
        [
            SheetSpec("各村汇总", TABLE_HEADER, table_rows(data)),
            SheetSpec("停保原因", ["停保原因", "户数"], [[s["label"], s["count"]] for s in data["stops_by_reason"]]),
            SheetSpec(
                "渐退期",
                ["渐退期户数", "渐退期月发放金额(元)"],
                [[data["grace"]["households"], Decimal(data["grace"]["amount"])]],
            ),
        ]
    )


def report_context(*, report: MonthlyReport) -> dict:
    return {
        "report": report,
        "data": report.figures,
        "header": TABLE_HEADER,
        "rows": table_rows(report.figures),
        "printed_at": timezone.now(),
    }


def generate_report(*, town: Town, month: date, by: AbstractBaseUser | None = None) -> MonthlyReport:
    """Compute and store the report of `month` (replacing an earlier one of the same month)."""
    month = month_start(month)
    try:
        with transaction.atomic():
            return _generate(town=town, month=month, by=by)
    except IntegrityError:
        # Generated at the same moment by another run (unique town+month): regenerate over it.
        with transaction.atomic():
            return _generate(town=town, month=month, by=by)


def _generate(*, town: Town, month: date, by: AbstractBaseUser | None) -> MonthlyReport:
    report = MonthlyReport.objects.select_for_update().filter(town=town, month=month).first()
    report = report or MonthlyReport(town=town, month=month)
    report.figures = figures(town=town, month=month)
    report.generated_at = timezone.now()
    report.generated_by = by
    stem = f"{town.code}-{month:%Y-%m}-月报"
    old = [f.name for f in (report.xlsx, report.pdf) if f]
    report.xlsx.save(f"{stem}.xlsx", ContentFile(_xlsx(report.figures)), save=False)
    pdf = render_pdf(
        template="review/dynamic/monthly_pdf.html", context=report_context(report=report), stylesheets=(PDF_CSS,)
    )
    report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    report._history_user = by
    report.save()
    # The previous files go once the new ones are recorded (the storage gives new names).
    storage = report.pdf.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in old if storage.exists(name)])
    return report


def generate_due_reports(*, month: date | None = None, town_id: int | None = None) -> list[MonthlyReport]:
    """The beat task's work: the previous month's report of every town (or one)."""
    month = month or add_months(month_start(timezone.localdate()), -1)
    towns = Town.objects.filter(villages__isnull=False).distinct().order_by("pk")
    if town_id is not None:
        towns = towns.filter(pk=town_id)
    return [generate_report(town=town, month=month) for town in towns]


def report_generate(*, town: Town, month: date, by: AbstractBaseUser) -> MonthlyReport:
    if not can_manage_dynamic(user=by):
        raise PermissionDenied("月报由镇民政办生成。")
    if not towns_visible_to(user=by).filter(pk=town.pk).exists():
        raise PermissionDenied("只能生成本镇的月报。")
    if month_start(month) > month_start(timezone.localdate()):
        raise ValidationError({"month": "不能生成未来月份的月报。"})
    return generate_report(town=town, month=month, by=by)


def reports_visible_to(*, user: User) -> QuerySet[MonthlyReport]:
    if not can_read_reports(user=user):
        return MonthlyReport.objects.none()
    return MonthlyReport.objects.filter(town__in=towns_visible_to(user=user)).select_related("town", "generated_by")


def towns_reporting(*, user: User) -> QuerySet[Town]:
    """The towns whose 月上报 the user's generate button makes: the user's own town(s) that have villages."""
    return towns_visible_to(user=user).filter(villages__isnull=False).distinct().order_by("code")


# --- 月解剖 ---------------------------------------------------------------------------------


def analyses_visible_to(*, user: User) -> QuerySet[MonthlyAnalysis]:
    if not can_read_reports(user=user):
        return MonthlyAnalysis.objects.none()
    return MonthlyAnalysis.objects.filter(town__in=towns_for(user=user)).select_related("town", "created_by")


def _require(by: AbstractBaseUser) -> None:
    if not can_manage_dynamic(user=by):
        raise PermissionDenied("月解剖由镇民政办组织。")


def analysis_open(*, town: Town, month: date, by: AbstractBaseUser) -> MonthlyAnalysis:
    """The analysis of `month` (created on first use)."""
    _require(by)
    month = month_start(month)
    found = MonthlyAnalysis.objects.filter(town=town, month=month).first()
    if found:
        return found
    analysis = MonthlyAnalysis(town=town, month=month, created_by=by)
    analysis._history_user = by
    try:
        with transaction.atomic():
            analysis.save()
    except IntegrityError:
        return MonthlyAnalysis.objects.get(town=town, month=month)
    return analysis


def rule_cases(*, analysis: MonthlyAnalysis, source: str) -> QuerySet[Case]:
    """The cases a rule picks for the month (at most RULE_LIMIT, oldest first)."""
    start, end = analysis.month, month_end(analysis.month)
    cases = Case.objects.filter(household__village__town=analysis.town)
    closed_in_month = Q(status=Status.DONE, closed_at__date__gte=start, closed_at__date__lte=end)
    rules = {
        MonthlyAnalysisItem.Source.OVERDUE: overdue_q(),
        MonthlyAnalysisItem.Source.STOPPED: closed_in_month & Q(outcome=Outcome.STOP),
        MonthlyAnalysisItem.Source.OBJECTION: Q(has_objection=True) & (closed_in_month | ~Q(status=Status.DONE)),
        MonthlyAnalysisItem.Source.NEAR_RELATIVE: Q(is_near_relative=True) & (closed_in_month | ~Q(status=Status.DONE)),
    }
    if source not in rules:
        raise ValidationError({"source": "请选择选取规则。"})
    return cases.filter(rules[source]).exclude(status=Status.TERMINATED).order_by("pk")[:RULE_LIMIT]


def _add_items(analysis: MonthlyAnalysis, case_ids: list[int], source: str, by: AbstractBaseUser) -> int:
    taken = set(analysis.items.values_list("case_id", flat=True))
    added = 0
    for case_id in case_ids:
        if case_id in taken:
            continue
        item = MonthlyAnalysisItem(analysis=analysis, case_id=case_id, source=source)
        item._history_user = by
        item.save()
        added += 1
    return added


def analysis_pick_rule(*, analysis: MonthlyAnalysis, source: str, by: AbstractBaseUser) -> int:
    _require(by)
    if source == MonthlyAnalysisItem.Source.HAND:
        raise ValidationError({"source": "请选择选取规则。"})
    ids = list(rule_cases(analysis=analysis, source=source).values_list("pk", flat=True))
    return _add_items(analysis, ids, source, by)


def analysis_pick_case(*, analysis: MonthlyAnalysis, case_id: int | None, by: AbstractBaseUser) -> int:
    _require(by)
    visible = cases_visible_to(user=by).filter(household__village__town=analysis.town)
    if not case_id or not visible.filter(pk=case_id).exists():
        raise ValidationError({"case_id": "没有找到该案件编号。"})
    if analysis.items.filter(case_id=case_id).exists():
        raise ValidationError({"case_id": "该案件已在本月解剖名单中。"})
    return _add_items(analysis, [case_id], MonthlyAnalysisItem.Source.HAND, by)


def analysis_item_finding(*, item: MonthlyAnalysisItem, finding: str, by: AbstractBaseUser) -> MonthlyAnalysisItem:
    _require(by)
    finding = (finding or "").strip()
    if not finding:
        raise ValidationError({"finding": "请填写解剖发现。"})
    item.finding = finding
    item._history_user = by
    item.save()
    return item


def analysis_conclude(
    *, analysis: MonthlyAnalysis, held_on: date | None, participants: str, findings: str, by: AbstractBaseUser
) -> MonthlyAnalysis:
    _require(by)
    errors = {}
    if not held_on:
        errors["held_on"] = "请填写会议日期。"
    elif held_on > timezone.localdate():
        errors["held_on"] = "会议日期不能晚于今天。"
    if not (participants or "").strip():
        errors["participants"] = "请填写参会人员。"
    if not (findings or "").strip():
        errors["findings"] = "请填写总体结论。"
    if errors:
        raise ValidationError(errors)
    analysis.held_on, analysis.participants, analysis.findings = held_on, participants.strip(), findings.strip()
    analysis._history_user = by
    analysis.save()
    return analysis
