"""Pipeline guards registered with `review.cases.workflow.register_guard` (see PublicityConfig.ready).

- An open objection holds its case: nothing but 退回 or 终止 until it is handled.
- 民主评议 → 镇审核 waits for 第一榜 to close, and so does signing the 清理核实登记表
  (`signing_gate`, registered with `register_signing_gate`: the seed's order); the town's pass (镇审核 → 区审批) and the
  district's approval wait for 第二榜 — each only where the round applies
  (`publicity.rounds.rounds_applying`).

`settings.PUBLICITY_ENFORCE_ROUNDS = False` switches the round gates off (for other
apps' tests that drive cases without publicity); the objection hold always applies.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from publicity.forms import NO_CAMPAIGN
from publicity.models import Objection, PublicityRound, RoundCase
from publicity.rounds import NUMERALS, has_passed, rounds_applying, with_passed
from review.cases.workflow import RETURN, TERMINATE, Reason
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
    objection = Objection.objects.filter(case_id=case.pk, result="").order_by("pk").first()
    if objection is not None:
        return Reason(
            "本案有尚未处理完毕的公示异议，异议处理完毕前不能办理下一环节。",
            url=reverse("publicity:objection", args=[objection.pk]),
            link="处理异议（镇民政办）",
        )
    return None


def round_gate_guard(*, case, action, transition, by, data) -> str | None:
    number = GATES.get((case.status, action))
    if number is None or not getattr(settings, "PUBLICITY_ENFORCE_ROUNDS", True):
        return None
    if number not in rounds_applying(campaign=case.campaign):
        return None
    if has_passed(case=case, number=number):
        return None
    return round_state(case=case, number=number)


def signing_gate(*, case) -> str | None:
    """The 登记表 is signed after 第一榜 has closed with the case passed (where the round applies)."""
    if case.status != Status.APPRAISAL or not getattr(settings, "PUBLICITY_ENFORCE_ROUNDS", True):
        return None
    if 1 not in rounds_applying(campaign=case.campaign) or has_passed(case=case, number=1):
        return None
    state = round_state(case=case, number=1)
    return Reason(
        "清理核实登记表须在第一榜公示期满、公示结束后签字。", url=state.url, link=state.link, detail=state.detail
    )


def signable_cases(cases):
    """The case list's and worklists' form of `signing_gate`: those of `cases` (in the signing
    stages) whose 登记表 the round lets be signed now."""
    if not getattr(settings, "PUBLICITY_ENFORCE_ROUNDS", True):
        return cases
    # 第一榜 applies wherever an appraisal is held (`rounds_applying`): outside 民主评议, or
    # in a campaign without appraisal, the round has nothing to say.
    without_round = ~Q(status=Status.APPRAISAL) | Q(campaign__appraisal_required=False)
    return with_passed(cases, number=1).filter(without_round | Q(passed=True))


def round_state(*, case, number: int) -> Reason:
    """Why round `number` still holds the case, and where the town office moves it on (1 query)."""
    text = f"本案须经第{NUMERALS[number]}榜公示期满、公示结束后才能办理此环节。"
    entry = (
        RoundCase.objects.filter(case_id=case.pk, round__number=number)
        .exclude(round__status=PublicityRound.Status.CLOSED)
        .select_related("round")
        .first()
    )
    if entry is None:
        query = urlencode({"campaign": case.campaign_id or NO_CAMPAIGN, "village": case.household.village_id})
        url = f"{reverse('publicity:rounds')}?{query}&number={number}#prepare"
        return Reason(text, detail=f"本案尚未列入第{NUMERALS[number]}榜公示。", url=url, link="生成公示（镇民政办）")
    found = entry.round
    url = reverse("publicity:round", args=[found.pk])
    if found.status == PublicityRound.Status.DRAFT:
        return Reason(text, detail="已列入公示草稿，尚未发布。", url=url, link="发布公示（镇民政办）")
    if found.ends_on and found.ends_on >= timezone.localdate():
        return Reason(text, detail=f"正在公示，公示期至{found.ends_on:%Y年%m月%d日}。", url=url, link="查看公示")
    return Reason(text, detail="公示期已满，待镇民政办结束公示。", url=url, link="结束公示（镇民政办）")
