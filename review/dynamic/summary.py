"""总结: a campaign's summary per village and per team, with charts, Excel and PDF.

For the cases the user may see (scoped by village):
- households re-checked (re-check cases finished), 维持, 调整, 停保 by reason
  (the nine categories), 新纳入 (applications admitted during the campaign);
- covered persons and monthly amounts before (the household as it stood when
  the campaign was launched, from history) and after (the district's decision;
  cases not decided yet count as unchanged; 停保 and 不予纳入 count as zero);
- objections and their results, spot-check findings, overdue cases;
- the leadership group with its roles, and policy outreach summed per village.
Charts are SVG built here (bars per village, before/after amounts): no script,
no style attributes, the same markup on the page and in the PDF.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from households.models import Household, ReviewFlag
from kanjia.naturalsort import natural_sorted
from kanjia.pdf import STATIC_DIR, render_pdf
from kanjia.xlsx import SheetSpec, write_xlsx
from review.cases.selectors import cases_visible_to, overdue_q
from review.dynamic import hooks
from review.leadership.selectors import leadership_of, person_name
from review.models import Campaign, Case, Outcome, SpotCheck, Status
from review.outreach.selectors import outreach_totals

User = AbstractBaseUser | AnonymousUser
ZERO = Decimal("0.00")
PAID = (Outcome.KEEP, Outcome.ADJUST, Outcome.ADMIT)
PDF_CSS = STATIC_DIR / "pdf" / "dynamic.css"
REASONS = ReviewFlag.Kind.choices


@dataclass
class Line:
    """One row of the summary (a village, a team or the total)."""

    name: str
    cases: int = 0
    rechecked: int = 0
    keep: int = 0
    adjust: int = 0
    stop: int = 0
    admit: int = 0
    refuse: int = 0
    stop_reasons: dict[int, int] = field(default_factory=lambda: {k: 0 for k, _ in REASONS})
    persons_before: int = 0
    persons_after: int = 0
    amount_before: Decimal = ZERO
    amount_after: Decimal = ZERO
    objections: int = 0
    objections_upheld: int = 0
    objections_rejected: int = 0
    objections_open: int = 0
    spot_sampled: int = 0
    spot_true: int = 0
    spot_false: int = 0
    spot_rectify: int = 0
    spot_open: int = 0
    overdue: int = 0

    @property
    def reasons_list(self) -> list[int]:
        return [self.stop_reasons[k] for k, _ in REASONS]

    @property
    def amount_change(self) -> Decimal:
        return self.amount_after - self.amount_before

    def row(self) -> list:
        return [
            self.name,
            self.cases,
            self.rechecked,
            self.keep,
            self.adjust,
            self.stop,
            *self.reasons_list,
            self.admit,
            self.persons_before,
            self.persons_after,
            self.amount_before,
            self.amount_after,
            self.amount_change,
            self.objections,
            self.objections_upheld,
            self.objections_rejected,
            self.objections_open,
            self.spot_sampled,
            self.spot_true,
            self.spot_false,
            self.spot_rectify,
            self.spot_open,
            self.overdue,
        ]


HEADER = [
    "名称",
    "案件数",
    "已复核户数",
    "维持",
    "调整",
    "停保",
    *[f"停保:{label}" for _, label in REASONS],
    "新纳入",
    "保障人数(前)",
    "保障人数(后)",
    "月保障金(前)",
    "月保障金(后)",
    "金额增减",
    "异议",
    "异议成立",
    "异议不成立",
    "异议未处理",
    "抽查户数",
    "抽查属实",
    "抽查不属实",
    "抽查需整改",
    "整改未销号",
    "逾期案件",
]


def _before(campaign: Campaign, household_ids: set[int]) -> dict[int, tuple[int, Decimal]]:
    """Covered persons and monthly total of each household when the campaign was launched."""
    if not household_ids:
        return {}
    moment = campaign.launched_at or timezone.now()
    rows = (
        Household.history.filter(history_date__lte=moment, id__in=household_ids)
        .latest_of_each()
        .exclude(history_type="-")
        .values_list("id", "status", "covered_persons", "base_amount", "extra_amount")
    )
    return {
        hid: (persons, base + extra) if status == Household.Status.ACTIVE else (0, ZERO)
        for hid, status, persons, base, extra in rows
    }


def campaign_summary(*, campaign: Campaign, user: User) -> dict:
    """Per village, per team and total (5 queries whatever the number of cases)."""
    cases = list(
        cases_visible_to(user=user)
        .filter(campaign=campaign)
        .annotate(late=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
        .values(
            "pk",
            "kind",
            "status",
            "outcome",
            "stop_reason",
            "late",
            "household_id",
            "household__covered_persons",
            "household__village_id",
            "household__village__name",
            "household__village__order",
            "team_id",
            "team__name",
            "district_approval__base_amount",
            "district_approval__extra_amount",
        )
        .order_by("household__village__order", "household__village_id", "pk")
    )
    before = _before(campaign, {c["household_id"] for c in cases if c["kind"] != Case.Kind.APPLICATION})
    villages: dict[int, Line] = {}
    teams: dict[int | None, Line] = {}
    total = Line("合计")
    where: dict[int, tuple[Line, Line]] = {}
    for c in cases:
        village = villages.setdefault(c["household__village_id"], Line(c["household__village__name"]))
        team = teams.setdefault(c["team_id"], Line(c["team__name"] or "未分配小组"))
        where[c["pk"]] = (village, team)
        persons_b, amount_b = (
            (0, ZERO) if c["kind"] == Case.Kind.APPLICATION else before.get(c["household_id"], (0, ZERO))
        )
        done = c["status"] == Status.DONE
        outcome = c["outcome"] if done else ""
        if done and outcome in PAID:
            persons_a = c["household__covered_persons"]
            amount_a = (c["district_approval__base_amount"] or ZERO) + (c["district_approval__extra_amount"] or ZERO)
        elif done:
            persons_a, amount_a = 0, ZERO
        else:
            persons_a, amount_a = persons_b, amount_b
        for line in (village, team, total):
            line.cases += 1
            line.rechecked += done and c["kind"] != Case.Kind.APPLICATION
            line.keep += outcome == Outcome.KEEP
            line.adjust += outcome == Outcome.ADJUST
            line.stop += outcome == Outcome.STOP
            line.admit += outcome == Outcome.ADMIT
            line.refuse += outcome == Outcome.REFUSE
            if outcome == Outcome.STOP and c["stop_reason"]:
                line.stop_reasons[c["stop_reason"]] += 1
            line.persons_before += persons_b
            line.persons_after += persons_a
            line.amount_before += amount_b
            line.amount_after += amount_a
            line.overdue += bool(c["late"])
    for case_id, result in hooks.objection_results(case_ids=where):
        for line in (*where[case_id], total):
            line.objections += 1
            line.objections_upheld += result == hooks.OBJECTION_UPHELD
            line.objections_rejected += result == hooks.OBJECTION_REJECTED
            line.objections_open += result == hooks.OBJECTION_OPEN
    spot = SpotCheck.objects.filter(case_id__in=where).values_list("case_id", "conclusion", "closed_at")
    for case_id, conclusion, closed_at in spot:
        for line in (*where[case_id], total):
            line.spot_sampled += 1
            line.spot_true += conclusion == SpotCheck.Conclusion.TRUE
            line.spot_false += conclusion == SpotCheck.Conclusion.FALSE
            line.spot_rectify += conclusion == SpotCheck.Conclusion.RECTIFY
            line.spot_open += conclusion == SpotCheck.Conclusion.RECTIFY and closed_at is None
    village_lines = list(villages.values())
    team_lines = natural_sorted(teams.values(), key=lambda line: line.name)
    return {
        "campaign": campaign,
        "villages": village_lines,
        "teams": team_lines,
        "total": total,
        "reasons": REASONS,
        "outcome_chart": outcome_chart(village_lines),
        "amount_chart": amount_chart(village_lines),
        "leadership": [(m.role, person_name(m.user), m.duty) for m in leadership_of(campaign=campaign)],
        "outreach": outreach_totals(user=user, campaign_id=campaign.pk),
    }


# --- Charts (SVG, server-side) -------------------------------------------------------------

PALETTE = {
    "维持": "#2e7d32",
    "调整": "#f9a825",
    "停保": "#c62828",
    "新纳入": "#1565c0",
    "清理前": "#90a4ae",
    "清理后": "#1565c0",
}


def _fmt(value) -> str:
    return f"{value:,.0f}" if isinstance(value, Decimal) else str(value)


def _nice_step(peak: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^k) giving about `ticks` intervals up to `peak`."""
    raw = max(peak, 1.0) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            step = factor * magnitude
            return max(step, 1.0)
    return 10 * magnitude


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 or value == 0 else f"{value:g}"


