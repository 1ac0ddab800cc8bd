"""The case pipeline: the transitions table (data) and the one service that applies it.

    受理 → 入户调查 → 民主评议 → 镇审核 → 区审批 → 办结        (+ 退回 to an earlier stage, 终止)

`TRANSITIONS` maps (status, action) to a `Transition`: who may take it, which
stage record it completes, what must be true first, who is excluded from it
(separation of duties). `case_advance` is the only code that changes
`Case.status`; it locks the case, checks everything in one place, writes the
stage record (when given data), moves the case and appends a `CaseStep`.

Later apps hang their rules on the pipeline without `review` importing them:
`register_guard` (publicity: an open objection holds a case; archives: missing
documents block approval), `register_recusal_check` (the near-relatives
register) and `register_case_notice` (archives: documents still missing, shown
before they block) are filled from their `AppConfig.ready()`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from households.flags import dispose_flag
from households.hooks import households_changed
from households.models import Household, Member, ReviewFlag
from households.selectors import households_changeable_by, households_visible_to
from kanjia import roles
from kanjia.workdays import Calendar, add_working_days, current_calendar, fallback_notice, missing_years
from review.cases import amounts
from review.models import (
    Acceptance,
    Appraisal,
    Campaign,
    CampaignPhase,
    Case,
    CaseStep,
    DistrictApproval,
    EconomicCheck,
    Investigation,
    InvestigationItem,
    Outcome,
    RegistrationForm,
    Status,
    TeamMembership,
    TownReview,
)
from review.models.cases import FINAL_STATUSES
from review.notices.services import notice_for_decision

__all__ = [
    "RETURN",
    "STAGE_RECORDS",
    "TERMINATE",
    "TRANSITIONS",
    "Reason",
    "Status",
    "Transition",
    "TransitionError",
    "TransitionForbidden",
    "TransitionInvalid",
    "available_transitions",
    "case_advance",
    "case_notices",
    "investigation_visit_save",
    "on_registration_signed",
    "recusal_reason",
    "register_case_notice",
    "register_guard",
    "register_recusal_check",
    "register_signing_gate",
    "registration_sign",
    "signing_blockers",
    "signing_state",
    "stage_save",
]

RETURN = "return"
TERMINATE = "terminate"

# Working-day limits (S21): investigation starts within 3 of acceptance, the
# district decides within 10, the whole case takes 30 (45 in special cases).
INVESTIGATION_START_DAYS = 3
DISTRICT_DECISION_DAYS = 10
OVERALL_DAYS = 30
OVERALL_DAYS_SPECIAL = 45

TEAM_WORK = (roles.TOWN_OFFICE, roles.VILLAGE_TEAM)
TOWN = (roles.TOWN_OFFICE,)
DISTRICT = (roles.DISTRICT,)

# Outcomes a case may end in, by kind: re-checks keep/adjust/stop, applications admit/refuse.
OUTCOMES_BY_KIND = {
    Case.Kind.RECHECK: (Outcome.KEEP, Outcome.ADJUST, Outcome.STOP),
    Case.Kind.PERIODIC: (Outcome.KEEP, Outcome.ADJUST, Outcome.STOP),
    Case.Kind.APPLICATION: (Outcome.ADMIT, Outcome.REFUSE),
}
PAID_OUTCOMES = (Outcome.KEEP, Outcome.ADJUST, Outcome.ADMIT)


# --- Errors --------------------------------------------------------------------


class TransitionError(Exception):
    """A refused transition; `text` is the Chinese sentence to show."""

    @property
    def text(self) -> str:
        if isinstance(self, ValidationError):
            return "；".join(self.messages)
        return str(self.args[0]) if self.args else "操作被拒绝。"


class Reason(str):
    """A refusal (from a guard or a requirement) that knows where it is put right.

    A plain `str` to everything that raises or joins it; the case page's 下一步 panel
    shows `link` as a link to `url`.
    """

    url: str
    link: str
    detail: str  # where things stand, for the panel (the refusal's own words stay as they were)

    def __new__(cls, text: str, *, url: str = "", link: str = "", detail: str = "") -> "Reason":
        reason = super().__new__(cls, text)
        reason.url, reason.link, reason.detail = url, link, detail
        return reason


class TransitionForbidden(TransitionError, PermissionDenied):
    """The actor may not take this step (role, village, recusal, separation of duties)."""


class TransitionInvalid(TransitionError, ValidationError):
    """The step is not possible now (wrong stage, missing or invalid data)."""


# --- The table -------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    to: str | None  # None: chosen among `targets` (退回)
    label: str
    roles: tuple[str, ...]
    # 清理小组 members act only on their own team's cases.
    team_scoped: bool = False
    # The stage record this transition completes (data passed to case_advance is written to it).
    record: str | None = None
    # Names in REQUIREMENTS, checked before the move.
    requires: tuple[str, ...] = ()
    # Names in CONDITIONS: the transition exists for this case only if all hold.
    when: tuple[str, ...] = ()
    # Names in EXCLUSIONS: separation of duties.
    excludes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    needs_reason: bool = False
    danger: bool = False
    effects: tuple[str, ...] = field(default=())


S = Status
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.ACCEPTANCE, "accept"): Transition(
        to=S.INVESTIGATION,
        label="受理",
        roles=TEAM_WORK,
        team_scoped=True,
        record="acceptance",
        requires=("acceptance",),
    ),
    (S.INVESTIGATION, "investigate"): Transition(
        to=S.APPRAISAL,
        label="完成入户调查，进入民主评议",
        roles=TEAM_WORK,
        team_scoped=True,
        record="investigation",
        requires=("investigation", "flags_disposed"),
        when=("appraisal_required",),
    ),
    (S.INVESTIGATION, "submit"): Transition(
        to=S.TOWN_REVIEW,
        label="完成入户调查，报民政办审核",
        roles=TEAM_WORK,
        team_scoped=True,
        record="investigation",
        requires=("investigation", "flags_disposed", "registration_signed"),
        when=("appraisal_skipped",),
    ),
    # 民主评议 in two steps (the seed's order): the team submits the appraisal's result, which
    # lists it for 第一榜; after the round has closed the three sign the 登记表, and the third
    # signature hands it in (`registration_sign` takes "submit"; "上交民政办" retries it).
    (S.APPRAISAL, "appraise"): Transition(
        to=S.APPRAISAL,
        label="提交评议结果（列入第一榜公示）",
        roles=TEAM_WORK,
        team_scoped=True,
        record="appraisal",
        requires=("investigation", "appraisal"),
        when=("appraisal_draft",),
    ),
    (S.APPRAISAL, "submit"): Transition(
        to=S.TOWN_REVIEW,
        label="上交民政办",
        roles=TEAM_WORK,
        team_scoped=True,
        requires=("investigation", "appraisal_submitted", "registration_signed"),
    ),
    (S.TOWN_REVIEW, "town_review"): Transition(
        to=S.DISTRICT_APPROVAL,
        label="审核通过，报区民政局审批",
        roles=TOWN,
        record="town_review",
        requires=("town_review",),
        excludes=("investigator", "district_decider"),
    ),
    (S.DISTRICT_APPROVAL, "approve"): Transition(
        to=S.DONE,
        label="审批",
        roles=DISTRICT,
        record="district_approval",
        requires=("district_approval", "home_visit"),
        excludes=("investigator", "town_decider"),
        effects=("apply_outcome",),
    ),
    # 退回: back to an earlier stage, with a reason, by whoever acts at the current stage.
    (S.INVESTIGATION, RETURN): Transition(
        to=None, label="退回", roles=TEAM_WORK, team_scoped=True, targets=(S.ACCEPTANCE,), needs_reason=True
    ),
    (S.APPRAISAL, RETURN): Transition(
        to=None,
        label="退回",
        roles=TEAM_WORK,
        team_scoped=True,
        targets=(S.ACCEPTANCE, S.INVESTIGATION),
        needs_reason=True,
    ),
    (S.TOWN_REVIEW, RETURN): Transition(
        to=None,
        label="退回",
        roles=TOWN,
        targets=(S.INVESTIGATION, S.APPRAISAL),
        needs_reason=True,
        excludes=("investigator", "district_decider"),
    ),
    (S.DISTRICT_APPROVAL, RETURN): Transition(
        to=None,
        label="退回",
        roles=DISTRICT,
        targets=(S.INVESTIGATION, S.APPRAISAL, S.TOWN_REVIEW),
        needs_reason=True,
        excludes=("investigator", "town_decider"),
    ),
    # 终止: the application is withdrawn or the case is void; the town office decides.
    **{
        (status, TERMINATE): Transition(to=S.TERMINATED, label="终止办理", roles=TOWN, needs_reason=True, danger=True)
        for status in (S.ACCEPTANCE, S.INVESTIGATION, S.APPRAISAL, S.TOWN_REVIEW, S.DISTRICT_APPROVAL)
    },
}

# Stage order (for 退回: which records reopen) and each stage's record.
STAGE_ORDER = (S.ACCEPTANCE, S.INVESTIGATION, S.APPRAISAL, S.TOWN_REVIEW, S.DISTRICT_APPROVAL, S.DONE)
STAGE_RECORDS = {
    S.ACCEPTANCE: "acceptance",
    S.INVESTIGATION: "investigation",
    S.APPRAISAL: "appraisal",
    S.TOWN_REVIEW: "town_review",
    S.DISTRICT_APPROVAL: "district_approval",
}
RECORD_MODELS = {
    "acceptance": Acceptance,
    "investigation": Investigation,
    "appraisal": Appraisal,
    "town_review": TownReview,
    "district_approval": DistrictApproval,
}
# Campaign phase whose end caps each stage's deadline.
STAGE_PHASE = {
    S.ACCEPTANCE: CampaignPhase.Kind.IMPLEMENT,
    S.INVESTIGATION: CampaignPhase.Kind.IMPLEMENT,
    S.APPRAISAL: CampaignPhase.Kind.IMPLEMENT,
    S.TOWN_REVIEW: CampaignPhase.Kind.APPROVE,
    S.DISTRICT_APPROVAL: CampaignPhase.Kind.APPROVE,
}


def appraisal_submitted(case: Case) -> bool:
    """The team has submitted the appraisal's result (listed for 第一榜), not only saved it."""
    return Appraisal.objects.filter(case=case, completed_at__isnull=False).exists()


