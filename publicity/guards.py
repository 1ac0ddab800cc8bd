"""Pipeline guards registered with `review.cases.workflow.register_guard` (see PublicityConfig.ready).

- An open objection holds its case: nothing but 退回 or 终止 until it is handled.
- 民主评议 → 镇审核 waits for 第一榜 to close; the town's pass (镇审核 → 区审批) and the
  district's approval wait for 第二榜 — each only where the round applies
  (`publicity.rounds.rounds_applying`).

`settings.PUBLICITY_ENFORCE_ROUNDS = False` switches the round gates off (for other
apps' tests that drive cases without publicity); the objection hold always applies.
"""

from django.conf import settings

from publicity.models import Objection
from publicity.rounds import NUMERALS, has_passed, rounds_applying
from review.cases.workflow import RETURN, TERMINATE
from review.models import Status

# (status, action) → the round that must have closed first.
GATES = {
    (Status.APPRAISAL, "submit"): 1,
    (Status.TOWN_REVIEW, "town_review"): 2,
    (Status.DISTRICT_APPROVAL, "approve"): 2,
}


def open_objection_guard(*, case, action, transition, by, data) -> str | None:
    if action in (RETURN, TERMINATE):
        return None
    if Objection.objects.filter(case_id=case.pk, result="").exists():
        return "本案有尚未处理完毕的公示异议，异议处理完毕前不能办理下一环节。"
    return None


def round_gate_guard(*, case, action, transition, by, data) -> str | None:
    number = GATES.get((case.status, action))
    if number is None or not getattr(settings, "PUBLICITY_ENFORCE_ROUNDS", True):
        return None
    if number not in rounds_applying(campaign=case.campaign):
        return None
    if has_passed(case=case, number=number):
        return None
    return f"本案须经第{NUMERALS[number]}榜公示期满、公示结束后才能办理此环节。"
