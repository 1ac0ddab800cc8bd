"""The transitions table and the one service that applies it."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from households.flags import dispose_flag, raise_manual_flag
from households.models import Household, ReviewFlag
from kanjia import roles
from review.cases import campaigns
from review.cases.workflow import (
    RETURN,
    TERMINATE,
    TRANSITIONS,
    TransitionForbidden,
    TransitionInvalid,
    available_transitions,
    case_advance,
    register_guard,
    registration_sign,
    stage_save,
)
from review.models import Acceptance, Case, CaseStep, Investigation, RegistrationForm, Status, TownReview
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory
from tests.review_cases.conftest import (
    acceptance_data,
    appraisal_data,
    days_ago,
    district_data,
    drive,
    investigation_data,
    town_data,
)

pytestmark = pytest.mark.django_db

ACTIONS = sorted({action for _, action in TRANSITIONS})


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.steps.count(), case.household.status, case.household.base_amount)


def data_for(case: Case, action: str, crew) -> tuple[dict | None, str]:
    """Valid data and note for `action` at the case's current status."""
    transition = TRANSITIONS[(case.status, action)]
    if action == RETURN:
        return {"target": transition.targets[-1]}, "材料有误，退回重新办理"
    if action == TERMINATE:
        return None, "申请人撤回申请"
    return {
        "accept": acceptance_data(),
        "investigate": investigation_data([crew.cadre, crew.village_cadre]),
        "appraise": appraisal_data(),
        "town_review": town_data(),
        "approve": district_data(),
    }.get(action), ""


def ready_for(case: Case, action: str, crew) -> None:
    """Put any pre-requisites in place that are not the transition's own data."""
    if case.status == Status.APPRAISAL and action == "submit":
        case_advance(case=case, action="appraise", by=crew.cadre, data=appraisal_data())
        # Two sign here; the third signature would hand the form in itself, so it is put on the
        # form directly: the state after a hand-over the pipeline refused (retried by "submit").
        registration_sign(case=case, by=crew.leader)
        registration_sign(case=case, by=crew.village_cadre)
        form = RegistrationForm.objects.get(case=case)
        form.cadre_signed_by, form.cadre_signed_at = crew.cadre, timezone.now()
        form.save()


# --- The table ------------------------------------------------------------------------


@pytest.mark.parametrize("status, action", [k for k in TRANSITIONS if k != (Status.INVESTIGATION, "submit")])
def test_every_allowed_move_works_for_the_right_role_only(
    status, action, case, crew, town_officer, district_officer, team_member_b, inspector, outsider
):
    case = drive(case, status, crew, town=town_officer, district=district_officer)
    transition = TRANSITIONS[(status, action)]
    right = {(roles.DISTRICT,): district_officer, (roles.TOWN_OFFICE,): town_officer}.get(transition.roles, crew.cadre)
    everyone = [crew.cadre, town_officer, district_officer, team_member_b, inspector, outsider]
    wrong = [u for u in everyone if u is not right and not (u is town_officer and transition.team_scoped)]
    data, note = data_for(case, action, crew)
    ready_for(case, action, crew)
    before = snapshot(case)
    for user in wrong:
        with pytest.raises(TransitionForbidden) as refused:
            case_advance(case=case, action=action, by=user, data=data, note=note)
        assert refused.value.text, user
        assert snapshot(case) == before, user
    if action == "accept":
        assert not Acceptance.objects.filter(case=case).exists()

    moved = case_advance(case=case, action=action, by=right, data=data, note=note)
    expected = transition.to or data["target"]
    assert moved.status == expected
    step = moved.steps.get(action=action, to_status=expected)
    assert (step.from_status, step.actor, step.note) == (status, right, note)


def test_every_move_not_in_the_table_is_refused_and_changes_nothing(
    case, crew, town_officer, district_officer, second_district_officer
):
    for status in [Status.ACCEPTANCE, Status.INVESTIGATION, Status.APPRAISAL, Status.TOWN_REVIEW, Status.DONE]:
        case = drive(case, status, crew, town=town_officer, district=second_district_officer)
        for action in [*ACTIONS, "jump"]:
            key = (status, action)
            if key in TRANSITIONS and (status, action) != (Status.INVESTIGATION, "submit"):
                continue
            before = snapshot(case)
            for user in (crew.cadre, town_officer, district_officer):
                with pytest.raises(TransitionInvalid) as refused:
                    case_advance(case=case, action=action, by=user, data={}, note="x")
                assert status in refused.value.text
                assert snapshot(case) == before