CONDITIONS: dict[str, Callable[[Case], bool]] = {
    "appraisal_required": lambda case: case.appraisal_required,
    "appraisal_skipped": lambda case: not case.appraisal_required,
    "appraisal_draft": lambda case: not appraisal_submitted(case),
}


# --- Registries filled by later apps ---------------------------------------------

# guard(*, case, action, transition, by, data) -> str | None: a Chinese reason to refuse, or None.
Guard = Callable[..., str | None]
_guards: list[Guard] = []
# check(*, case, by) -> str | None: a reason the actor must stay out of this case.
RecusalCheck = Callable[..., str | None]
_recusal_checks: list[RecusalCheck] = []


def register_guard(guard: Guard) -> Guard:
    """Add a transition guard (idempotent; usable as a decorator)."""
    if guard not in _guards:
        _guards.append(guard)
    return guard


def register_recusal_check(check: RecusalCheck) -> RecusalCheck:
    if check not in _recusal_checks:
        _recusal_checks.append(check)
    return check


def recusal_reason(*, case: Case, by: AbstractBaseUser) -> str | None:
    """The first registered reason `by` must stay out of `case` (also for a case not yet saved)."""
    return next((reason for check in _recusal_checks if (reason := check(case=case, by=by))), None)


# notice(*, case) -> list[str]: warnings shown on the case page that do not block anything yet
# (archives: documents missing before the district approval, which will refuse without them).
CaseNotice = Callable[..., list[str]]
_case_notices: list[CaseNotice] = []


def register_case_notice(notice: CaseNotice) -> CaseNotice:
    if notice not in _case_notices:
        _case_notices.append(notice)
    return notice


def case_notices(*, case: Case) -> list[str]:
    """Every registered app's warnings for this case, for the case page and after a transition."""
    return [text for notice in _case_notices for text in notice(case=case)]


def _member_of_household(*, case: Case, by: AbstractBaseUser) -> str | None:
    """Nobody handles their own household's case (matched by ID number)."""
    staff = getattr(by, "staff", None)
    number = getattr(staff, "id_number", "") if staff is not None else ""
    if number and Member.objects.filter(household_id=case.household_id, id_number=number).exists():
        return "您是该户家庭成员，须回避，不能办理本案。"
    return None


register_recusal_check(_member_of_household)


# --- Checks ------------------------------------------------------------------------


def _transition_for(case: Case, action: str) -> Transition:
    transition = TRANSITIONS.get((case.status, action))
    if transition is None or not all(CONDITIONS[name](case) for name in transition.when):
        if case.status in FINAL_STATUSES:
            raise TransitionInvalid(f"本案已{case.status}，不能再办理。")
        raise TransitionInvalid(f"本案当前处于“{case.status}”环节，不能执行此操作。")
    return transition


def _is_team_member(case: Case, by: AbstractBaseUser) -> bool:
    return case.team_id is not None and TeamMembership.objects.filter(team_id=case.team_id, user=by).exists()


# The case page asks "may this user take this transition?" for every transition of the stage, and
# again for the 下一步 panel and the refusal text: 3–4 times the same scope, team, declaration and
# recusal queries, which depend on the case and the user only. Inside `actor_checks_memoised()`
# (a page render: nothing changes the case meanwhile) each is asked once; outside it, as in
# `case_advance`, every check runs fresh.
_actor_memo: ContextVar[dict | None] = ContextVar("actor_memo", default=None)


