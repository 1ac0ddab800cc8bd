"""Review's objects, codes and structured data as the office names them (kanjia.labels; ReviewConfig.ready)."""

from households.labels import household_name, place
from kanjia import labels
from review.cases.workflow import RETURN, TERMINATE
from review.models import Campaign, Case, CaseStep, MonthlyReport, ReviewTeam, TeamMembership

# CaseStep.action: the transition codes of review.cases.workflow, in the words of the case page.
ACTIONS = {
    "accept": "受理",
    "investigate": "完成入户调查",
    "appraise": "提交评议结果（列入第一榜公示）",
    "submit": "上交民政办（镇审核）",
    "town_review": "镇审核通过，报区民政局审批",
    "approve": "区民政局审批",
    RETURN: "退回",
    TERMINATE: "终止办理",
}

CASE_RELATED = ("household__village", "household__group")


def case_label(case: Case) -> str:
    return f"{case.get_kind_display()}案件 {case.pk}号（{place(case.household)} {household_name(case.household)}）"


def monthly_figures(figures: dict) -> list[tuple[str, str]]:
    """月上报 figures as the report's own lines: totals, each village, stops by reason, 渐退期."""
    if not isinstance(figures, dict) or "totals" not in figures:
        return labels.structured(figures)

    def line(row: dict) -> str:
        return (
            f"在保 {row.get('households', 0)} 户 {row.get('persons', 0)} 人，月保障金 {row.get('amount', '0.00')} 元"
            f"（上月 {row.get('prev_households', 0)} 户 {row.get('prev_amount', '0.00')} 元）；"
            f"新纳入 {row.get('new', 0)}，调整 {row.get('adjusted', 0)}，停保 {row.get('stopped', 0)}"
        )

    out = [("合计", line(figures["totals"]))]
    out += [(row.get("village", "村(社区)"), line(row)) for row in figures.get("villages", [])]
    stops = [f"{s['label']} {s['count']} 户" for s in figures.get("stops_by_reason", []) if s.get("count")]
    out.append(("停保原因", "；".join(stops) or "无"))
    grace = figures.get("grace") or {}
    out.append(("渐退期", f"{grace.get('households', 0)} 户，{grace.get('amount', '0.00')} 元"))
    return out


def register() -> None:
    labels.register_label(Campaign, lambda campaign: f"专项行动《{campaign.name}》")
    labels.register_label(Case, case_label, related=CASE_RELATED)
    labels.register_label(ReviewTeam, lambda team: f"清理小组 {team.name}")
    labels.register_label(
        TeamMembership,
        lambda m: f"清理小组 {m.team.name} 的{m.get_role_display()} {labels.user_label(m.user)}",
        related=("team", "user"),
    )
    labels.register_label(
        MonthlyReport, lambda report: f"{report.town.name}{report.month:%Y年%m月}月上报", related=("town",)
    )
    labels.register_codes(CaseStep, "action", ACTIONS)
    labels.register_value(MonthlyReport, "figures", monthly_figures)
    labels.register_json_keys(
        {
            "households": "户数",
            "persons": "人数",
            "amount": "金额(元)",
            "month": "月份",
            "count": "数量",
            "label": "名称",
        }
    )
