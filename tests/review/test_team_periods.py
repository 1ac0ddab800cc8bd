"""A team reaches its villages only within its active dates (issue 4): from
active_from to active_to, both inclusive; a missing date leaves that side open."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from households.selectors import (
    can_change_village,
    households_changeable_by,
    households_visible_to,
    villages_visible_to,
)
from review.teams import services as teams
from tests.factories import HouseholdFactory, MemberFactory, VillageFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = timedelta(days=1)


def set_period(team, by, active_from, active_to):
    return teams.team_update(
        team=team, by=by, name=team.name, leader=None, active_from=active_from, active_to=active_to
    )


@pytest.fixture
def household_a(team_a, village_a):
    household = HouseholdFactory(village=village_a, head_name="甲家0", address="甲村一组")
    MemberFactory(household=household, name="甲家0")
    return household


def test_an_expired_team_loses_its_villages_at_once(client, team_a, team_member_a, household_a, town_officer):
    client.force_login(team_member_a)
    assert "甲家0" in client.get(reverse("households:list")).content.decode()  # in force: sees it

    set_period(team_a, town_officer, TODAY - 30 * DAY, TODAY - DAY)

    assert not villages_visible_to(user=team_member_a).exists()
    assert not households_changeable_by(user=team_member_a).exists()
    assert not can_change_village(user=team_member_a, village_id=household_a.village_id)
    assert "甲家0" not in client.get(reverse("households:list")).content.decode()
    assert client.get(reverse("households:detail", args=[household_a.pk])).status_code == 404
    assert client.get(reverse("households:edit", args=[household_a.pk])).status_code == 404
    response = client.post(reverse("households:edit", args=[household_a.pk]), {"address": "被改过的住址"})
    assert response.status_code == 404
    assert Household.objects.get(pk=household_a.pk).address == "甲村一组"

    page = client.get(reverse("review:my_team")).content.decode()
    assert "本小组的工作期间已于" in page and "结束" in page
    assert "甲家0" not in page


def test_a_team_whose_period_has_not_started_sees_nothing_yet(client, team_a, team_member_a, household_a, town_officer):
    set_period(team_a, town_officer, TODAY + DAY, None)
    assert not households_visible_to(user=team_member_a).exists()
    client.force_login(team_member_a)
    assert client.get(reverse("households:detail", args=[household_a.pk])).status_code == 404
    page = client.get(reverse("review:my_team")).content.decode()
    assert "开始，届时方可查看" in page


@pytest.mark.parametrize(
    ("start", "end"),
    [(TODAY, TODAY), (None, TODAY), (TODAY, None), (TODAY - DAY, TODAY + DAY)],
)
def test_the_period_includes_both_ends(team_a, team_member_a, household_a, town_officer, start, end):
    set_period(team_a, town_officer, start, end)
    assert list(households_visible_to(user=team_member_a)) == [household_a]
    assert households_changeable_by(user=team_member_a).exists()


def test_reopening_an_expired_team_gives_access_back(client, team_a, team_member_a, household_a, town_officer):
    set_period(team_a, town_officer, None, TODAY - DAY)
    assert not households_visible_to(user=team_member_a).exists()
    set_period(team_a, town_officer, None, None)
    client.force_login(team_member_a)
    assert client.get(reverse("households:detail", args=[household_a.pk])).status_code == 200


def test_other_teams_are_not_affected_by_one_teams_end(team_a, team_b, team_member_b, village_b, town_officer):
    set_period(team_a, town_officer, None, TODAY - DAY)
    assert list(villages_visible_to(user=team_member_b)) == [village_b]


def test_town_office_sees_the_period_on_the_team_pages(client, team_a, town_officer):
    set_period(team_a, town_officer, None, TODAY - DAY)
    client.force_login(town_officer)
    assert "已结束" in client.get(reverse("review:team_list")).content.decode()
    assert "已结束" in client.get(reverse("review:team_detail", args=[team_a.pk])).content.decode()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url_name", ["households:list", "review:my_team", "dashboard"])
def test_dates_add_no_queries_and_counts_stay_flat(client, team_a, team_member_a, town_officer, household_a, url_name):
    url = reverse(url_name)
    client.force_login(team_member_a)
    client.get(url)  # warm per-process caches
    undated = queries_for(client, url)
    set_period(team_a, town_officer, TODAY - DAY, TODAY + DAY)
    dated = queries_for(client, url)
    for _ in range(6):
        village = VillageFactory()
        teams.team_assign_village(team=team_a, village=village, by=town_officer)
        HouseholdFactory.create_batch(5, village=village)
    assert queries_for(client, url) == dated == undated
    set_period(team_a, town_officer, None, TODAY - DAY)
    assert queries_for(client, url) <= undated