@contextmanager
def actor_checks_memoised() -> Iterator[None]:
    """Run the actor checks of one read-only page render once per (case, user)."""
    token = _actor_memo.set({})
    try:
        yield
    finally:
        _actor_memo.reset(token)


def _once(key: tuple, compute: Callable[[], Any]) -> Any:
    memo = _actor_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _check_actor(case: Case, transition: Transition, by: AbstractBaseUser) -> None:
    """Role, village scope, recusal and separation of duties; raises TransitionForbidden."""
    if not by.is_authenticated or not by.is_active or roles.is_read_only(by):
        raise TransitionForbidden("您的账号无权办理案件。")
    if not roles.has_role(by, *transition.roles):
        raise TransitionForbidden(f"“{transition.label}”须由{'或'.join(transition.roles)}办理。")
    who = (case.pk, case.household_id, case.team_id, by.pk)
    if not _once(("visible", *who), lambda: households_visible_to(user=by).filter(pk=case.household_id).exists()):
        raise TransitionForbidden("该户不在您负责的村(社区)范围内。")
    # A team member acts only on their team's cases, in villages the team may change.
    if (
        transition.team_scoped
        and not roles.has_role(by, roles.TOWN_OFFICE)
        and not _once(
            ("team", *who),
            lambda: (
                _is_team_member(case, by) and households_changeable_by(user=by).filter(pk=case.household_id).exists()
            ),
        )
    ):
        raise TransitionForbidden("本案不由您所在的清理小组负责。")
    reason = _once(("recusal", *who), lambda: recusal_reason(case=case, by=by))
    if reason:
        raise TransitionForbidden(reason)
    for name in transition.excludes:
        reason = _once(("exclusion", name, *who), lambda: EXCLUSIONS[name](case, by))  # noqa: B023 (called at once)
        if reason:
            raise TransitionForbidden(reason)


def _investigated(case: Case, by: AbstractBaseUser) -> str | None:
    if Investigation.investigators.through.objects.filter(investigation__case=case, user=by).exists():
        return "您参与了本案的入户调查，不能审核或审批本案（调查与审批分离）。"
    return None


def _decided_at(stage: str, message: str) -> Callable[[Case, AbstractBaseUser], str | None]:
    def check(case: Case, by: AbstractBaseUser) -> str | None:
        steps = CaseStep.objects.filter(case=case, actor=by, from_status=stage).exclude(action=TERMINATE)
        return message if steps.exists() else None

    return check


EXCLUSIONS: dict[str, Callable[[Case, AbstractBaseUser], str | None]] = {
    "investigator": _investigated,
    "town_decider": _decided_at(S.TOWN_REVIEW, "您已在镇审核环节对本案作出决定，不能再作区审批决定。"),
    "district_decider": _decided_at(S.DISTRICT_APPROVAL, "您已在区审批环节对本案作出决定，不能再作镇审核决定。"),
}


def _record(case: Case, name: str):
    return RECORD_MODELS[name].objects.filter(case=case).first()


def _req_acceptance(case: Case, data: dict) -> list[str]:
    record = _record(case, "acceptance")
    if record is None:
        return ["请先填写受理登记。"]
    errors = []
    if not (record.promise_signed and record.promise_signed_on):
        errors.append("申请人尚未签署诚信承诺书。")
    if not (record.authorization_signed and record.authorization_signed_on):
        errors.append("申请人尚未签署家庭经济状况核对授权书。")
    if record.missing_materials.strip():
        errors.append("一次性告知的材料尚未补齐，补齐后清空“补齐材料”一栏再受理。")
    return errors


def _req_investigation(case: Case, data: dict) -> list[str]:
    record = _record(case, "investigation")
    if record is None:
        return ["请先填写入户调查记录。"]
    errors = []
    if record.investigators.count() < 2:
        errors.append("入户调查须有至少两名调查人员。")
    if record.items.count() < len(ReviewFlag.Kind):
        errors.append("九类重点复核事项须逐项填写。")
    if record.economic_checks.count() < len(EconomicCheck.Source):
        errors.append("家庭经济状况核对结果须逐项填写。")
    return errors


def _req_flags_disposed(case: Case, data: dict) -> list[str]:
    pending = ReviewFlag.objects.filter(household_id=case.household_id, disposition=ReviewFlag.Disposition.PENDING)
    # Conclusions given in the same 入户调查 form count (they are written with it).
    given = {pk for pk, (disposition, _note) in (data.get("flags") or {}).items() if disposition}
    count = pending.exclude(pk__in=given).count()
    if count:
        return [f"该户还有 {count} 条重点复核标记未作处理结论（在入户调查表的“重点复核标记”中逐条作出结论）。"]
    return []


def _flags_given(case: Case, data: dict) -> list[tuple[ReviewFlag, tuple[str, str]]]:
    """The household's pending flags the 入户调查 form gives a conclusion for."""
    given = data.get("flags") or {}
    if not given:
        return []
    pending = ReviewFlag.objects.filter(
        household_id=case.household_id, disposition=ReviewFlag.Disposition.PENDING, pk__in=list(given)
    ).order_by("pk")
    return [(flag, given[flag.pk]) for flag in pending]


def _req_appraisal(case: Case, data: dict) -> list[str]:
    record = _record(case, "appraisal")
    if record is None:
        return ["请先填写民主评议记录。"]
    return []


def _req_appraisal_submitted(case: Case, data: dict) -> list[str]:
    if appraisal_submitted(case):
        return []
    return ["请先提交评议结果（列入第一榜公示）。"]


def _req_registration_signed(case: Case, data: dict) -> list[str]:
    if not case.registration_required:
        return []
    form = RegistrationForm.objects.filter(case=case).first()
    if form is None or not form.fully_signed:
        return ["清理核实登记表须经驻村领导、驻村干部和村干部签字后才能上交民政办。"]
    return []


def _req_town_review(case: Case, data: dict) -> list[str]:
    return [] if _record(case, "town_review") else ["请先填写镇审核意见。"]


def _req_district_approval(case: Case, data: dict) -> list[str]:
    return [] if _record(case, "district_approval") else ["请先填写区审批意见。"]


def _req_home_visit(case: Case, data: dict) -> list[str]:
    record = _record(case, "district_approval")
    if (case.is_near_relative or case.has_objection) and (
        record is None or not record.home_visit_on or not record.home_visit_note.strip()
    ):
        why = "近亲属备案" if case.is_near_relative else "有异议"
        return [f"本案{why}，区民政局须入户核查并填写入户核查记录。"]
    return []


