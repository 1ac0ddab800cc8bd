"""下一步: what a case waits for, who can do it, and everything still missing, all at once.

Read-only. It asks the workflow itself (`workflow.transition_blockers`: the registered
guards and the transition's requirements; `workflow.actor_refusal`: role, scope,
recusal, separation of duties), so the panel and `case_advance` never disagree.
Requirements that the stage form supplies (the stage record, the flags disposed in
the 入户调查 form) leave the button offered; anything else (publicity, signatures,
documents, objections, who the user is) takes the button away and the panel says why.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from review.cases import workflow
from review.models import Case, Investigation, RegistrationForm, Status, TeamMembership

# Requirements the stage form itself supplies when it is submitted with the button.
FORM_SUPPLIES = {"acceptance", "investigation", "appraisal", "town_review", "district_approval", "home_visit"}
# Where each requirement is put right on the case page.
ANCHORS = {
    "acceptance": ("#stage-form", "填写受理登记"),
    "investigation": ("#stage-form", "填写入户调查"),
    "flags_disposed": ("#flags", "逐条作出处理结论"),
    "appraisal": ("#stage-form", "填写民主评议"),
    "registration_signed": ("#registration", "清理核实登记表签字"),
    "town_review": ("#stage-form", "填写镇审核意见"),
    "district_approval": ("#stage-form", "填写区审批意见"),
    "home_visit": ("#stage-form", "填写入户核查记录"),
}
SLOT_LABELS = (
    ("leader", TeamMembership.Role.LEADER),
    ("cadre", TeamMembership.Role.CADRE),
    ("village_cadre", TeamMembership.Role.VILLAGE_CADRE),
)


@dataclass(frozen=True)
class Missing:
    text: str
    url: str = ""
    link: str = ""
    blocks: bool = True  # False: the stage form supplies it with the button


@dataclass
class NextStep:
    action: str  # the transition's action, "" when the case is closed
    label: str
    who: str
    people: list[str] = field(default_factory=list)
    refusal: str | None = None  # why this user cannot take it
    state: str = ""  # 公示期满，待签字上交 while the 登记表 waits for its signatures
    missing: list[Missing] = field(default_factory=list)
    route: list[str] = field(default_factory=list)  # what follows, in order

    @property
    def blocked(self) -> bool:
        return bool(self.refusal) or any(m.blocks for m in self.missing)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _advancing(case: Case) -> tuple[str, workflow.Transition] | None:
    """The stage's forward transition: the one its form completes, else (民主评议 once the
    appraisal's result is submitted) the hand-over without a record, 上交民政办."""
    record = workflow.STAGE_RECORDS.get(case.status)
    found = []
    for (status, action), transition in workflow.TRANSITIONS.items():
        if status != case.status or action in (workflow.RETURN, workflow.TERMINATE):
            continue
        if not all(workflow.CONDITIONS[name](case) for name in transition.when):
            continue
        if transition.record == record or transition.record is None:
            found.append((transition.record is None, action, transition))
    if not found:
        return None
    _, action, transition = min(found, key=lambda row: row[0])
    return action, transition


def _people(case: Case, transition: workflow.Transition) -> list[str]:
    """Who can take it, where known: the case's team, or the role's active accounts not excluded."""
    if transition.team_scoped and case.team_id:
        members = TeamMembership.objects.filter(team_id=case.team_id).select_related("user").order_by("pk")
        return [f"{_name(m.user)}（{m.role}）" for m in members if m.user.is_active]
    users = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=transition.roles)
        .distinct()
        .order_by("pk")[:20]
    )
    investigators = set(
        Investigation.investigators.through.objects.filter(investigation__case=case).values_list("user_id", flat=True)
    )
    deciders = set(case.steps.exclude(action=workflow.TERMINATE).values_list("actor_id", "from_status"))
    other_stage = {Status.TOWN_REVIEW: Status.DISTRICT_APPROVAL, Status.DISTRICT_APPROVAL: Status.TOWN_REVIEW}
    names = []
    for user in users:
        if user.pk in investigators and "investigator" in transition.excludes:
            continue
        if (user.pk, other_stage.get(case.status)) in deciders:
            continue
        names.append(_name(user))
    return names