def test_town_office_may_do_team_work(case, crew, town_officer):
    case = case_advance(case=case, action="accept", by=town_officer, data=acceptance_data())
    assert case.status == Status.INVESTIGATION


def test_appraisal_skipped_only_when_the_campaign_says_so(household, crew, town_officer, district_officer):
    campaign = campaigns.campaign_create(
        name="年度核查", kind="年度核查", scope_date=days_ago(0), by=town_officer, appraisal_required=False
    )
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = Case.objects.get(campaign=campaign)
    case = case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    with pytest.raises(TransitionInvalid):
        case_advance(case=case, action="investigate", by=crew.cadre, data=investigation_data(crew.all[:2]))
    stage_save(case=case, by=crew.cadre, data=investigation_data(crew.all[:2]))
    with pytest.raises(TransitionInvalid, match="签字"):
        case_advance(case=case, action="submit", by=crew.cadre)
    # No appraisal: signed after the investigation; the third signature hands it in.
    for member in crew.all:
        signed = registration_sign(case=case, by=member)
    assert signed.submitted
    case = signed.case
    assert case.status == Status.TOWN_REVIEW
    assert list(case.steps.values_list("to_status", flat=True)) == [Status.INVESTIGATION, Status.TOWN_REVIEW]
    # Returning to 民主评议 is not offered when there is no appraisal.
    with pytest.raises(TransitionInvalid):
        case_advance(case=case, action=RETURN, by=town_officer, data={"target": Status.APPRAISAL}, note="x")


def test_buttons_offered_are_only_those_the_user_may_take(case, crew, town_officer, district_officer, inspector):
    assert {a for a, _ in available_transitions(case=case, user=crew.cadre)} == {"accept"}
    assert {a for a, _ in available_transitions(case=case, user=town_officer)} == {"accept", TERMINATE}
    assert available_transitions(case=case, user=district_officer) == []
    assert available_transitions(case=case, user=inspector) == []
    case = drive(case, Status.TOWN_REVIEW, crew)
    assert {a for a, _ in available_transitions(case=case, user=town_officer)} == {"town_review", RETURN, TERMINATE}
    assert available_transitions(case=case, user=crew.cadre) == []


# --- Required data --------------------------------------------------------------------


def test_acceptance_needs_signatures_and_all_materials(case, crew):
    with pytest.raises(TransitionInvalid, match="诚信承诺书"):
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data(promise_signed=False))
    with pytest.raises(TransitionInvalid, match="材料尚未补齐"):
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data(missing_materials="户口簿复印件"))
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data(authorization_signed_on=None))
    assert "authorization_signed_on" in refused.value.message_dict
    assert snapshot(case)[0] == Status.ACCEPTANCE
    assert not Acceptance.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"investigators": "one"}, "investigators", "至少两名"),
        ({"items": "missing"}, "item_5", "请选择"),
        ({"items": "abnormal_no_note"}, "item_2", "请说明"),
        ({"checks": "missing"}, "check_税务", "回复日期"),
        ({"checks": "abnormal_no_note"}, "check_车辆", "说明"),
        ({"recommended_outcome": Case.Outcome.ADMIT}, "recommended_outcome", "调查建议"),
        ({"family_present": ""}, "family_present", "在场家庭成员"),
    ],
)
def test_investigation_refuses_incomplete_data(case, crew, change, field, message):
    case = drive(case, Status.INVESTIGATION, crew)
    data = investigation_data([crew.cadre, crew.village_cadre])
    key, value = next(iter(change.items()))
    if value == "one":
        data["investigators"] = [crew.cadre]
    elif key == "items":
        data["items"] = dict(data["items"])
        if value == "missing":
            del data["items"][5]
        else:
            data["items"][2] = (True, "")
    elif key == "checks":
        data["checks"] = dict(data["checks"])
        if value == "missing":
            del data["checks"]["税务"]
        else:
            data["checks"]["车辆"] = (days_ago(1), True, " ")
    else:
        data[key] = value
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="investigate", by=crew.cadre, data=data)
    assert message in refused.value.message_dict[field][0]
    assert snapshot(case)[0] == Status.INVESTIGATION
    assert not Investigation.objects.filter(case=case).exists()


def test_investigators_must_belong_to_the_team(case, crew, team_b, team_member_b):
    case = drive(case, Status.INVESTIGATION, crew)
    with pytest.raises(TransitionInvalid, match="乙组组员不是"):
        case_advance(
            case=case, action="investigate", by=crew.cadre, data=investigation_data([crew.cadre, team_member_b])
        )


