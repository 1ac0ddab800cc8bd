"""Round rules: which rounds apply, preparing, opening, closing, the pipeline gates."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from publicity import rounds
from publicity.models import PublicityRound, RoundCase, RoundSetting
from review.cases import campaigns
from review.cases.workflow import TransitionInvalid, case_advance, registration_sign, signing_state, stage_save
from review.models import Case, CaseStep, Status
from tests.factories import HouseholdFactory, MemberFactory
from tests.publicity.conftest import at_appraisal, at_stage, open_round, sign_all
from tests.review_cases.conftest import appraisal_data, appraise, district_data

pytestmark = pytest.mark.django_db
S = Status


@pytest.mark.parametrize(("appraisal", "expected"), [(True, (1, 2, 3)), (False, (2, 3))])
@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_rounds_applying_follows_appraisal_only(campaign, count, appraisal, expected):
    # Rounds 2 and 3 always apply; round 1 whenever an appraisal is held. A stored count changes nothing.
    campaign.publicity_rounds, campaign.appraisal_required = count, appraisal
    assert rounds.rounds_applying(campaign=campaign) == expected


def test_applications_without_campaign_have_all_three_rounds():
    assert rounds.rounds_applying(campaign=None) == (1, 2, 3)


def test_prepare_lists_only_cases_ready_for_the_round(cases, crew, town_officer, launched, village_a, village_b):
    ready = at_appraisal(cases[0], crew)
    # Another village's case at the same stage is not listed.
    other = HouseholdFactory(village=village_b, head_name="外村户")
    MemberFactory(household=other)
    campaigns.campaign_launch(campaign=launched, by=town_officer)
    draft = rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
    assert draft.status == PublicityRound.Status.DRAFT
    assert list(draft.cases.all()) == [ready]
    assert draft.days == 7 and draft.starts_on is None


def test_prepare_refuses_empty_duplicate_and_absent_rounds(cases, crew, town_officer, launched, village_a):
    with pytest.raises(ValidationError, match="没有可列入第一榜"):
        rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
    at_appraisal(cases[0], crew)
    rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
    at_appraisal(cases[1], crew)
    with pytest.raises(ValidationError, match="已有未结束的批次"):
        rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
    launched.publicity_rounds, launched.appraisal_required = 2, False
    launched.save()
    with pytest.raises(ValidationError, match="不设第一榜"):
        rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)


def test_only_the_town_office_prepares_opens_and_closes(cases, crew, launched, village_a, town_officer, personas):
    at_appraisal(cases[0], crew)
    for name in ("team_member_a", "district_officer", "inspector", "outsider"):
        with pytest.raises(PermissionDenied):
            rounds.round_prepare(campaign=launched, village=village_a, number=1, by=personas[name])
    draft = rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
    with pytest.raises(PermissionDenied):
        rounds.round_open(round=draft, by=personas["team_member_a"])
    opened = rounds.round_open(round=draft, by=town_officer)
    with pytest.raises(PermissionDenied):
        rounds.round_close(round=opened, by=personas["inspector"])


def test_open_sets_a_seven_day_period_and_round_three_has_no_end(cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    start = timezone.localdate()
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer, started_days_ago=0)
    assert (opened.status, opened.starts_on, opened.ends_on) == ("公示中", start, start + timedelta(days=6))
    assert opened.history.count() == 2
    with pytest.raises(ValidationError, match="不能再发布"):
        rounds.round_open(round=opened, by=town_officer)
    done = at_stage(cases[1], S.DONE, crew, town=town_officer, district=_district(launched))
    third = open_round(campaign=launched, village=village_a, number=3, by=town_officer, started_days_ago=0)
    assert list(third.cases.all()) == [done]
    assert third.ends_on is None


def _district(campaign):
    from kanjia import roles
    from tests.conftest import make_user

    return make_user(f"district_{campaign.pk}", roles.DISTRICT)


def test_period_is_configurable_per_campaign(cases, crew, launched, village_a, town_officer):
    RoundSetting.objects.create(campaign=launched, days=10)
    at_appraisal(cases[0], crew)
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer, started_days_ago=0)
    assert opened.days == 10 and opened.ends_on == opened.starts_on + timedelta(days=9)


def test_close_waits_for_the_end_of_the_period(cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer, started_days_ago=6)
    assert opened.ends_on == timezone.localdate()
    with pytest.raises(ValidationError, match="期满后才能结束"):
        rounds.round_close(round=opened, by=town_officer)
    assert PublicityRound.objects.get(pk=opened.pk).status == "公示中"
    summary = rounds.round_close(round=opened, by=town_officer, today=opened.ends_on + timedelta(days=1))
    assert summary.passed == 1


def test_a_saved_appraisal_is_not_listed_for_round_one_until_its_result_is_submitted(
    cases, crew, launched, village_a, town_officer
):
    draft = at_appraisal(cases[0], crew, submit=False)
    submitted = at_appraisal(cases[1], crew)
    listed = set(rounds.eligible_cases(campaign=launched, village=village_a, number=1).values_list("pk", flat=True))
    assert listed == {submitted.pk}
    assert draft.status == submitted.status == S.APPRAISAL
    # Submitting the result lists it; the saved appraisal can no longer be edited (退回 reopens it).
    appraise(draft, crew)
    listed = set(rounds.eligible_cases(campaign=launched, village=village_a, number=1).values_list("pk", flat=True))
    assert listed == {draft.pk, submitted.pk}
    with pytest.raises(TransitionInvalid, match="评议结果已提交"):
        stage_save(case=draft, by=crew.cadre, data=appraisal_data())


def test_closing_round_one_waits_for_the_signatures_and_the_third_submits(
    cases, crew, launched, village_a, town_officer
):
    case = at_appraisal(cases[0], crew)
    # Before the round has closed, nobody signs.
    with pytest.raises(TransitionInvalid, match="第一榜公示期满、公示结束后签字"):
        registration_sign(case=case, by=crew.leader)
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    with pytest.raises(TransitionInvalid, match="第一榜公示期满、公示结束后签字"):
        registration_sign(case=case, by=crew.leader)
    summary = rounds.round_close(round=opened, by=town_officer)
    # Closing no longer tries to push the case on: it waits, 公示期满，待签字上交.
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.APPRAISAL and summary.passed == 1 and summary.held == []
    entry = RoundCase.objects.get(round=opened, case=case)
    assert (entry.result, entry.note) == (RoundCase.Result.PASSED, "公示期满，待签字上交")
    assert not CaseStep.objects.filter(case=case, action="submit").exists()
    assert signing_state(case=case) == "公示期满，待签字上交"
    first = registration_sign(case=case, by=crew.leader)
    assert not first.submitted and Case.objects.get(pk=case.pk).status == S.APPRAISAL
    registration_sign(case=case, by=crew.cadre)
    third = registration_sign(case=case, by=crew.village_cadre)
    assert third.submitted and third.refusal == ""
    assert Case.objects.get(pk=case.pk).status == S.TOWN_REVIEW
    step = CaseStep.objects.filter(case=case).latest("at", "id")
    assert (step.action, step.actor, step.to_status) == ("submit", crew.village_cadre, S.TOWN_REVIEW)


def test_a_refused_hand_over_keeps_the_signature_and_can_be_retried(
    cases, crew, launched, village_a, town_officer, settings
):
    case = at_appraisal(cases[0], crew)
    rounds.round_close(
        round=open_round(campaign=launched, village=village_a, number=1, by=town_officer), by=town_officer
    )
    # Another reason the pipeline refuses the move: an open objection to the case (a row, as a
    # late objection the office records would leave it).
    from publicity.models import Objection

    registration_sign(case=case, by=crew.leader)
    registration_sign(case=case, by=crew.cadre)
    round_1 = PublicityRound.objects.get(number=1, village=village_a)
    objection = Objection.objects.create(
        round=round_1,
        case=case,
        received_on=timezone.localdate(),
        channel=Objection.Channel.VISIT,
        content="有车",
        anonymous=True,
        registered_by=town_officer,
    )
    third = registration_sign(case=case, by=crew.village_cadre)
    assert not third.submitted and "异议" in third.refusal
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.APPRAISAL and case.registration.fully_signed
    objection.delete()
    assert case_advance(case=case, action="submit", by=crew.cadre).status == S.TOWN_REVIEW


def test_submit_waits_for_round_one(cases, crew, launched, village_a, town_officer):
    case = at_appraisal(cases[0], crew)
    with pytest.raises(TransitionInvalid, match="第一榜公示期满"):
        case_advance(case=case, action="submit", by=crew.cadre)
    open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    with pytest.raises(TransitionInvalid, match="第一榜公示期满"):
        case_advance(case=case, action="submit", by=crew.cadre)
    assert Case.objects.get(pk=case.pk).status == S.APPRAISAL


def test_round_two_gates_town_pass_and_district_approval(cases, crew, launched, village_a, town_officer):
    district = _district(launched)
    case = at_stage(cases[0], S.TOWN_REVIEW, crew, town=town_officer)
    from tests.review_cases.conftest import town_data

    with pytest.raises(TransitionInvalid, match="第二榜"):
        case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    # The town writes its review, publicises it, and the close passes the case to the district.
    from review.cases.workflow import stage_save

    stage_save(case=case, by=town_officer, data=town_data())
    opened = open_round(campaign=launched, village=village_a, number=2, by=town_officer)
    rounds.round_close(round=opened, by=town_officer)
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.DISTRICT_APPROVAL
    assert case_advance(case=case, action="approve", by=district, data=district_data()).status == S.DONE
    # A case that reached 区审批 without round 2 cannot be approved.
    other = at_stage(cases[1], S.DISTRICT_APPROVAL, crew, town=town_officer)
    with pytest.raises(TransitionInvalid, match="第二榜"):
        case_advance(case=other, action="approve", by=district, data=district_data())


def test_a_returned_case_is_publicised_again(cases, crew, launched, village_a, town_officer):
    case = at_appraisal(cases[0], crew)
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    rounds.round_close(round=opened, by=town_officer)
    case = sign_all(case, crew).case
    assert case.status == S.TOWN_REVIEW
    case = case_advance(case=case, action="return", by=town_officer, data={"target": S.APPRAISAL}, note="补充评议")
    assert rounds.has_passed(case=case, number=1) is False
    # 退回 reopens the appraisal: its result is submitted again before it is listed again.
    assert not rounds.eligible_cases(campaign=launched, village=village_a, number=1).filter(pk=case.pk).exists()
    assert not case.registration.fully_signed
    case = appraise(case, crew)
    assert case.pk in set(
        rounds.eligible_cases(campaign=launched, village=village_a, number=1).values_list("pk", flat=True)
    )
    with pytest.raises(TransitionInvalid, match="第一榜"):
        case_advance(case=case, action="submit", by=crew.cadre)


def test_gates_can_be_switched_off_for_other_apps_tests(cases, crew):
    case = at_appraisal(cases[0], crew)
    with override_settings(PUBLICITY_ENFORCE_ROUNDS=False):
        assert sign_all(case, crew).case.status == S.TOWN_REVIEW


def test_close_query_count_is_flat(cases, crew, launched, village_a, town_officer, django_assert_max_num_queries):
    for case in cases:
        at_appraisal(case, crew)
    opened = open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    # Per case: the pipeline's own checks and writes (bounded), independent of the round's other cases.
    with django_assert_max_num_queries(20 + 45 * len(cases)):
        rounds.round_close(round=opened, by=town_officer)
