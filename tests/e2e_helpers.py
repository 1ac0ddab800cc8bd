"""Helpers for the end-to-end pipeline tests with every production gate on.

A "world" is built through the real services: a town and a village, a review team
(驻村领导, 驻村干部, 村干部) covering it, a recipient household with members, a
launched campaign and its re-check case. The stage helpers speak in the story's
terms (publicise, file documents) so the tests read top-down.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from archives.documents.seed import seed_defaults
from archives.documents.services import document_upload
from archives.models import ChecklistRequirement, DocumentKind
from households.models import Household, Member
from publicity import rounds
from publicity.models import PublicityRound
from review.cases import campaigns
from review.cases.workflow import TransitionError, case_advance
from review.models import Campaign, Case, CaseStep, ReviewTeam, Staff, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, MemberFactory, TownFactory, VillageFactory, VillageGroupFactory
from tests.samples import PDF


def gates_on(settings) -> None:
    """The production configuration: every pipeline gate on; seal audit rows at once."""
    settings.RELATIVES_DECLARATION_REQUIRED = True
    settings.PUBLICITY_ENFORCE_ROUNDS = True
    settings.ARCHIVES_APPROVAL_GATE = True
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


def travel_back(days: int):
    """The clock `days` days ago (the clock keeps ticking): for what really happened on that day.

    Publicity rounds start on the day they are opened (no backdating), so a round whose
    period is over was opened on a past day, as a test says with `with travel_back(10): ...`.
    """
    return time_machine.travel(timezone.now() - timedelta(days=days))


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass
class World:
    town_officer: User
    district_officer: User
    leader: User  # 驻村领导
    cadre: User  # 驻村干部
    village_cadre: User  # 村干部, the household head's son (declared later)
    team: ReviewTeam
    household: Household
    head: Member
    campaign: Campaign
    case: Case


def build_world(*, town_officer: User, district_officer: User) -> World:
    village = VillageFactory(town=TownFactory(), name="陡岩村")
    group = VillageGroupFactory(village=village, number=3)
    household = HouseholdFactory(village=village, group=group, head_name="张大山", base_amount=Decimal("300.00"))
    head = MemberFactory(household=household, name="张大山", born=date(1956, 4, 2))
    MemberFactory(
        household=household, name="李秀英", male=False, born=date(1958, 9, 9), relation=Member.Relation.SPOUSE
    )

    leader = make_user("leader", None, full_name="王驻村")
    cadre = make_user("cadre", None, full_name="刘干部")
    village_cadre = make_user("village_cadre", None, full_name="张小川")
    team = teams.team_create(name="陡岩村清理小组", by=town_officer)
    for user, role in (
        (leader, TeamMembership.Role.LEADER),
        (cadre, TeamMembership.Role.CADRE),
        (village_cadre, TeamMembership.Role.VILLAGE_CADRE),
    ):
        teams.team_add_member(team=team, user=user, role=role, by=town_officer)
    teams.team_assign_village(team=team, village=village, by=town_officer)
    teams.staff_upsert(user=village_cadre, name="张小川", unit=Staff.Unit.VILLAGE, post="村委委员", by=town_officer)

    campaign = campaigns.campaign_create(
        name="2026年低保专项清理", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )
    assert campaigns.campaign_launch(campaign=campaign, by=town_officer) == 1
    case = Case.objects.get(campaign=campaign, household=household)
    # Transactional tests flush the seeded document kinds; seeding is idempotent.
    seed_defaults(DocumentKind, ChecklistRequirement)
    return World(town_officer, district_officer, leader, cadre, village_cadre, team, household, head, campaign, case)


def add_village_cadre(world: World, *, username: str, name: str) -> User:
    """The town office puts a second 村干部 in the team (the first one must stay out of this case)."""
    user = make_user(username, None, full_name=name)
    teams.team_add_member(team=world.team, user=user, role=TeamMembership.Role.VILLAGE_CADRE, by=world.town_officer)
    return user


# --- Refusals -----------------------------------------------------------------------------


def refusal(kind: type[Exception], action: Callable[[], object]) -> str:
    """Run `action`, expect it refused with `kind`; return the Chinese sentence the user sees."""
    with pytest.raises(kind) as refused:
        action()
    error = refused.value
    if isinstance(error, TransitionError):
        return error.text
    return "；".join(getattr(error, "messages", [str(error)]))


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def advance(case: Case, action: str, by: User, data: dict | None = None, note: str = "") -> Case:
    return case_advance(case=case, action=action, by=by, data=data, note=note)


# --- Publicity ----------------------------------------------------------------------------


def publish_round(world: World, number: int, *, started_days_ago: int = 10) -> PublicityRound:
    """Prepare and publish a round `started_days_ago` days ago (so the 7-day period is over), record its posting."""
    officer = world.town_officer
    with travel_back(started_days_ago):
        draft = rounds.round_prepare(
            campaign=world.campaign, village=world.household.village, number=number, by=officer
        )
        opened = rounds.round_open(round=draft, by=officer, starts_on=timezone.localdate(), days=7)
    assert opened.ends_on == days_ago(started_days_ago - 6)
    return rounds.round_record_posting(
        round=opened, by=officer, posted_on=days_ago(started_days_ago), place="村委会公示栏"
    )


def close_round(world: World, publicity_round: PublicityRound) -> rounds.CloseSummary:
    return rounds.round_close(round=publicity_round, by=world.town_officer)


# --- Archive documents -----------------------------------------------------------------------


def file_documents(world: World, names: list[str], *, by: User) -> None:
    for name in names:
        kind = DocumentKind.objects.get(name=name)
        upload = SimpleUploadedFile(f"{name}.pdf".replace("/", "-"), PDF, content_type="application/pdf")
        document_upload(household=world.household, kind=kind, file=upload, by=by, case=world.case)


# --- The timeline ------------------------------------------------------------------------------


def steps(case: Case) -> list[tuple[str, str, str, str]]:
    """(from, to, action, actor username) per CaseStep, in order."""
    return [
        (s.from_status, s.to_status, s.action, s.actor.username)
        for s in CaseStep.objects.filter(case=case).select_related("actor").order_by("at", "id")
    ]
