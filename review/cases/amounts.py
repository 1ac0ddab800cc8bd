"""Decisions start from the computation (issue 14).

镇审核 and 区审批 are prefilled with the household's computation for the benefit month
(the month after the decision, when payment starts). A decision that pays (维持, 调整,
新纳入) needs a written 特殊情形说明 when it departs from the computation or the
eligibility rules: an amount other than the computed one, a per-capita income at or
above the standard, a failed property rule, no standard to compute with. The record
keeps the computation and what departed from it (also a flag disposed 需退出 on a
household that is not stopped), so the case page can show computed
and decided side by side and the inspector's anomaly report can list every such decision.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Max

from households.benefit import Computation, benefit_for, benefit_month
from households.models import ReviewFlag
from review.models import Case, DistrictApproval, Outcome

PAYING = (Outcome.KEEP, Outcome.ADJUST, Outcome.ADMIT)
REASON_NEEDED = "本决定与系统计算或保障条件不符（{what}），须填写特殊情形说明。"


@dataclass(frozen=True)
class Computed:
    month: date
    computation: Computation

    @property
    def base(self) -> Decimal:
        return self.computation.base_amount

    @property
    def extra(self) -> Decimal:
        return self.computation.extra_amount

    @property
    def total(self) -> Decimal:
        return self.computation.total


def computed_for(*, case: Case, decided_on: date) -> Computed:
    """The household's computation for the month a decision made on `decided_on` takes effect."""
    month = benefit_month(decided_on)
    return Computed(month=month, computation=benefit_for(household=case.household, month=month))


def eligibility_problems(computation: Computation) -> list[str]:
    c = computation
    if c.standard is None:
        return [f"未设置{c.month:%Y年%m月}适用的保障标准，无法计算"]
    problems = []
    if not c.members:
        problems.append("无共同生活的家庭成员")
    if c.per_capita >= c.standard.monthly_amount:
        problems.append(f"家庭月人均收入 {c.per_capita} 元达到或超过保障标准 {c.standard.monthly_amount} 元")
    if not c.property_ok:
        failed = "、".join(line.label for line in c.property_lines if not line.counted)
        problems.append(f"财产不符合规定（{failed}）")
    return problems


def exit_flags(*, case: Case) -> list[ReviewFlag]:
    """The household's flags disposed 需退出 since its last finished decision (or ever)."""
    last = (
        DistrictApproval.objects.filter(case__household_id=case.household_id, completed_at__isnull=False)
        .exclude(case=case)
        .aggregate(last=Max("completed_at"))["last"]
    )
    flags = ReviewFlag.objects.filter(household_id=case.household_id, disposition=ReviewFlag.Disposition.EXIT)
    if last is not None:
        flags = flags.filter(disposed_at__gt=last)
    return list(flags.order_by("kind", "pk"))


def deviations(
    *,
    computed: Computed,
    outcome: str,
    base: Decimal | None,
    extra: Decimal | None,
    exits: list[ReviewFlag] = (),
) -> list[str]:
    """What a paying decision departs from; empty for one that follows the computation (or does not pay).

    `extra` None: only the total is decided (镇审核's proposed amount). `exits`: flags disposed
    需退出, which make the outcome 停保 unless the decider writes why not."""
    if outcome not in PAYING:
        return []
    found = []
    if exits:
        kinds = "、".join(dict.fromkeys(f.get_kind_display() for f in exits))
        found.append(f"重点复核标记处理结论为“需退出”（{kinds}），应停保")
    found += eligibility_problems(computed.computation)
    if computed.computation.standard is None:
        return found
    base = base or Decimal("0")
    if extra is None:
        if base != computed.total:
            found.append(f"拟月保障金 {base} 元，计算为 {computed.total} 元")
    elif base != computed.base or extra != computed.extra:
        found.append(f"决定月保障金 {base} 元、分类施保金 {extra} 元，计算为 {computed.base} 元、{computed.extra} 元")
    return found


def reason_error(found: list[str]) -> str:
    return REASON_NEEDED.format(what="；".join(found))