REQUIREMENTS: dict[str, Callable[[Case, dict], list[str]]] = {
    "acceptance": _req_acceptance,
    "investigation": _req_investigation,
    "flags_disposed": _req_flags_disposed,
    "appraisal": _req_appraisal,
    "appraisal_submitted": _req_appraisal_submitted,
    "registration_signed": _req_registration_signed,
    "town_review": _req_town_review,
    "district_approval": _req_district_approval,
    "home_visit": _req_home_visit,
}


# --- Stage record writers (validate, then save; raise TransitionInvalid with field errors) ---


def _today() -> date:
    return timezone.localdate()


def _save(obj, by: AbstractBaseUser) -> None:
    obj._history_user = by
    obj.save()


def _not_future(day: date | None, field_name: str, errors: dict) -> None:
    if day and day > _today():
        errors[field_name] = "日期不能晚于今天。"


def _write_acceptance(*, case: Case, data: dict, by: AbstractBaseUser) -> Acceptance:
    errors: dict[str, str] = {}
    for name, label in (("applied_on", "申请日期"), ("accepted_on", "受理日期")):
        if not data.get(name):
            errors[name] = f"请填写{label}。"
        _not_future(data.get(name), name, errors)
    if not (data.get("applicant_name") or "").strip():
        errors["applicant_name"] = "请填写申请人。"
    for flag, day in (("promise_signed", "promise_signed_on"), ("authorization_signed", "authorization_signed_on")):
        if data.get(flag) and not data.get(day):
            errors[day] = "已签署的，请填写签署日期。"
        _not_future(data.get(day), day, errors)
    if data.get("applied_on") and data.get("accepted_on") and data["accepted_on"] < data["applied_on"]:
        errors["accepted_on"] = "受理日期不能早于申请日期。"
    if data.get("special_case") and not (data.get("special_case_reason") or "").strip():
        errors["special_case_reason"] = "办结期限延长至45个工作日须说明特殊情况的理由。"
    if errors:
        raise TransitionInvalid(errors)
    record = Acceptance.objects.filter(case=case).first() or Acceptance(case=case)
    record.special_case_reason = (data.get("special_case_reason") or "").strip() if data.get("special_case") else ""
    for name in (
        "applied_on",
        "accepted_on",
        "promise_signed",
        "promise_signed_on",
        "authorization_signed",
        "authorization_signed_on",
        "special_case",
    ):
        setattr(record, name, data.get(name) or (False if name.endswith(("signed", "case")) else None))
    record.applicant_name = data["applicant_name"].strip()
    record.missing_materials = (data.get("missing_materials") or "").strip()
    record.updated_by = by
    _save(record, by)
    return record


def _team_users(case: Case) -> set[int]:
    if case.team_id is None:
        return set()
    return set(TeamMembership.objects.filter(team_id=case.team_id).values_list("user_id", flat=True))


def _write_investigation(*, case: Case, data: dict, by: AbstractBaseUser, visit_only: bool = False) -> Investigation:
    """Validate and save 入户调查. `visit_only`: the parts done at the home (a phone's form): the
    departments' economic-check replies are left as they are (entered on the web)."""
    errors: dict[str, str] = {}
    if not data.get("visited_on"):
        errors["visited_on"] = "请填写入户调查日期。"
    _not_future(data.get("visited_on"), "visited_on", errors)
    if case.accepted_on and data.get("visited_on") and data["visited_on"] < case.accepted_on:
        errors["visited_on"] = "入户调查日期不能早于受理日期。"
    investigators = list({u.pk: u for u in data.get("investigators") or []}.values())
    if len(investigators) < 2:
        errors["investigators"] = "入户调查须有至少两名调查人员。"
    else:
        team = _team_users(case)
        outsiders = [u for u in investigators if u.pk not in team and not roles.has_role(u, *TOWN)]
        if outsiders:
            names = "、".join(u.get_full_name() or u.get_username() for u in outsiders)
            errors["investigators"] = f"调查人员须是本案清理小组成员或镇民政办人员：{names}不是。"
        else:
            # Co-investigators act on the case too: the recusal checks (own household,
            # declared near relative, declaration on file) apply to each, not only to the
            # actor. The reasons address the actor ("您"); name the investigator instead.
            refused = []
            for user in investigators:
                reason = recusal_reason(case=case, by=user)
                if reason:
                    refused.append(reason.replace("您", user.get_full_name() or user.get_username()))
            if refused:
                errors["investigators"] = "调查人员须回避或尚未申报近亲属：" + "".join(refused)
    for name, label in (("family_present", "在场家庭成员"), ("living_conditions", "居住及生活状况")):
        if not (data.get(name) or "").strip():
            errors[name] = f"请填写{label}。"
    allowed = OUTCOMES_BY_KIND[case.kind]
    if data.get("recommended_outcome") not in allowed:
        errors["recommended_outcome"] = f"调查建议须为：{'、'.join(allowed)}。"
    items = data.get("items") or {}
    for kind in ReviewFlag.Kind:
        answer = items.get(kind.value)
        if answer is None:
            errors[f"item_{kind.value}"] = "请选择无异常或有异常。"
        elif answer[0] and not (answer[1] or "").strip():
            errors[f"item_{kind.value}"] = "有异常的，请说明情况。"
    flags = _flags_given(case, data)
    for flag, (disposition, note) in flags:
        if disposition not in ReviewFlag.Disposition.values or disposition == ReviewFlag.Disposition.PENDING:
            errors[f"flag_{flag.pk}"] = "请选择处理结论（核实无误、需调整或需退出）。"
        elif not (note or "").strip():
            errors[f"flag_{flag.pk}"] = "请填写核实说明（核实了什么、依据是什么）。"
    checks = data.get("checks") or {}
    for source in () if visit_only else EconomicCheck.Source:
        result = checks.get(source.value)
        if result is None or not result[0]:
            errors[f"check_{source.value}"] = "请填写核对结果的回复日期。"
        elif result[0] > _today():
            errors[f"check_{source.value}"] = "回复日期不能晚于今天。"
        elif result[1] and not (result[2] or "").strip():
            errors[f"check_{source.value}"] = "有异常的，请说明核对结果。"
    if errors:
        raise TransitionInvalid(errors)
    record = Investigation.objects.filter(case=case).first() or Investigation(case=case)
    record.visited_on = data["visited_on"]
    record.family_present = data["family_present"].strip()
    record.living_conditions = data["living_conditions"].strip()
    record.recommended_outcome = data["recommended_outcome"]
    record.recommended_amount = data.get("recommended_amount")
    record.updated_by = by
    _save(record, by)
    record.investigators.set(investigators)
    _replace_rows(
        record.items,
        [
            InvestigationItem(investigation=record, kind=k.value, abnormal=items[k.value][0], note=items[k.value][1])
            for k in ReviewFlag.Kind
        ],
        by,
    )
    if not visit_only:
        _replace_economic_checks(record, checks, by)
    for flag, (disposition, note) in flags:
        dispose_flag(flag=flag, disposition=disposition, note=note, by=by)
    _refresh_registration(case=case, investigation=record, by=by)
    # The 3-working-day limit is about starting the visit: once recorded, the
    # stage's limit becomes the campaign phase's end (if any).
    _set_case(case, by, due_on=_capped(case, _phase_end(case, case.status)))
    return record