def signature_gaps(case: Case) -> list[str]:
    """The 登记表 signatures still missing, each with the team member who gives it (1-2 queries)."""
    form = RegistrationForm.objects.filter(case=case).first()
    by_role = {}
    if case.team_id:
        for membership in TeamMembership.objects.filter(team_id=case.team_id).select_related("user"):
            by_role.setdefault(membership.role, []).append(_name(membership.user))
    gaps = []
    for slot, role in SLOT_LABELS:
        if form is not None and getattr(form, f"{slot}_signed_by_id"):
            continue
        who = "、".join(by_role.get(role, [])) or "本组尚无此职务的成员"
        gaps.append(f"{role}（{who}）")
    return gaps


def _route(case: Case) -> list[str]:
    """The stages and gates still ahead, in order (announced up front)."""
    order = [Status.ACCEPTANCE, Status.INVESTIGATION, Status.APPRAISAL, Status.TOWN_REVIEW, Status.DISTRICT_APPROVAL]
    if case.status not in order:
        return []
    ahead = order[order.index(case.status) :]
    steps = []
    for status in ahead:
        if status == Status.APPRAISAL and not case.appraisal_required:
            continue
        steps.append(status)
        if status == Status.APPRAISAL:
            steps.append("第一榜公示（评议结果，期满后）")
        signing = status == Status.APPRAISAL or (status == Status.INVESTIGATION and not case.appraisal_required)
        if signing and case.registration_required:
            steps.append("清理核实登记表三人签字（驻村领导、驻村干部、村干部各自登录签字）")
        if status == Status.TOWN_REVIEW:
            steps.append("第二榜公示（镇审核结果，期满后报区审批）")
    steps += ["办结", "第三榜公示（审批结果，长期）"]
    return steps


def next_step(*, case: Case, user: AbstractBaseUser) -> NextStep | None:
    """The case's next action for the page's 下一步 panel (None once nothing more is to be done)."""
    if not case.is_open:
        return None
    found = _advancing(case)
    if found is None:
        return None
    action, transition = found
    step = NextStep(
        action=action,
        label=transition.label,
        who="或".join(transition.roles),
        people=_people(case, transition),
        refusal=workflow.actor_refusal(case=case, transition=transition, user=user),
        route=_route(case)[1:],
    )
    if action == "submit" and case.registration_required:
        step.state = workflow.signing_state(case=case)
        if step.state:
            step.label = "清理核实登记表三人签字，上交民政办（第三人签字后自动上交）"
    guards, requirements = workflow.transition_blockers(case=case, action=action, by=user)
    for reason in guards:
        text = f"{reason}{getattr(reason, 'detail', '')}"
        step.missing.append(Missing(text, getattr(reason, "url", ""), getattr(reason, "link", "")))
    page = reverse("review:case_detail", args=[case.pk])
    for name, message in requirements:
        anchor, link = ANCHORS.get(name, ("", ""))
        if name == "registration_signed":
            gaps = signature_gaps(case)
            message = f"清理核实登记表还缺 {len(gaps)} 个签字：{'、'.join(gaps)}。三人须各自登录本人账号签字。"
            blockers = workflow.signing_blockers(case=case)
            if blockers:
                message = f"{blockers[0]}届时还缺 {len(gaps)} 个签字：{'、'.join(gaps)}。"
        supplied = name in FORM_SUPPLIES or (name == "flags_disposed" and case.status == Status.INVESTIGATION)
        if supplied and name == "flags_disposed":
            anchor, link = "#investigation-flags", "在入户调查表中逐条作出结论"
        # The stage form is on the page only for those who may fill it.
        url = page + anchor if anchor and not (supplied and step.refusal) else ""
        step.missing.append(Missing(message, url, link, blocks=not supplied))
    return step