def bar_chart(
    *,
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    unit: str = "",
    axis_title: str = "",
    stacked: bool = False,
    width: int = 640,
) -> SafeString:
    """Horizontal bars, one row per label (村/社区 names stay upright and readable), drawn server-side.

    A fixed width and a height that grows with the rows keep the chart legible in a half-width card
    and in the A4 PDF alike. Legend on top; value axis with round ticks, gridlines and its title
    (with the unit) below; values at the bar ends. `stacked` piles the series (复核结果 per village
    adds up to the cases reviewed); otherwise each series gets its own bar in the row.
    """
    rows = max(len(labels), 1)
    per_row = 22 if stacked else 9 * len(series) + 10
    left = 16 + 12 * max([len(label) for label in labels] + [2])
    right, top, bottom = 64, 34, 44
    plot_w = width - left - right
    plot_h = rows * per_row
    height = top + plot_h + bottom
    totals = (
        [sum(float(values[j]) for _, values in series) for j in range(len(labels))]
        if stacked
        else [float(v) for _, values in series for v in values]
    )
    largest = max([*totals, 0.0])
    step = _nice_step(largest)
    peak = step * max(math.ceil(largest / step), 1)
    scale = plot_w / peak
    base_y = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Noto Sans SC, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    # Legend.
    x = left
    for name, _ in series:
        color = PALETTE.get(name, "#607d8b")
        parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="20">{escape(name)}</text>')
        x += 16 + 12 * len(name) + 18
    # Value axis: gridlines, ticks, title.
    tick = 0.0
    while tick <= peak + 1e-9:
        tx = left + tick * scale
        parts.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{base_y}" stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{tx:.1f}" y="{base_y + 14}" text-anchor="middle" fill="#444">{_tick(tick)}</text>')
        tick += step
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#555" stroke-width="1"/>')
    parts.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#555" stroke-width="1"/>')
    axis = f"{axis_title}（{unit}）" if unit else axis_title
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#222">{escape(axis)}</text>'
    )
    # Rows.
    for j, label in enumerate(labels):
        y = top + j * per_row
        parts.append(
            f'<text x="{left - 6}" y="{y + per_row / 2 + 4:.1f}" text-anchor="end" fill="#222">{escape(label)}</text>'
        )
        bx = float(left)
        for i, (name, values) in enumerate(series):
            value = float(values[j])
            w = value * scale
            color = PALETTE.get(name, "#607d8b")
            bar_y, bar_h = (y + 4, per_row - 8) if stacked else (y + 5 + i * 9, 8)
            parts.append(
                f'<rect x="{bx:.1f}" y="{bar_y:.1f}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                f"<title>{escape(label)} {escape(name)}：{escape(_fmt(values[j]))}{escape(unit)}</title></rect>"
            )
            if stacked:
                bx += w
            elif value:
                parts.append(
                    f'<text x="{left + w + 3:.1f}" y="{bar_y + 7:.1f}" font-size="9" fill="#333">'
                    f"{escape(_fmt(values[j]))}</text>"
                )
        if stacked:
            parts.append(
                f'<text x="{bx + 4:.1f}" y="{y + per_row / 2 + 4:.1f}" fill="#333">{escape(_tick(totals[j]))}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def outcome_chart(lines: list[Line]) -> SafeString:
    return bar_chart(
        title="各村(社区)复核结果",
        labels=[line.name for line in lines],
        series=[
            ("维持", [line.keep for line in lines]),
            ("调整", [line.adjust for line in lines]),
            ("停保", [line.stop for line in lines]),
            ("新纳入", [line.admit for line in lines]),
        ],
        unit="户",
        axis_title="已办结户数",
        stacked=True,
    )


def amount_chart(lines: list[Line]) -> SafeString:
    return bar_chart(
        title="各村(社区)月保障金清理前后对比",
        labels=[line.name for line in lines],
        series=[
            ("清理前", [line.amount_before for line in lines]),
            ("清理后", [line.amount_after for line in lines]),
        ],
        unit="元",
        axis_title="月保障金",
    )


# --- Files ---------------------------------------------------------------------------------------


def summary_xlsx(*, summary: dict) -> bytes:
    villages = [line.row() for line in [*summary["villages"], summary["total"]]]
    teams = [line.row() for line in [*summary["teams"], summary["total"]]]
    outreach = summary["outreach"]
    kinds = [f"{kind}({unit})" for kind, unit in outreach.kinds]
    return write_xlsx(
        [
            SheetSpec("各村(社区)", ["村(社区)", *HEADER[1:]], villages),
            SheetSpec("各清理小组", ["清理小组", *HEADER[1:]], teams),
            SheetSpec(
                "政策宣传",
                ["村(社区)", *kinds, "活动次数", "受众人数"],
                [
                    [line.name, *line.count_list, line.activities, line.audience]
                    for line in [*outreach.villages, outreach.total]
                ],
            ),
            SheetSpec("领导小组", ["职务", "姓名", "单位职务"], [list(row) for row in summary["leadership"]]),
        ]
    )


def summary_pdf(*, summary: dict) -> bytes:
    return render_pdf(
        template="review/dynamic/summary/summary_pdf.html",
        context={**summary, "printed_at": timezone.now()},
        stylesheets=(PDF_CSS,),
    )
