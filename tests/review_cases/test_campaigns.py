"""Campaign set-up, launch (idempotent, with history), applications and deadlines."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from households.models import Household
from review.cases import campaigns
from review.cases.selectors import campaign_dashboard, worklist
from review.cases.workflow import case_advance
from review.models import CampaignPhase, Case, Status
from tests.factories import HouseholdFactory, VillageFactory
from tests.review_cases.conftest import Crew, acceptance_data, days_ago, district_data, drive

pytestmark = pytest.mark.django_db


def test_default_phases_follow_the_seed(campaign):
    assert [(p.kind, p.starts_on.strftime("%m-%d"), p.ends_on.strftime("%m-%d")) for p in campaign.phases.all()] == [
        (CampaignPhase.Kind.PREPARE, "05-06", "05-20"),
        (CampaignPhase.Kind.IMPLEMENT, "05-21", "06-20"),
        (CampaignPhase.Kind.APPROVE, "06-21", "07-20"),
        (CampaignPhase.Kind.SUMMARY, "07-21", "08-20"),
    ]
    assert (campaign.appraisal_required, campaign.publicity_rounds, campaign.spot_check_share) == (True, 3, 30)


def test_only_town_office_sets_up_campaigns(team_member_a, district_officer, inspector, town_officer):
    for user in (team_member_a, district_officer, inspector):
        with pytest.raises(PermissionDenied):
            campaigns.campaign_create(name="x", kind="专项清理", scope_date=date(2021, 5, 1), by=user)
    bad = [campaigns.PhaseInput("准备", date(2021, 5, 10), date(2021, 5, 1))]
    with pytest.raises(ValidationError, match="早于开始日期"):
        campaigns.campaign_create(name="x", kind="专项清理", scope_date=date(2021, 5, 1), by=town_officer, phases=bad)


def test_launch_creates_one_case_per_recipient_once_with_history(
    campaign, town_officer, team_a, team_b, village_a, village_b, django_assert_max_num_queries
):
    uncovered = VillageFactory(name="丙村")
    in_scope = [HouseholdFactory(village=v) for v in (village_a, village_a, village_b, uncovered)]
    HouseholdFactory(village=village_a, status=Household.Status.SUSPENDED)
    HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    HouseholdFactory(village=village_b, start_month=date(campaign.scope_date.year + 1, 1, 1))

    # 13: the launcher's towns are checked (a town launches only its own campaigns, issue 19).
    with django_assert_max_num_queries(13):
        created = campaigns.campaign_launch(campaign=campaign, by=town_officer)
    assert created == 4
    cases = Case.objects.filter(campaign=campaign)
    assert sorted(cases.values_list("household_id", flat=True)) == sorted(h.pk for h in in_scope)
    teams = dict(cases.values_list("household__village_id", "team_id"))
    assert teams == {village_a.pk: team_a.pk, village_b.pk: team_b.pk, uncovered.pk: None}
    assert set(cases.values_list("status", "kind")) == {(Status.ACCEPTANCE, Case.Kind.RECHECK)}
    history = Case.history.filter(campaign_id=campaign.pk)
    assert history.count() == 4 and {h.history_user for h in history} == {town_officer}
    campaign.refresh_from_db()
    launched_at = campaign.launched_at
    assert launched_at and campaign.launched_by == town_officer

    assert campaigns.campaign_launch(campaign=campaign, by=town_officer) == 0
    assert cases.count() == 4 and Case.history.count() == 4
    campaign.refresh_from_db()
    assert campaign.launched_at == launched_at
    # A household that comes into scope later joins on the next launch.
    HouseholdFactory(village=village_b)
    assert campaigns.campaign_launch(campaign=campaign, by=town_officer) == 1


def test_launch_refused_to_others(campaign, team_member_a):
    with pytest.raises(PermissionDenied):
        campaigns.campaign_launch(campaign=campaign, by=team_member_a)
    assert not Case.objects.exists()


def test_new_application_and_missed_household(campaign, crew, village_a, town_officer):
    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    application = campaigns.application_create(household=applicant, by=town_officer)
    assert (application.kind, application.campaign, application.team) == (Case.Kind.APPLICATION, None, crew.team)
    with pytest.raises(ValidationError, match="正在办理"):
        campaigns.application_create(household=applicant, by=town_officer)
    missed = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    found = campaigns.application_create(household=missed, by=crew.cadre, campaign=campaign)
    assert found.campaign == campaign and found.kind == Case.Kind.APPLICATION
    with pytest.raises(ValidationError, match="已在保"):
        campaigns.application_create(household=HouseholdFactory(village=village_a), by=town_officer)


def test_application_admitted_from_next_month(crew, village_a, town_officer, district_officer):
    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING, base_amount=0)
    case = campaigns.application_create(household=applicant, by=town_officer)
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    data = district_data(outcome=Case.Outcome.ADMIT, base_amount=Decimal("350"), decided_on=date(2026, 1, 20))
    case_advance(case=case, action="approve", by=district_officer, data=data)
    applicant.refresh_from_db()
    assert applicant.status == Household.Status.ACTIVE and applicant.start_month == date(2026, 2, 1)
    assert applicant.base_amount == Decimal("350")


def test_deadlines_count_working_days_over_national_day(crew, village_a, town_officer):
    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    case = campaigns.application_create(household=applicant, by=town_officer)
    data = acceptance_data(applied_on=date(2025, 9, 29), accepted_on=date(2025, 9, 30))
    case = case_advance(case=case, action="accept", by=town_officer, data=data)
    # Investigation must start within 3 working days: 10-09, 10-10, 10-11 (make-up Saturday).
    assert case.due_on == date(2025, 10, 11)
    # 30 working days: Oct 9–11, then five-day weeks to Nov 14 (28), Nov 17, Nov 18.
    assert case.overall_due == date(2025, 11, 18)
    assert case.deadline_notice == ""
    # Long overdue by now: the team's worklist marks it.
    assert worklist(user=crew.cadre).get(pk=case.pk).overdue is True


def test_special_case_gets_45_working_days(crew, village_a, town_officer):
    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    case = campaigns.application_create(household=applicant, by=town_officer)
    data = acceptance_data(applied_on=date(2025, 9, 29), accepted_on=date(2025, 9, 30), special_case=True)
    data["special_case_reason"] = "核对结果需外省协查"
    case = case_advance(case=case, action="accept", by=town_officer, data=data)
    assert case.overall_due == date(2025, 12, 9)


def test_worklists_and_dashboard_are_scoped(
    campaign, crew, team_b, team_member_b, village_b, town_officer, district_officer, household
):
    other = HouseholdFactory(village=village_b)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    mine = Case.objects.get(household=household)
    theirs = Case.objects.get(household=other)
    assert list(worklist(user=crew.cadre)) == [mine]
    assert list(worklist(user=team_member_b)) == [theirs]
    # The town office registers 受理 too (issue 17: its 我的待办 was empty while cases waited there).
    assert set(worklist(user=town_officer)) == {mine, theirs}
    drive(mine, Status.TOWN_REVIEW, crew)
    assert set(worklist(user=town_officer)) == {mine, theirs}
    drive(theirs, Status.INVESTIGATION, Crew(team_b, team_member_b, team_member_b, team_member_b))
    assert list(worklist(user=town_officer)) == [mine]
    assert list(worklist(user=crew.cadre)) == []

    board = campaign_dashboard(campaign=campaign, user=team_member_b)
    assert [row["household__village__name"] for row in board["per_village"]] == ["乙村"]
    board = campaign_dashboard(campaign=campaign, user=town_officer)
    assert board["totals"]["total"] == 2
    by_team = {row["team__name"]: row for row in board["per_team"]}
    assert by_team["甲组"]["by_status"][Status.values.index(Status.TOWN_REVIEW)] == 1
    # The campaign's phases ended in the summer: every open case is overdue.
    assert board["totals"]["overdue"] == (2 if days_ago(0) > date(days_ago(0).year, 7, 20) else 0)