def test_open_flags_must_be_disposed_before_investigation_completes(case, crew, household):
    case = drive(case, Status.INVESTIGATION, crew)
    flag = raise_manual_flag(household=household, kind=ReviewFlag.Kind.VEHICLE, reason="群众反映有车", by=crew.cadre)
    with pytest.raises(TransitionInvalid, match="1 条重点复核标记"):
        case_advance(case=case, action="investigate", by=crew.cadre, data=investigation_data(crew.all[1:]))
    dispose_flag(flag=flag, disposition="核实无误", note="车辆登记在亲戚名下", by=crew.cadre)
    case = case_advance(case=case, action="investigate", by=crew.cadre, data=investigation_data(crew.all[1:]))
    assert case.status == Status.APPRAISAL


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"villager_reps": 7, "votes_agree": 9}, "villager_reps", "三分之二"),
        ({"votes_abstain": 3}, "votes_abstain", "应等于参会人数"),
        ({"votes_agree": 5, "votes_disagree": 6}, "result", "不符"),
        ({"minutes": ""}, "minutes", "评议记录"),
    ],
)
def test_appraisal_refuses_invalid_meetings(case, crew, change, field, message):
    case = drive(case, Status.APPRAISAL, crew)
    with pytest.raises(TransitionInvalid) as refused:
        stage_save(case=case, by=crew.cadre, data=appraisal_data(**change))
    assert message in refused.value.message_dict[field][0]
    with pytest.raises(TransitionInvalid, match="民主评议记录"):
        case_advance(case=case, action="appraise", by=crew.cadre)


def test_registration_form_needs_three_signatures_in_team_roles(case, crew, town_officer):
    case = drive(case, Status.APPRAISAL, crew)
    with pytest.raises(TransitionInvalid, match="提交评议结果"):
        registration_sign(case=case, by=crew.leader)
    stage_save(case=case, by=crew.cadre, data=appraisal_data())
    # A saved appraisal is a draft: the form is signed after its result is submitted.
    with pytest.raises(TransitionInvalid, match="提交评议结果"):
        registration_sign(case=case, by=crew.leader)
    case = case_advance(case=case, action="appraise", by=crew.cadre)
    registration_sign(case=case, by=crew.leader)
    registration_sign(case=case, by=crew.cadre)
    with pytest.raises(TransitionInvalid, match="您已签字"):
        registration_sign(case=case, by=crew.cadre)
    with pytest.raises(TransitionForbidden):
        registration_sign(case=case, by=town_officer)
    with pytest.raises(TransitionInvalid, match="签字"):
        case_advance(case=case, action="submit", by=crew.cadre)
    signed = registration_sign(case=case, by=crew.village_cadre)
    form = RegistrationForm.objects.get(case=case)
    assert (form.leader_signed_by, form.cadre_signed_by, form.village_cadre_signed_by) == tuple(crew.all)
    assert form.fully_signed and "九类事项均无异常" in form.findings
    # The third signature hands the form in (上交民政办): the case is at 镇审核, taken by the third signer.
    assert signed.submitted and Case.objects.get(pk=case.pk).status == Status.TOWN_REVIEW
    assert case.steps.get(action="submit").actor == crew.village_cadre


def test_district_outcome_data_is_checked(case, crew, town_officer, district_officer):
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    for data, field in [
        (district_data(outcome=Case.Outcome.STOP), "stop_reason"),
        (district_data(outcome=Case.Outcome.ADJUST), "base_amount"),
        (district_data(outcome=Case.Outcome.ADMIT, base_amount=Decimal(300)), "outcome"),
    ]:
        with pytest.raises(TransitionInvalid) as refused:
            case_advance(case=case, action="approve", by=district_officer, data=data)
        assert field in refused.value.message_dict
    assert snapshot(case)[0] == Status.DISTRICT_APPROVAL


@pytest.mark.parametrize("flag", ["is_near_relative", "has_objection"])
def test_home_visit_mandatory_for_near_relative_or_objection(case, crew, town_officer, district_officer, flag):
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    Case.objects.filter(pk=case.pk).update(**{flag: True})  # set by later apps' services
    with pytest.raises(TransitionInvalid, match="入户核查"):
        case_advance(case=case, action="approve", by=district_officer, data=district_data())
    data = district_data(home_visit_on=days_ago(1), home_visit_note="入户查看，住房简陋，情况属实。")
    assert case_advance(case=case, action="approve", by=district_officer, data=data).status == Status.DONE


# --- Separation of duties and recusal ------------------------------------------------------