def _replace_economic_checks(record: Investigation, checks: dict, by: AbstractBaseUser) -> None:
    _replace_rows(
        record.economic_checks,
        [
            EconomicCheck(
                investigation=record,
                source=s.value,
                received_on=checks[s.value][0],
                abnormal=checks[s.value][1],
                note=checks[s.value][2] or "",
            )
            for s in EconomicCheck.Source
        ],
        by,
    )


def _capped(case: Case, due: date | None) -> date | None:
    """A stage's deadline, never after the case's overall deadline (办结期限)."""
    if case.overall_due and due and due > case.overall_due:
        return case.overall_due
    return due


def _replace_rows(manager, rows: list, by: AbstractBaseUser) -> None:
    # Delete one by one (records history), then create one by one: 9 + 8 rows at most.
    for old in manager.all():
        old._history_user = by
        old.delete()
    for row in rows:
        _save(row, by)


def _refresh_registration(*, case: Case, investigation: Investigation, by: AbstractBaseUser) -> None:
    """(Re)write the 清理核实登记表 findings from the investigation; signatures start over."""
    if not case.registration_required:
        return
    abnormal = [f"{item.get_kind_display()}：{item.note}" for item in investigation.items.all() if item.abnormal]
    checks = [f"{c.source}：{c.note}" for c in investigation.economic_checks.all() if c.abnormal]
    findings = "\n".join(
        [
            f"入户调查日期：{investigation.visited_on:%Y年%m月%d日}",
            "重点复核事项：" + ("；".join(abnormal) if abnormal else "九类事项均无异常"),
            "经济状况核对：" + ("；".join(checks) if checks else "各项核对均无异常"),
            f"居住及生活状况：{investigation.living_conditions}",
        ]
    )
    form = RegistrationForm.objects.filter(case=case).first() or RegistrationForm(case=case)
    if form.pk and (form.findings, form.recommended_outcome) == (findings, investigation.recommended_outcome):
        return  # Saved again unchanged: the signatures still stand.
    form.findings = findings
    form.recommended_outcome = investigation.recommended_outcome
    _clear_signatures(form)
    _save(form, by)


def _clear_signatures(form: RegistrationForm) -> None:
    for slot in ("leader", "cadre", "village_cadre"):
        setattr(form, f"{slot}_signed_by", None)
        setattr(form, f"{slot}_signed_at", None)


def _write_appraisal(*, case: Case, data: dict, by: AbstractBaseUser) -> Appraisal:
    errors: dict[str, str] = {}
    if not data.get("held_on"):
        errors["held_on"] = "请填写评议日期。"
    _not_future(data.get("held_on"), "held_on", errors)
    investigation = _record(case, "investigation")
    if investigation and data.get("held_on") and data["held_on"] < investigation.visited_on:
        errors["held_on"] = "评议日期不能早于入户调查日期。"
    for name, label in (("place", "评议地点"), ("chair", "主持人"), ("minutes", "评议记录")):
        if not (data.get(name) or "").strip():
            errors[name] = f"请填写{label}。"
    counts = {k: int(data.get(k) or 0) for k in ("town_cadres", "village_committee", "party_reps", "villager_reps")}
    votes = {k: int(data.get(k) or 0) for k in ("votes_agree", "votes_disagree", "votes_abstain")}
    if min(counts.values()) < 0 or min(votes.values()) < 0:
        errors["__all__"] = "人数和票数不能为负数。"
    total = sum(counts.values())
    if total == 0:
        errors["villager_reps"] = "请填写参会人数。"
    elif counts["villager_reps"] * 3 < total * 2:
        errors["villager_reps"] = (
            f"村民代表 {counts['villager_reps']} 人，不足参会人数 {total} 人的三分之二"
            f"（至少需 {-(-total * 2 // 3)} 人）。"
        )
    if total and sum(votes.values()) != total:
        errors["votes_abstain"] = f"同意、不同意、弃权票数之和（{sum(votes.values())}）应等于参会人数（{total}）。"
    result = data.get("result")
    if result not in Appraisal.Result.values:
        errors["result"] = "请选择评议结果。"
    elif total and (result == Appraisal.Result.AGREE) != (votes["votes_agree"] * 2 > total):
        errors["result"] = "评议结果与表决票数不符（同意票须过半数才能为“同意调查意见”）。"
    if errors:
        raise TransitionInvalid(errors)
    record = Appraisal.objects.filter(case=case).first() or Appraisal(case=case)
    record.held_on = data["held_on"]
    record.place, record.chair, record.minutes = data["place"].strip(), data["chair"].strip(), data["minutes"].strip()
    for name, value in {**counts, **votes}.items():
        setattr(record, name, value)
    record.result = result
    record.updated_by = by
    _save(record, by)
    return record


def _write_town_review(*, case: Case, data: dict, by: AbstractBaseUser) -> TownReview:
    errors: dict[str, str] = {}
    if not (data.get("opinion") or "").strip():
        errors["opinion"] = "请填写审核意见。"
    allowed = OUTCOMES_BY_KIND[case.kind]
    outcome = data.get("proposed_outcome")
    if outcome not in allowed:
        errors["proposed_outcome"] = f"拟处理结果须为：{'、'.join(allowed)}。"
    amount = data.get("proposed_amount")
    if outcome in (Outcome.ADJUST, Outcome.ADMIT) and not amount:
        errors["proposed_amount"] = "调整或新纳入的，请填写拟月保障金。"
    if amount is not None and amount < 0:
        errors["proposed_amount"] = "金额不能为负数。"
    reviewed_on = data.get("reviewed_on") or _today()
    computed = amounts.computed_for(case=case, decided_on=reviewed_on)
    # 维持 keeps what the household is paid now.
    total = case.household.monthly_total if outcome == Outcome.KEEP else amount
    exits = amounts.exit_flags(case=case)
    found = amounts.deviations(computed=computed, outcome=outcome, base=total, extra=None, exits=exits)
    special = (data.get("special_reason") or "").strip()
    if found and not special and not errors:
        errors["special_reason"] = amounts.reason_error(found)
    if errors:
        raise TransitionInvalid(errors)
    record = TownReview.objects.filter(case=case).first() or TownReview(case=case)
    _keep_computation(record, computed, found, special)
    record.reviewed_on = reviewed_on
    record.opinion = data["opinion"].strip()
    record.proposed_outcome = outcome
    record.proposed_amount = amount
    record.updated_by = by
    _save(record, by)
    return record


