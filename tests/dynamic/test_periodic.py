"""The daily beat task: triggers, due 定期核查 cases once per period, grace periods."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from households.models import Household, ReviewFlag
from review.cases import campaigns
from review.dynamic import services as dynamic
from review.models import Case, GracePeriod, PeriodicRecheck, RecheckTrigger
from review.tasks import dynamic_daily
from tests.dynamic.conftest import born, district_data, drive, elderly_household, working_household
from tests.factories import HouseholdFactory, MemberFactory

TODAY = date(2026, 3, 10)


@pytest.mark.django_db
def test_due_household_gets_one_periodic_case_for_its_team_and_a_second_run_adds_nothing(village_a, team_a):
    due = working_household(village_a, start=date(2025, 6, 1))  # 6 months → due 2025-12-01 (overdue)
    not_due = elderly_household(village_a, start=date(2025, 6, 1))  # 12 months → 2026-06-01

    first = dynamic.run_daily(today=TODAY)
    second = dynamic.run_daily(today=TODAY)

    assert first["cases_created"] == 1
    assert second["cases_created"] == 0
    case = Case.objects.get(household=due)
    assert (case.kind, case.team, case.status, case.campaign) == (Case.Kind.PERIODIC, team_a, "受理", None)
    assert case.due_on == date(2026, 3, 31)
    recheck = PeriodicRecheck.objects.get(household=due)
    assert (recheck.period, recheck.case) == (date(2026, 3, 1), case)
    assert recheck.reasons == "定期核查（每6个月）"
    assert not Case.objects.filter(household=not_due).exists()
    # The team member finds it in their worklist (the pipeline's own list).
    from review.cases.selectors import worklist

    assert case in worklist(user=team_a.memberships.first().user)


@pytest.mark.django_db
def test_periodic_case_of_a_near_relatives_household_starts_marked(village_a, team_a):
    from review.relatives.services import RelativeIn, declare
    from tests.conftest import make_user

    due = working_household(village_a, start=date(2025, 6, 1))
    other = working_household(village_a, start=date(2025, 6, 1))
    clerk = make_user("clerk", None)
    member = due.members.first()
    relative = RelativeIn(relation="兄弟姐妹", name=member.name, id_number=member.id_number, address="")
    declare(user=clerk, relatives=[relative], by=clerk)

    dynamic.run_daily(today=TODAY)
    assert Case.objects.get(household=due).is_near_relative  # the district must visit
    assert not Case.objects.get(household=other).is_near_relative


@pytest.mark.django_db
def test_a_household_in_an_open_campaign_case_gets_no_periodic_case(village_a, town_officer):
    household = working_household(village_a, start=date(2025, 1, 1))
    campaign = campaigns.campaign_create(name="专项", kind="专项清理", scope_date=TODAY, by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    dynamic.assign_rhythms(today=TODAY)

    run = dynamic.create_due_rechecks(today=TODAY)

    assert (run.created, run.busy) == (0, 1)
    assert household.cases.count() == 1


@pytest.mark.django_db
def test_next_period_opens_a_new_case_only_after_the_last_one_closed(village_a):
    household = working_household(village_a, start=date(2025, 6, 1))
    dynamic.run_daily(today=TODAY)
    # Still open next month: no second case.
    assert dynamic.run_daily(today=date(2026, 4, 2))["cases_created"] == 0
    case = Case.objects.get(household=household)
    Case.objects.filter(pk=case.pk).update(status="终止", closed_at=timezone.now())

    assert dynamic.run_daily(today=date(2026, 4, 3))["cases_created"] == 1
    assert PeriodicRecheck.objects.filter(household=household).count() == 2


@pytest.mark.django_db
def test_a_death_triggers_a_recheck_due_within_three_months(village_a):
    household = elderly_household(village_a, start=date(2026, 1, 1))  # not due by rhythm
    member = household.members.first()
    member.died_on = date(2026, 2, 20)
    member.save()

    dynamic.run_daily(today=TODAY)
    dynamic.run_daily(today=TODAY)

    trigger = RecheckTrigger.objects.get(household=household)
    assert trigger.reason == RecheckTrigger.Reason.DEATH
    assert trigger.due_on == date(2026, 5, 20)
    recheck = PeriodicRecheck.objects.get(household=household)
    assert trigger.recheck == recheck
    assert recheck.due_on == date(2026, 5, 20)
    assert recheck.reasons == "死亡"
    assert recheck.case.due_on == date(2026, 5, 20)


@pytest.mark.django_db
def test_a_roster_flag_triggers_a_recheck_and_joins_an_open_periodic_case(village_a):
    household = working_household(village_a, start=date(2025, 6, 1))
    dynamic.run_daily(today=TODAY)
    ReviewFlag.objects.create(
        household=household, kind=2, source=ReviewFlag.Source.ROSTER, source_key="roster:1:row:3", reason="领取养老金"
    )

    run = dynamic.run_daily(today=TODAY + timedelta(days=1))

    assert (run["triggers"], run["cases_created"], run["triggers_attached"]) == (1, 0, 1)
    trigger = RecheckTrigger.objects.get(household=household, reason=RecheckTrigger.Reason.FLAG)
    assert trigger.recheck == PeriodicRecheck.objects.get(household=household)


@pytest.mark.django_db
def test_reported_change_by_the_villages_team_opens_a_recheck(village_a, village_b, team_a, team_member_a, inspector):
    household = elderly_household(village_a, start=date(2026, 1, 1))
    other = elderly_household(village_b, start=date(2026, 1, 1))
    for user, target in ((team_member_a, other), (inspector, household)):
        with pytest.raises(PermissionDenied):
            dynamic.report_change(household=target, detail="儿子外出务工", occurred_on=TODAY, by=user)
    with pytest.raises(ValidationError) as exc:
        dynamic.report_change(household=household, detail=" ", occurred_on=TODAY, by=team_member_a)
    assert "请填写变化情况" in str(exc.value)

    dynamic.report_change(household=household, detail="儿子外出务工", occurred_on=TODAY, by=team_member_a)
    run = dynamic.create_due_rechecks(today=TODAY)

    assert run.created == 1
    assert PeriodicRecheck.objects.get(household=household).reasons == "情况变化"


def test_beat_schedule_names_the_tasks(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"review.dynamic_daily", "review.monthly_report"} <= scheduled


@pytest.mark.django_db
def test_task_runs_in_process_and_is_idempotent(village_a):
    working_household(village_a, start=date(2025, 1, 1))
    assert dynamic_daily.apply(args=[TODAY.isoformat()]).get()["cases_created"] == 1
    assert dynamic_daily.apply(args=[TODAY.isoformat()]).get()["cases_created"] == 0
    assert Case.objects.filter(kind=Case.Kind.PERIODIC).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_through_a_real_worker_creates_each_case_once(celery_worker_process, village_a):
    working_household(village_a, start=date(2025, 1, 1))
    working_household(village_a, start=date(2025, 2, 1))
    first = dynamic_daily.delay(TODAY.isoformat()).get(timeout=120)
    second = dynamic_daily.delay(TODAY.isoformat()).get(timeout=120)
    assert (first["cases_created"], second["cases_created"]) == (2, 0)
    deadline = time.time() + 10
    while Case.objects.filter(kind=Case.Kind.PERIODIC).count() < 2 and time.time() < deadline:
        time.sleep(0.2)
    assert PeriodicRecheck.objects.count() == Case.objects.filter(kind=Case.Kind.PERIODIC).count() == 2


# --- 渐退期 ---------------------------------------------------------------------------------


@pytest.fixture
def stopped_case(campaign, crew, town_officer, district_officer, village_a):
    """A campaign re-check that ended in 停保 because income rose above the standard (category 8)."""
    household = HouseholdFactory(village=village_a, base_amount=Decimal("420.00"), extra_amount=Decimal("50.00"))
    MemberFactory(household=household, born=born(date(1950, 1, 1)))
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = drive(Case.objects.get(household=household), "区审批", crew, town=town_officer, district=district_officer)
    from review.cases.workflow import case_advance

    data = district_data(outcome=Case.Outcome.STOP, stop_reason=8)
    return case_advance(case=case, action="approve", by=district_officer, data=data)


@pytest.mark.django_db
def test_grace_period_keeps_paying_up_to_six_months_and_ends(stopped_case, town_officer):
    household = Household.objects.get(pk=stopped_case.household_id)
    assert household.status == Household.Status.SUSPENDED
    with pytest.raises(ValidationError) as exc:
        dynamic.grace_start(case=stopped_case, months=7, by=town_officer)
    assert "1 至 6 个月" in str(exc.value)

    grace = dynamic.grace_start(case=stopped_case, months=6, by=town_officer)

    effective = stopped_case.district_approval.effective_month
    assert grace.start_month == effective
    assert grace.end_month == dynamic.add_months(effective, 5)
    assert grace.monthly_amount == Decimal("470.00")  # what the household received before the stop
    with pytest.raises(ValidationError):
        dynamic.grace_start(case=stopped_case, months=3, by=town_officer)
    # Still paying in its last month; closed by the daily run once that month is over.
    assert dynamic.end_grace_periods(today=grace.end_month) == 0
    assert GracePeriod.objects.filter(dynamic.grace_in_force(month=grace.end_month)).count() == 1
    after = dynamic.add_months(grace.end_month, 1)
    assert dynamic.end_grace_periods(today=after) == 1
    assert dynamic.end_grace_periods(today=after) == 0
    grace.refresh_from_db()
    assert grace.ended_on == dynamic.month_end(grace.end_month)
    assert not GracePeriod.objects.filter(dynamic.grace_in_force(month=after)).exists()


@pytest.mark.django_db
def test_grace_period_only_for_an_income_stop(stopped_case, town_officer, team_member_a):
    with pytest.raises(PermissionDenied):
        dynamic.grace_start(case=stopped_case, months=3, by=team_member_a)
    Case.objects.filter(pk=stopped_case.pk).update(stop_reason=1)
    stopped_case.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        dynamic.grace_start(case=stopped_case, months=3, by=town_officer)
    assert "收入超过保障标准" in str(exc.value)


# --- Objection trigger (through the real publicity services) -------------------------------


def _rejected_round_one_objection(case, crew, town_officer):
    """第一榜 lists `case`, an objection is registered and found 不成立, the round closes and moves it on."""
    from django.test import override_settings

    from publicity import objections, rounds
    from review.cases.workflow import case_advance, registration_sign, stage_save
    from tests.review_cases.conftest import appraisal_data, days_ago

    case = drive(case, "民主评议", crew)
    stage_save(case=case, by=crew.cadre, data=appraisal_data())
    case = case_advance(case=case, action="appraise", by=crew.cadre)  # the result submitted: listed for 第一榜
    from tests.e2e_helpers import travel_back

    with travel_back(10):
        draft = rounds.round_prepare(campaign=case.campaign, village=case.household.village, number=1, by=town_officer)
        round_ = rounds.round_open(round=draft, by=town_officer, starts_on=timezone.localdate())
    objection = objections.objection_register(
        round=round_,
        case=case,
        by=town_officer,
        received_on=days_ago(9),
        channel="电话",
        content="家中有人在外务工",
        anonymous=True,
    )
    objections.objection_handle(
        objection=objection,
        by=town_officer,
        investigation="入户核实，务工收入已计入。",
        investigated_on=days_ago(8),
        investigators=[town_officer],
        result="不成立",
        reply="经核实，反映情况已计入家庭收入。",
        replied_on=days_ago(8),
    )
    with override_settings(PUBLICITY_ENFORCE_ROUNDS=True):
        assert rounds.round_close(round=round_, by=town_officer).passed == 1
        # 公示期满，待签字上交: the third signature hands the case in.
        for member in crew.all:
            signed = registration_sign(case=case, by=member)
    return signed.case


@pytest.mark.django_db
def test_an_objection_on_the_long_term_board_triggers_one_recheck(
    campaign, crew, town_officer, district_officer, village_a
):
    from publicity import objections, rounds
    from review.dynamic.selectors import open_rechecks

    household = elderly_household(village_a, start=date(2026, 1, 1))  # not due by rhythm
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = drive(Case.objects.get(household=household), "办结", crew, town=town_officer, district=district_officer)
    assert (case.outcome, Household.objects.get(pk=household.pk).status) == ("维持", "在保")
    today = timezone.localdate()
    dynamic.run_daily(today=today)
    assert not PeriodicRecheck.objects.filter(household=household).exists()

    # 第三榜 (long-term, on the village board) lists the finished case; someone objects.
    draft = rounds.round_prepare(campaign=campaign, village=village_a, number=3, by=town_officer)
    board = rounds.round_open(round=draft, by=town_officer, starts_on=today)
    objections.objection_register(
        round=board,
        case=case,
        by=town_officer,
        received_on=today,
        channel="来访",
        content="该户儿子在城里买了房",
        objector_name="李某",
    )

    first = dynamic.run_daily(today=today)
    second = dynamic.run_daily(today=today)

    assert (first["triggers"], first["cases_created"]) == (1, 1)
    assert (second["triggers"], second["cases_created"]) == (0, 0)
    # The office's list of due re-checks shows it, with the objection as the reason and a month to do it.
    [due] = open_rechecks(user=town_officer, today=today)
    assert (due.household, due.reasons, due.due_on) == (household, "异议", today + timedelta(days=30))
    assert (due.case.kind, due.case.status, due.case.team) == (Case.Kind.PERIODIC, "受理", crew.team)
    assert "该户儿子在城里买了房" in RecheckTrigger.objects.get(household=household).detail


@pytest.mark.django_db
def test_an_objection_settled_during_the_pipeline_triggers_no_recheck_once_the_case_is_done(
    campaign, crew, town_officer, district_officer, village_a
):
    """An objection handled in 第一榜 was part of that case's own re-check; finishing the case must
    not open another re-check for it."""
    household = elderly_household(village_a, start=date(2026, 1, 1))  # not due by rhythm
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = _rejected_round_one_objection(Case.objects.get(household=household), crew, town_officer)
    assert case.status == "镇审核"
    case = drive(case, "区审批", crew, town=town_officer, district=district_officer)
    from review.cases.workflow import case_advance

    visit = {"home_visit_on": timezone.localdate(), "home_visit_note": "入户核查，情况属实。"}
    case = case_advance(case=case, action="approve", by=district_officer, data=district_data(**visit))
    assert case.status == "办结"

    run = dynamic.run_daily(today=timezone.localdate())

    assert (run["triggers"], run["cases_created"]) == (0, 0)
    from review.dynamic.selectors import open_rechecks

    assert not open_rechecks(user=town_officer).exists()


@pytest.mark.django_db
def test_a_recheck_opened_by_a_long_term_board_objection_is_questioned(village_a):
    """Exactly like a case with an objection: the district must visit, spot checks take it (issue 14)."""
    from review.cases.workflow import REQUIREMENTS

    household = elderly_household(village_a, start=date(2026, 1, 1))  # not due by rhythm
    RecheckTrigger.objects.create(
        household=household,
        reason=RecheckTrigger.Reason.OBJECTION,
        source_key="objection:1",
        detail="群众异议：家中有车",
        occurred_on=TODAY,
        due_on=TODAY + timedelta(days=15),
    )
    dynamic.run_daily(today=TODAY)
    case = PeriodicRecheck.objects.get(household=household).case
    assert case.has_objection
    assert REQUIREMENTS["home_visit"](case, {}) == ["本案有异议，区民政局须入户核查并填写入户核查记录。"]


@pytest.mark.django_db
def test_an_objection_joining_an_open_recheck_makes_it_questioned(village_a):
    household = elderly_household(village_a, start=date(2026, 1, 1))
    member = household.members.first()
    member.died_on = date(2026, 2, 20)  # a death opens the re-check first
    member.save()
    dynamic.run_daily(today=TODAY)
    case = PeriodicRecheck.objects.get(household=household).case
    assert not case.has_objection
    RecheckTrigger.objects.create(
        household=household,
        reason=RecheckTrigger.Reason.OBJECTION,
        source_key="objection:2",
        detail="群众异议",
        occurred_on=TODAY,
        due_on=TODAY + timedelta(days=15),
    )
    dynamic.run_daily(today=TODAY + timedelta(days=1))
    case.refresh_from_db()
    assert case.has_objection
    assert case.history.first().history_change_reason == "长期公示异议"
