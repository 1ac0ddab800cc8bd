"""Fixtures for the case pipeline: a campaign, a team of three (驻村领导, 驻村干部,
村干部) covering village_a, and helpers that drive a case through its stages."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from households.models import ReviewFlag
from kanjia import roles
from review.cases import campaigns
from review.cases.workflow import case_advance, registration_sign
from review.models import Appraisal, Case, EconomicCheck, ReviewTeam, Status, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, MemberFactory


@pytest.fixture(autouse=True)
def _pipeline_only(settings):
    """These tests exercise review's own rules. The gates later apps hang on the pipeline
    (publicity rounds, archive completeness, relatives declarations) have their own suites;
    switch them off here with the settings those apps provide for this purpose."""
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.ARCHIVES_APPROVAL_GATE = False
    settings.RELATIVES_DECLARATION_REQUIRED = False


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def acceptance_data(**over) -> dict:
    return {
        "applied_on": days_ago(6),
        "accepted_on": days_ago(5),
        "applicant_name": "张三",
        "promise_signed": True,
        "promise_signed_on": days_ago(6),
        "authorization_signed": True,
        "authorization_signed_on": days_ago(6),
        "missing_materials": "",
        "special_case": False,
        **over,
    }


def investigation_data(investigators, **over) -> dict:
    return {
        "visited_on": days_ago(4),
        "investigators": list(investigators),
        "family_present": "张三、李四",
        "living_conditions": "土木结构住房，家中无大件电器。",
        "recommended_outcome": Case.Outcome.KEEP,
        "recommended_amount": None,
        "items": {k: (False, "") for k in ReviewFlag.Kind.values},
        "checks": {s: (days_ago(3), False, "") for s in EconomicCheck.Source.values},
        **over,
    }


def appraisal_data(**over) -> dict:
    return {
        "held_on": days_ago(3),
        "place": "村委会会议室",
        "chair": "王书记",
        "town_cadres": 1,
        "village_committee": 2,
        "party_reps": 1,
        "villager_reps": 8,
        "votes_agree": 10,
        "votes_disagree": 1,
        "votes_abstain": 1,
        "minutes": "经评议，同意维持。",
        "result": "同意",
        **over,
    }


# The pipeline fixtures set no 保障标准, so nothing can be computed and every paying decision
# departs from the computation (issue 14): these helpers give the written reason that needs.
# The rule itself is tested in tests/supplement/test_decisions.py, without it.
NO_STANDARD = "测试数据未设置保障标准，按现发金额办理。"


def town_data(**over) -> dict:
    return {
        "opinion": "经审核，情况属实。",
        "proposed_outcome": Case.Outcome.KEEP,
        "proposed_amount": None,
        "special_reason": NO_STANDARD,
        **over,
    }


def district_data(**over) -> dict:
    return {
        "decided_on": days_ago(1),
        "opinion": "同意。",
        "outcome": Case.Outcome.KEEP,
        "base_amount": Decimal("0"),
        "extra_amount": Decimal("0"),
        "category": None,
        "stop_reason": None,
        "home_visit_on": None,
        "home_visit_note": "",
        "special_reason": NO_STANDARD,
        **over,
    }


@dataclass
class Crew:
    team: ReviewTeam
    leader: User
    cadre: User
    village_cadre: User

    @property
    def all(self) -> list[User]:
        return [self.leader, self.cadre, self.village_cadre]


@pytest.fixture
def crew(team_a, team_member_a, town_officer) -> Crew:
    leader = make_user("leader_a", None, full_name="甲组组长")
    village_cadre = make_user("cadre_a", None, full_name="甲村村干部")
    teams.team_add_member(team=team_a, user=leader, role=TeamMembership.Role.LEADER, by=town_officer)
    teams.team_add_member(team=team_a, user=village_cadre, role=TeamMembership.Role.VILLAGE_CADRE, by=town_officer)
    return Crew(team=team_a, leader=leader, cadre=team_member_a, village_cadre=village_cadre)


@pytest.fixture
def household(village_a):
    household = HouseholdFactory(village=village_a, head_name="张三", base_amount=Decimal("300.00"))
    MemberFactory(household=household, name="张三")
    return household


@pytest.fixture
def campaign(town_officer):
    return campaigns.campaign_create(
        name="2026年低保专项清理", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )


@pytest.fixture
def case(campaign, household, crew, town_officer) -> Case:
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    return Case.objects.get(campaign=campaign, household=household)


@pytest.fixture
def second_district_officer(db) -> User:
    return make_user("district_2", roles.DISTRICT, full_name="区局二")


def appraise(case: Case, crew: Crew, **over) -> Case:
    """Save the appraisal and submit its result (列入第一榜公示): the case stays at 民主评议."""
    if not Appraisal.objects.filter(case=case, completed_at__isnull=False).exists():
        case = case_advance(case=case, action="appraise", by=crew.cadre, data=appraisal_data(**over))
    return case


def drive(case: Case, to: str, crew: Crew, *, town=None, district=None) -> Case:
    """Advance `case` with valid data until it reaches status `to`."""
    order = [Status.ACCEPTANCE, Status.INVESTIGATION, Status.APPRAISAL, Status.TOWN_REVIEW, Status.DISTRICT_APPROVAL]
    application = case.kind == Case.Kind.APPLICATION
    outcome = Case.Outcome.ADMIT if application else Case.Outcome.KEEP
    amount = Decimal("300") if application else None
    while case.status != to:
        status = case.status
        if status == Status.ACCEPTANCE:
            case = case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
        elif status == Status.INVESTIGATION:
            data = investigation_data([crew.cadre, crew.village_cadre], recommended_outcome=outcome)
            case = case_advance(case=case, action="investigate", by=crew.cadre, data=data)
        elif status == Status.APPRAISAL:
            case = appraise(case, crew)
            if case.registration_required:
                # The third signature hands the 登记表 in (submits to 镇审核).
                for member in crew.all:
                    signed = registration_sign(case=case, by=member)
                assert signed.submitted, signed.refusal
                case = signed.case
            else:
                case = case_advance(case=case, action="submit", by=crew.cadre)
        elif status == Status.TOWN_REVIEW:
            data = town_data(proposed_outcome=outcome, proposed_amount=amount)
            case = case_advance(case=case, action="town_review", by=town, data=data)
        elif status == Status.DISTRICT_APPROVAL:
            data = district_data(outcome=outcome, base_amount=amount or Decimal("0"))
            case = case_advance(case=case, action="approve", by=district, data=data)
        assert order.index(case.status) > order.index(status) if case.status in order else True
    return case