def _write_district_approval(*, case: Case, data: dict, by: AbstractBaseUser) -> DistrictApproval:
    errors: dict[str, str] = {}
    allowed = OUTCOMES_BY_KIND[case.kind]
    outcome = data.get("outcome")
    if outcome not in allowed:
        errors["outcome"] = f"审批结果须为：{'、'.join(allowed)}。"
    base = data.get("base_amount") or Decimal("0")
    extra = data.get("extra_amount") or Decimal("0")
    if base < 0 or extra < 0:
        errors["base_amount"] = "金额不能为负数。"
    elif outcome in (Outcome.ADJUST, Outcome.ADMIT) and base <= 0:
        errors["base_amount"] = "调整或新纳入的，请填写月保障金。"
    if outcome == Outcome.STOP and not data.get("stop_reason"):
        errors["stop_reason"] = "停保的，请选择停保原因。"
    category = data.get("category")
    if category is not None and category.town_id != case.household.village.town_id:
        errors["category"] = "分类施保类别不属于本镇。"
    decided_on = data.get("decided_on") or _today()
    _not_future(decided_on, "decided_on", errors)
    _not_future(data.get("home_visit_on"), "home_visit_on", errors)
    # 维持 keeps the household's current amounts; the record shows them for the file.
    if outcome == Outcome.KEEP:
        base, extra, category = case.household.base_amount, case.household.extra_amount, case.household.category
    computed = amounts.computed_for(case=case, decided_on=decided_on)
    exits = amounts.exit_flags(case=case)
    found = amounts.deviations(computed=computed, outcome=outcome, base=base, extra=extra, exits=exits)
    special = (data.get("special_reason") or "").strip()
    if found and not special and not errors:
        errors["special_reason"] = amounts.reason_error(found)
    if errors:
        raise TransitionInvalid(errors)
    record = DistrictApproval.objects.filter(case=case).first() or DistrictApproval(case=case)
    _keep_computation(record, computed, found, special)
    record.decided_on = decided_on
    record.opinion = (data.get("opinion") or "").strip()
    record.outcome = outcome
    paid = outcome in PAID_OUTCOMES
    record.base_amount = base if paid else Decimal("0")
    record.extra_amount = extra if paid else Decimal("0")
    record.category = category if paid else None
    record.stop_reason = data.get("stop_reason") if outcome == Outcome.STOP else None
    record.home_visit_on = data.get("home_visit_on")
    record.home_visit_note = (data.get("home_visit_note") or "").strip()
    record.updated_by = by
    _save(record, by)
    return record


def _keep_computation(record, computed: amounts.Computed, found: list[str], special: str) -> None:
    """The computation the decision started from, what departed from it, and the written reason."""
    record.computed_month = computed.month
    record.computed_base, record.computed_extra = computed.base, computed.extra
    record.deviation = "；".join(found)[:500]
    record.special_reason = special


WRITERS: dict[str, Callable[..., Any]] = {
    "acceptance": _write_acceptance,
    "investigation": _write_investigation,
    "appraisal": _write_appraisal,
    "town_review": _write_town_review,
    "district_approval": _write_district_approval,
}


# --- Effects and deadlines ----------------------------------------------------------


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _apply_outcome(case: Case, by: AbstractBaseUser) -> None:
    """Final approval: the household's status and amounts change with history, from next month."""
    approval = DistrictApproval.objects.select_related("category").get(case=case)
    approval.effective_month = _first_of_next_month(approval.decided_on)
    approval.decision = DistrictApproval.Decision.APPROVE
    approval.completed_at = timezone.now()
    _save(approval, by)
    household = Household.objects.select_for_update().get(pk=case.household_id)
    previous_total = household.base_amount + household.extra_amount
    outcome = approval.outcome
    if outcome in PAID_OUTCOMES:
        household.status = Household.Status.ACTIVE
        household.base_amount = approval.base_amount
        household.extra_amount = approval.extra_amount
        household.category = approval.category
        if outcome == Outcome.ADMIT or household.start_month is None:
            household.start_month = approval.effective_month
    else:
        household.status = Household.Status.SUSPENDED if outcome == Outcome.STOP else Household.Status.EXITED
        household.base_amount = Decimal("0")
        household.extra_amount = Decimal("0")
    household.version += 1
    household._change_reason = (
        f"区审批：{outcome}（{case.get_kind_display()}案件 {case.pk}号，{approval.effective_month:%Y年%m月}起执行）"
    )
    _save(household, by)
    households_changed(household_ids=[household.pk], by=by)
    # 不予纳入, 停保 and 减发 owe the household a written notice with reasons (S21§32, §38).
    notice_for_decision(case=case, approval=approval, previous_total=previous_total, by=by)
    case.outcome = outcome
    case.stop_reason = approval.stop_reason
    case.closed_at = timezone.now()


EFFECTS: dict[str, Callable[[Case, AbstractBaseUser], None]] = {"apply_outcome": _apply_outcome}


def _phase_end(case: Case, status: str) -> date | None:
    kind = STAGE_PHASE.get(status)
    if case.campaign_id is None or kind is None:
        return None
    phases = CampaignPhase.objects.filter(campaign_id=case.campaign_id, kind=kind)
    return phases.values_list("ends_on", flat=True).first()


def stage_due(case: Case, status: str, *, start: date, calendar: Calendar | None = None) -> tuple[date | None, str]:
    """The deadline of `status` entered on `start`: the earliest of its working-day limit, the
    campaign phase's end and the case's overall deadline (a stage never ends after the case must)."""
    limits = {S.INVESTIGATION: INVESTIGATION_START_DAYS, S.DISTRICT_APPROVAL: DISTRICT_DECISION_DAYS}
    due, notice = None, ""
    if status in limits:
        calendar = calendar or current_calendar()
        due = add_working_days(start=start, days=limits[status], calendar=calendar)
        notice = fallback_notice(missing_years(start=start, end=due, calendar=calendar))
    phase_end = _phase_end(case, status)
    if phase_end and (due is None or phase_end < due):
        due = phase_end
    if case.overall_due and due and due > case.overall_due:
        due = case.overall_due
    return due, notice


def _set_case(case: Case, by: AbstractBaseUser, **values) -> None:
    for name, value in values.items():
        setattr(case, name, value)
    _save(case, by)


# --- The service ----------------------------------------------------------------------


def available_transitions(*, case: Case, user: AbstractBaseUser) -> list[tuple[str, Transition]]:
    """The transitions `user` may take on `case` now (role, scope, recusal, separation of duties).

    Required data is not checked here: the stage form is how it is supplied.
    """
    found = []
    for (status, action), transition in TRANSITIONS.items():
        if status != case.status or not all(CONDITIONS[name](case) for name in transition.when):
            continue
        try:
            _check_actor(case, transition, user)
        except TransitionForbidden:
            continue
        found.append((action, transition))
    return found