def test_same_person_cannot_decide_at_town_and_district(case, crew, town_officer):
    both = make_user("both", roles.TOWN_OFFICE)
    both.groups.add(Group.objects.get_or_create(name=roles.DISTRICT)[0])
    case = drive(case, Status.TOWN_REVIEW, crew)
    case = case_advance(case=case, action="town_review", by=both, data=town_data())
    with pytest.raises(TransitionForbidden, match="镇审核环节"):
        case_advance(case=case, action="approve", by=both, data=district_data())
    with pytest.raises(TransitionForbidden, match="镇审核环节"):
        case_advance(case=case, action=RETURN, by=both, data={"target": Status.TOWN_REVIEW}, note="再审")
    assert snapshot(case)[0] == Status.DISTRICT_APPROVAL


def test_district_decider_cannot_then_review_at_town(case, crew, town_officer):
    both = make_user("both", roles.DISTRICT)
    both.groups.add(Group.objects.get_or_create(name=roles.TOWN_OFFICE)[0])
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    case = case_advance(case=case, action=RETURN, by=both, data={"target": Status.TOWN_REVIEW}, note="补充意见")
    with pytest.raises(TransitionForbidden, match="区审批环节"):
        case_advance(case=case, action="town_review", by=both, data=town_data())


def test_investigator_cannot_review_or_approve(case, crew, town_officer, district_officer):
    case = drive(case, Status.INVESTIGATION, crew)
    case = case_advance(
        case=case, action="investigate", by=crew.cadre, data=investigation_data([crew.cadre, town_officer])
    )
    case = drive(case, Status.TOWN_REVIEW, crew)
    with pytest.raises(TransitionForbidden, match="入户调查"):
        case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    other_town = make_user("town_2", roles.TOWN_OFFICE)
    case = case_advance(case=case, action="town_review", by=other_town, data=town_data())
    # An investigator who later holds a district role still may not approve.
    crew.cadre.groups.add(Group.objects.get_or_create(name=roles.DISTRICT)[0])
    crew.cadre.__dict__.pop("_kanjia_roles", None)
    with pytest.raises(TransitionForbidden, match="入户调查"):
        case_advance(case=case, action="approve", by=crew.cadre, data=district_data())
    assert case_advance(case=case, action="approve", by=district_officer, data=district_data()).status == Status.DONE


def test_member_of_the_household_must_recuse(case, crew, household, town_officer):
    member = household.members.get()
    teams.staff_upsert(user=crew.cadre, name="甲组组员", unit="村委会", by=town_officer, id_number=member.id_number)
    crew.cadre.refresh_from_db()
    with pytest.raises(TransitionForbidden, match="回避"):
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    assert "accept" not in {a for a, _ in available_transitions(case=case, user=crew.cadre)}
    assert (
        case_advance(case=case, action="accept", by=crew.leader, data=acceptance_data()).status == Status.INVESTIGATION
    )


def test_registered_guards_can_hold_a_case(case, crew, town_officer):
    from review.cases import workflow

    def open_objection(*, case, action, transition, by, data):
        return "本案有未处理的异议，暂停办理。" if action == "accept" else None

    register_guard(open_objection)
    try:
        with pytest.raises(TransitionInvalid, match="未处理的异议"):
            case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
        assert snapshot(case)[1] == 0
    finally:
        workflow._guards.remove(open_objection)


# --- Return, terminate, final approval -----------------------------------------------------


def test_return_needs_reason_and_reopens_later_stages(case, crew, town_officer, district_officer):
    case = drive(case, Status.TOWN_REVIEW, crew, town=town_officer)
    with pytest.raises(TransitionInvalid, match="理由"):
        case_advance(case=case, action=RETURN, by=town_officer, data={"target": Status.INVESTIGATION})
    with pytest.raises(TransitionInvalid, match="退回到的环节"):
        case_advance(case=case, action=RETURN, by=town_officer, data={"target": Status.ACCEPTANCE}, note="x")
    case = case_advance(
        case=case, action=RETURN, by=town_officer, data={"target": Status.INVESTIGATION}, note="经济核对缺税务回函"
    )
    assert case.status == Status.INVESTIGATION
    assert Investigation.objects.get(case=case).completed_at is None
    assert not RegistrationForm.objects.get(case=case).fully_signed
    assert case.steps.last().note == "经济核对缺税务回函"
    # The team completes the stages again; the case reaches 办结.
    case = drive(case, Status.DONE, crew, town=town_officer, district=district_officer)
    assert list(case.steps.values_list("action", flat=True)) == [
        "accept", "investigate", "appraise", "submit", RETURN, "investigate", "appraise", "submit", "town_review",
        "approve",
    ]  # fmt: skip


