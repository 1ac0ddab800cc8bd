"""Team services: rows, guardian grants and history change together."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from guardian.models import GroupObjectPermission

from households.models import VillageGroupObjectPermission
from households.selectors import households_visible_to, villages_changeable_by, villages_visible_to
from kanjia import roles
from review.models import ReviewTeam, Staff, TeamMembership, TeamVillage
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, VillageFactory

pytestmark = pytest.mark.django_db


def grants(team: ReviewTeam) -> set[tuple[int, str]]:
    return set(
        VillageGroupObjectPermission.objects.filter(group=team.group).values_list(
            "content_object_id", "permission__codename"
        )
    )


def test_team_create_makes_its_own_group(town_officer):
    team = teams.team_create(name="一组", by=town_officer, active_from=date(2021, 5, 21), active_to=date(2021, 6, 20))
    assert team.group.name == "清理小组·一组"
    assert team.history.get().history_user == town_officer


def test_team_names_are_unique_and_dates_ordered(town_officer):
    teams.team_create(name="一组", by=town_officer)
    with pytest.raises(ValidationError) as exc:
        teams.team_create(name="一组", by=town_officer)
    assert exc.value.message_dict == {"name": ["已有同名的清理小组。"]}
    with pytest.raises(ValidationError) as exc:
        teams.team_create(name="二组", by=town_officer, active_from=date(2021, 6, 1), active_to=date(2021, 5, 1))
    assert "active_to" in exc.value.message_dict
    assert ReviewTeam.objects.count() == 1


def test_assigning_a_village_grants_the_team_group_view_and_change(team_a, village_a, team_member_a):
    assert grants(team_a) == {(village_a.pk, "view_village"), (village_a.pk, "change_village")}
    # Direct-FK table only: nothing in guardian's generic table, nothing per user.
    assert not GroupObjectPermission.objects.exists()
    assert not team_member_a.villageuserobjectpermission_set.exists()
    assert list(villages_visible_to(user=team_member_a)) == [village_a]
    assert list(villages_changeable_by(user=team_member_a)) == [village_a]
    assert team_a.village_links.get().history.count() == 1


def test_members_join_the_team_group_and_the_role_group(team_a, team_member_a, town_officer):
    newcomer = make_user("newcomer", None)
    teams.team_add_member(team=team_a, user=newcomer, role=TeamMembership.Role.VILLAGE_CADRE, by=town_officer)
    assert set(newcomer.groups.values_list("name", flat=True)) == {team_a.group.name, roles.VILLAGE_TEAM}
    assert TeamMembership.history.filter(user=newcomer).get().history_user == town_officer


def test_removing_a_member_takes_the_villages_away_at_once(team_a, village_a, team_member_a, town_officer):
    HouseholdFactory(village=village_a)
    assert households_visible_to(user=team_member_a).count() == 1
    teams.team_remove_member(team=team_a, user=team_member_a, by=town_officer)
    assert households_visible_to(user=team_member_a).count() == 0
    # Their last team: the 清理小组 role goes too.
    assert not team_member_a.groups.exists()
    assert TeamMembership.history.filter(user=team_member_a, history_type="-").exists()


def test_a_member_of_two_teams_keeps_the_role_when_leaving_one(team_a, team_b, team_member_a, town_officer, village_b):
    teams.team_add_member(team=team_b, user=team_member_a, role=TeamMembership.Role.CADRE, by=town_officer)
    assert villages_visible_to(user=team_member_a).count() == 2
    teams.team_remove_member(team=team_a, user=team_member_a, by=town_officer)
    assert list(villages_visible_to(user=team_member_a)) == [village_b]
    assert roles.VILLAGE_TEAM in set(team_member_a.groups.values_list("name", flat=True))


def test_moving_a_village_takes_effect_for_both_teams_at_once(
    team_a, team_b, village_a, village_b, team_member_a, team_member_b, town_officer
):
    household = HouseholdFactory(village=village_a)
    assert list(households_visible_to(user=team_member_a)) == [household]
    assert not households_visible_to(user=team_member_b).exists()

    with pytest.raises(ValidationError):  # not without saying so
        teams.team_assign_village(team=team_b, village=village_a, by=town_officer)
    teams.team_assign_village(team=team_b, village=village_a, by=town_officer, move=True)

    assert not households_visible_to(user=team_member_a).exists()
    assert list(households_visible_to(user=team_member_b)) == [household]
    assert grants(team_a) == set()
    assert {v for v, _ in grants(team_b)} == {village_a.pk, village_b.pk}
    old = TeamVillage.objects.get(team=team_a, village=village_a)
    assert not old.active and old.unassigned_at is not None
    assert TeamVillage.objects.filter(village=village_a, active=True).get().team == team_b


def test_unassign_revokes_and_keeps_the_record(team_a, village_a, team_member_a, town_officer):
    teams.team_unassign_village(team=team_a, village=village_a, by=town_officer)
    assert not villages_visible_to(user=team_member_a).exists()
    assert grants(team_a) == set()
    link = TeamVillage.objects.get(team=team_a, village=village_a)
    assert link.active is False
    assert [h.history_type for h in link.history.order_by("history_id")] == ["+", "~"]


def test_database_refuses_two_active_teams_for_one_village(team_a, team_b, village_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamVillage.objects.create(team=team_b, village=village_a, active=True)


def test_leader_is_a_member_and_can_be_replaced(town_officer):
    first, second = make_user("leader1", None), make_user("leader2", None)
    team = teams.team_create(name="一组", by=town_officer, leader=first)
    assert team.leader == first
    assert team.memberships.get(user=first).role == TeamMembership.Role.LEADER
    teams.team_update(team=team, by=town_officer, name="一组", leader=second, active_from=None, active_to=None)
    team.refresh_from_db()
    assert team.leader == second
    assert team.memberships.get(user=first).role == TeamMembership.Role.CADRE
    teams.team_remove_member(team=team, user=second, by=town_officer)
    team.refresh_from_db()
    assert team.leader is None


def test_renaming_a_team_renames_its_group(team_a, town_officer):
    teams.team_update(team=team_a, by=town_officer, name="新甲组", leader=None, active_from=None, active_to=None)
    team_a.group.refresh_from_db()
    assert team_a.group.name == "清理小组·新甲组"


@pytest.mark.parametrize("role", [roles.INSPECTOR, roles.DISTRICT, roles.SYSADMIN])
def test_inspectors_and_district_cannot_join_a_team(team_a, town_officer, role):
    user = make_user("independent", role)
    with pytest.raises(ValidationError):
        teams.team_add_member(team=team_a, user=user, role=TeamMembership.Role.CADRE, by=town_officer)
    assert not team_a.memberships.filter(user=user).exists()


def test_staff_upsert_validates_and_normalises_the_id_number(team_member_a, town_officer):
    with pytest.raises(ValidationError) as exc:
        teams.staff_upsert(user=team_member_a, name="甲", unit=Staff.Unit.VILLAGE, id_number="123", by=town_officer)
    assert "id_number" in exc.value.message_dict
    assert not Staff.objects.exists()
    from households import idcard

    number = idcard.generate(born=date(1980, 1, 2), male=False)
    staff = teams.staff_upsert(
        user=team_member_a, name="甲", unit=Staff.Unit.VILLAGE, id_number=number.lower(), by=town_officer
    )
    assert staff.id_number == number.upper()
    staff = teams.staff_upsert(user=team_member_a, name="甲乙", unit=Staff.Unit.TOWN, by=town_officer)
    assert Staff.objects.get().name == "甲乙"
    assert staff.history.count() == 2


def test_other_villages_stay_ungranted(team_a, team_member_a):
    VillageFactory()
    assert villages_visible_to(user=team_member_a).count() == 1