def refusal_reason(*, case: Case, user: AbstractBaseUser) -> str | None:
    """Why a user whose role acts at this stage may not act on this case (recusal, gates, duties)."""
    for (status, _action), transition in TRANSITIONS.items():
        if status != case.status or not _applies(case, transition) or not roles.has_role(user, *transition.roles):
            continue
        try:
            _check_actor(case, transition, user)
        except TransitionForbidden as exc:
            return exc.text
        return None
    return None


def actor_refusal(*, case: Case, transition: Transition, user: AbstractBaseUser) -> str | None:
    """Why `user` may not take `transition` on `case` (role, scope, recusal, separation of duties)."""
    try:
        _check_actor(case, transition, user)
    except TransitionForbidden as exc:
        return exc.text
    return None


def transition_blockers(*, case: Case, action: str, by: AbstractBaseUser) -> tuple[list[str], list[tuple[str, str]]]:
    """Everything that stops `action` on `case` now, all at once: the guards' reasons, and the
    unmet requirements as (requirement name, message).

    The same guards and requirements `case_advance` checks (it stops at the first guard);
    guards run in a savepoint that is rolled back, so a guard that records something
    (archives' warning) leaves no trace.
    """
    transition = TRANSITIONS[(case.status, action)]
    with transaction.atomic():
        guards = [
            reason
            for guard in _guards
            if (reason := guard(case=case, action=action, transition=transition, by=by, data=None))
        ]
        transaction.set_rollback(True)
    requirements = [(name, message) for name in transition.requires for message in REQUIREMENTS[name](case, {})]
    return guards, requirements


def return_targets(*, case: Case, transition: Transition) -> list[str]:
    return [t for t in transition.targets if t != S.APPRAISAL or case.appraisal_required]


def case_advance(*, case: Case, action: str, by: AbstractBaseUser, data: dict | None = None, note: str = "") -> Case:
    """Take `action` on `case` as `by`; the one way a case changes stage.

    `data` is the stage record's data (written first, in the same transaction)
    or, for 退回, `{"target": <status>}`. Raises TransitionForbidden (who) or
    TransitionInvalid (when/what) with a Chinese message; then nothing changes.
    """
    note = (note or "").strip()
    with transaction.atomic():
        # Lock the case row: of two concurrent decisions, the second waits here
        # and then finds the case already moved on.
        case = Case.objects.select_for_update().get(pk=case.pk)
        transition = _transition_for(case, action)
        _check_actor(case, transition, by)
        for guard in _guards:
            reason = guard(case=case, action=action, transition=transition, by=by, data=data)
            if reason:
                raise TransitionInvalid(reason)
        if transition.needs_reason and not note:
            raise TransitionInvalid({"note": f"{transition.label}须说明理由。"})
        if transition.record and data is not None:
            try:
                WRITERS[transition.record](case=case, data=data, by=by)
            except TransitionInvalid as exc:
                # Say everything at once: the form's errors and what else this step still needs.
                raise _with_requirements(exc, case, transition, data) from None
        errors = [message for name in transition.requires for message in REQUIREMENTS[name](case, data or {})]
        if errors:
            raise TransitionInvalid(errors)
        from_status = case.status
        target = transition.to or _return_target(case, transition, data)
        if action == RETURN:
            _reopen(case, target, by)
        elif transition.record:
            _complete(case, transition.record, by)
        if action == "accept":
            _start_deadlines(case)
        for effect in transition.effects:
            EFFECTS[effect](case, by)
        case.status = target
        if target in FINAL_STATUSES:
            case.due_on = None
            case.closed_at = case.closed_at or timezone.now()
        elif action != "accept":
            case.due_on, notice = stage_due(case, target, start=_today())
            case.deadline_notice = notice or case.deadline_notice
        _save(case, by)
        _save(CaseStep(case=case, from_status=from_status, to_status=target, action=action, actor=by, note=note), by)
    # A fresh instance: the one above carries cached stage records from before the effects.
    return Case.objects.get(pk=case.pk)


def _with_requirements(exc: TransitionInvalid, case: Case, transition: Transition, data: dict) -> TransitionInvalid:
    """The writer's field errors plus the requirements that do not depend on the record it failed to write."""
    extra = [
        message
        for name in transition.requires
        if name not in RECORD_MODELS and name != "home_visit"
        for message in REQUIREMENTS[name](case, data)
    ]
    if not extra:
        return exc
    errors = {key: list(messages) for key, messages in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
    if not hasattr(exc, "error_dict"):
        errors["__all__"] = list(exc.messages)
    errors.setdefault("__all__", []).extend(extra)
    return TransitionInvalid(errors)


def _return_target(case: Case, transition: Transition, data: dict | None) -> str:
    target = (data or {}).get("target")
    allowed = return_targets(case=case, transition=transition)
    if target not in allowed:
        raise TransitionInvalid({"target": f"请选择退回到的环节：{'、'.join(allowed)}。"})
    return target


def _complete(case: Case, record_name: str, by: AbstractBaseUser) -> None:
    record = _record(case, record_name)
    record.completed_at = timezone.now()
    if record_name == "town_review":
        record.decision = TownReview.Decision.PASS
    _save(record, by)


def _reopen(case: Case, target: str, by: AbstractBaseUser) -> None:
    """退回: the target stage's record and every later one must be completed again."""
    later = STAGE_ORDER[STAGE_ORDER.index(target) :]
    for status in later:
        name = STAGE_RECORDS.get(status)
        record = _record(case, name) if name else None
        if record is not None and record.completed_at is not None:
            record.completed_at = None
            if name == "town_review" and case.status == S.TOWN_REVIEW:
                record.decision = TownReview.Decision.RETURN
            _save(record, by)
    if STAGE_ORDER.index(target) < STAGE_ORDER.index(S.TOWN_REVIEW):
        form = RegistrationForm.objects.filter(case=case).first()
        signed = form is not None and (
            form.leader_signed_by_id or form.cadre_signed_by_id or form.village_cadre_signed_by_id
        )
        if signed:
            _clear_signatures(form)
            _save(form, by)


def _start_deadlines(case: Case) -> None:
    acceptance = Acceptance.objects.get(case=case)
    case.accepted_on = acceptance.accepted_on
    calendar = current_calendar()
    days = OVERALL_DAYS_SPECIAL if acceptance.special_case else OVERALL_DAYS
    case.overall_due = add_working_days(start=acceptance.accepted_on, days=days, calendar=calendar)
    case.due_on, _ = stage_due(case, S.INVESTIGATION, start=acceptance.accepted_on, calendar=calendar)
    case.deadline_notice = fallback_notice(
        missing_years(start=acceptance.accepted_on, end=case.overall_due, calendar=calendar)
    )


def stage_save(*, case: Case, by: AbstractBaseUser, data: dict) -> Case:
    """Save the current stage's record without moving the case (a draft, or before signatures)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        name = STAGE_RECORDS.get(case.status)
        transition = next(
            (t for (s, _), t in TRANSITIONS.items() if s == case.status and t.record == name and _applies(case, t)),
            None,
        )
        if transition is None:
            if name == "appraisal":
                raise TransitionInvalid("评议结果已提交（列入第一榜公示），不能再修改；须修改的，请先退回。")
            raise TransitionInvalid(f"本案当前处于“{case.status}”环节，没有可填写的记录。")
        _check_actor(case, transition, by)
        WRITERS[name](case=case, data=data, by=by)
    return case


def investigation_visit_save(*, case: Case, by: AbstractBaseUser, data: dict) -> Investigation:
    """Save the home-visit part of 入户调查 as the stage's draft (a phone's form, review.visits).

    The same actor checks and validation as `stage_save`, without the departments'
    economic-check replies (kept as they are); the stage completes on the web once
    everything it requires is there.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status != S.INVESTIGATION:
            raise TransitionInvalid(f"本案当前处于“{case.status}”环节，不能再保存入户调查。")
        transition = next(
            t
            for (s, _), t in TRANSITIONS.items()
            if s == case.status and t.record == "investigation" and _applies(case, t)
        )
        _check_actor(case, transition, by)
        return _write_investigation(case=case, data=data, by=by, visit_only=True)