def test_terminate_by_town_office_with_reason(case, crew, town_officer):
    with pytest.raises(TransitionForbidden):
        case_advance(case=case, action=TERMINATE, by=crew.cadre, note="撤回")
    with pytest.raises(TransitionInvalid, match="理由"):
        case_advance(case=case, action=TERMINATE, by=town_officer)
    case = case_advance(case=case, action=TERMINATE, by=town_officer, note="户主书面撤回申请")
    assert case.status == Status.TERMINATED and case.closed_at and case.due_on is None


def test_final_approval_is_all_or_nothing(case, crew, town_officer, district_officer, household, monkeypatch):
    """A failure after the household was written (here: injected right after the outcome is
    applied) leaves the household, the case and its steps exactly as they were."""
    from review.cases import workflow

    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    before = (household.status, household.base_amount, household.history.count(), CaseStep.objects.count())
    real = workflow.EFFECTS["apply_outcome"]

    def crash_after_applying(case, by):
        real(case, by)
        raise RuntimeError("数据库连接中断")

    monkeypatch.setitem(workflow.EFFECTS, "apply_outcome", crash_after_applying)
    data = district_data(outcome=Case.Outcome.ADJUST, base_amount=Decimal("420.00"))
    with pytest.raises(RuntimeError):
        case_advance(case=case, action="approve", by=district_officer, data=data)
    household.refresh_from_db()
    case.refresh_from_db()
    assert (household.status, household.base_amount, household.history.count(), CaseStep.objects.count()) == before
    assert case.status == Status.DISTRICT_APPROVAL and case.outcome == ""

    monkeypatch.setitem(workflow.EFFECTS, "apply_outcome", real)
    case = case_advance(case=case, action="approve", by=district_officer, data=data)
    household.refresh_from_db()
    assert (case.status, household.base_amount) == (Status.DONE, Decimal("420.00"))


def test_district_decision_due_within_ten_working_days_over_national_day(crew, village_a, town_officer, monkeypatch):
    from review.cases import workflow

    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    case = campaigns.application_create(household=applicant, by=town_officer)  # no campaign: no phase cap
    case = drive(case, Status.TOWN_REVIEW, crew)
    # Town review passed on Friday 2025-09-26: Sunday 09-28 is a make-up workday, Oct 1–8 are off,
    # Saturday 10-11 is a make-up workday: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13 … 10-16.
    monkeypatch.setattr(workflow, "_today", lambda: date(2025, 9, 26))
    data = town_data(proposed_outcome=Case.Outcome.ADMIT, proposed_amount=Decimal("300"))
    case = case_advance(case=case, action="town_review", by=town_officer, data=data)
    assert (case.status, case.due_on) == (Status.DISTRICT_APPROVAL, date(2025, 10, 16))


def test_final_approval_adjusts_household_from_next_month(case, crew, town_officer, district_officer, household):
    from households.models import Category

    category = Category.objects.create(town=household.village.town, name="重度残疾", extra_amount=Decimal("50"))
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    history_before = household.history.count()
    decided = days_ago(0)
    data = district_data(
        decided_on=decided,
        outcome=Case.Outcome.ADJUST,
        base_amount=Decimal("420.00"),
        extra_amount=Decimal("50.00"),
        category=category,
    )
    case = case_advance(case=case, action="approve", by=district_officer, data=data)
    household.refresh_from_db()
    assert (household.status, household.base_amount, household.extra_amount, household.category) == (
        Household.Status.ACTIVE,
        Decimal("420.00"),
        Decimal("50.00"),
        category,
    )
    assert household.version == 2
    approval = case.district_approval
    month = decided.month % 12 + 1
    assert (approval.effective_month.month, approval.effective_month.day) == (month, 1)
    assert case.outcome == Case.Outcome.ADJUST and case.closed_at
    latest = household.history.first()
    assert household.history.count() == history_before + 1
    assert latest.history_user == district_officer and "调整" in latest.history_change_reason
    assert TownReview.objects.get(case=case).decision == "通过"


def test_stop_outcome_suspends_household_with_reason(case, crew, town_officer, district_officer, household):
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    data = district_data(outcome=Case.Outcome.STOP, stop_reason=ReviewFlag.Kind.VEHICLE, base_amount=Decimal(999))
    case = case_advance(case=case, action="approve", by=district_officer, data=data)
    household.refresh_from_db()
    assert household.status == Household.Status.SUSPENDED and household.base_amount == 0
    assert case.stop_reason == ReviewFlag.Kind.VEHICLE


def test_advance_runs_in_bounded_queries(case, crew, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    assert CaseStep.objects.filter(case=case).count() == 1