def _applies(case: Case, transition: Transition) -> bool:
    return all(CONDITIONS[name](case) for name in transition.when)


SIGNATURE_SLOTS = {
    TeamMembership.Role.LEADER: "leader",
    TeamMembership.Role.CADRE: "cadre",
    TeamMembership.Role.VILLAGE_CADRE: "village_cadre",
}


# gate(*, case) -> Reason | None: why the 登记表 may not be signed yet (publicity: 第一榜 not yet closed).
SigningGate = Callable[..., str | None]
_signing_gates: list[SigningGate] = []
# listener(*, case, form, by) -> str | None: the 登记表 has its third signature (archives files it).
SignedListener = Callable[..., str | None]
_signed_listeners: list[SignedListener] = []


def register_signing_gate(gate: SigningGate) -> SigningGate:
    if gate not in _signing_gates:
        _signing_gates.append(gate)
    return gate


def on_registration_signed(listener: SignedListener) -> SignedListener:
    """Register a listener for the third signature (idempotent; usable as a decorator)."""
    if listener not in _signed_listeners:
        _signed_listeners.append(listener)
    return listener


NOT_READY_APPRAISAL = "清理核实登记表须在提交评议结果、第一榜公示期满结束后签字。"
NOT_READY_INVESTIGATION = "清理核实登记表须在入户调查记录填写后签字。"


def signing_blockers(*, case: Case) -> list[str]:
    """Why nobody may sign the case's 登记表 now (empty: it may be signed). The seed's order:
    where an appraisal is held, after its result is submitted and 第一榜 has closed with the
    case passed; where none is held, after the investigation is recorded."""
    if not case.registration_required or not case.is_open:
        return ["本案不需要签署清理核实登记表。"] if case.is_open else [f"本案已{case.status}。"]
    if case.status == S.APPRAISAL:
        if not appraisal_submitted(case):
            return [NOT_READY_APPRAISAL]
    elif case.status == S.INVESTIGATION and not case.appraisal_required:
        if not Investigation.objects.filter(case=case).exists():
            return [NOT_READY_INVESTIGATION]
    else:
        return [NOT_READY_APPRAISAL if case.appraisal_required else NOT_READY_INVESTIGATION]
    if not RegistrationForm.objects.filter(case=case).exists():
        return [NOT_READY_INVESTIGATION]
    return [reason for gate in _signing_gates if (reason := gate(case=case))]


AWAITING_SIGNATURES = "公示期满，待签字上交"
AWAITING_SIGNATURES_NO_APPRAISAL = "入户调查已完成，待签字上交"


def signing_state(*, case: Case) -> str:
    """公示期满，待签字上交 (or, without an appraisal, 入户调查已完成，待签字上交) while the 登记表
    may be signed and still lacks a signature; "" otherwise."""
    if signing_blockers(case=case):
        return ""
    form = RegistrationForm.objects.filter(case=case).first()
    if form is None or form.fully_signed:
        return ""
    return AWAITING_SIGNATURES if case.status == S.APPRAISAL else AWAITING_SIGNATURES_NO_APPRAISAL


@dataclass
class Signed:
    """A signature given; on the third, what happened to the hand-over (上交民政办)."""

    form: RegistrationForm
    case: Case
    submitted: bool = False
    refusal: str = ""  # why the hand-over did not go through (the signature stands)
    notes: list[str] = field(default_factory=list)  # the listeners' notes (archives: filed in the bag)


def registration_sign(*, case: Case, by: AbstractBaseUser) -> Signed:
    """Sign the 清理核实登记表 in the signer's team role (驻村领导, 驻村干部 or 村干部).

    The third signature is the hand-over of the seed: the listeners run (archives files
    the signed form in the household's bag) and the case is submitted to 镇审核 as the
    third signer. If the pipeline refuses that move, the signature still stands and the
    reason is returned (the 下一步 panel offers "上交民政办" again).
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        # Who first (403 for anyone outside the team, whatever the stage), then when.
        membership = TeamMembership.objects.filter(team_id=case.team_id, user=by).first()
        if membership is None:
            raise TransitionForbidden("只有本案清理小组的驻村领导、驻村干部和村干部可以签字。")
        hand_over = TRANSITIONS.get((case.status, "submit"))
        if hand_over is not None:
            _check_actor(case, hand_over, by)
        blockers = signing_blockers(case=case)
        if blockers:
            raise TransitionInvalid(blockers[0])
        form = RegistrationForm.objects.select_for_update().get(case=case)
        slot = SIGNATURE_SLOTS[membership.role]
        signed_by = getattr(form, f"{slot}_signed_by_id")
        if signed_by == by.pk:
            raise TransitionInvalid("您已签字。")
        if signed_by is not None:
            raise TransitionInvalid(f"{membership.role}已签字。")
        setattr(form, f"{slot}_signed_by", by)
        setattr(form, f"{slot}_signed_at", timezone.now())
        _save(form, by)
        result = Signed(form=form, case=case)
        if form.fully_signed:
            result.notes = [note for listener in _signed_listeners if (note := listener(case=case, form=form, by=by))]
            try:
                with transaction.atomic():
                    result.case = case_advance(case=case, action="submit", by=by)
                    result.submitted = True
            except TransitionError as exc:
                result.refusal = exc.text
    return result


def deadline_for_campaign(campaign: Campaign) -> date | None:
    """The end of the campaign's 清理实施 phase: the limit of team work in launched cases."""
    return (
        CampaignPhase.objects.filter(campaign=campaign, kind=CampaignPhase.Kind.IMPLEMENT)
        .values_list("ends_on", flat=True)
        .first()
    )
