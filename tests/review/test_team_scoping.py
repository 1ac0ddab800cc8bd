"""What a team member sees: only their team's villages, everywhere, at once, at a flat query cost."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import ReviewFlag
from review.teams import services as teams
from tests.factories import HouseholdFactory, MemberFactory, VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(team_a, team_b, village_a, village_b):
    """Two households in village A (team A), three in village B (team B), one open flag each side."""
    a = [HouseholdFactory(village=village_a, head_name=f"甲家{i}") for i in range(2)]
    b = [HouseholdFactory(village=village_b, head_name=f"乙家{i}") for i in range(3)]
    for household in a + b:
        MemberFactory(household=household, name=household.head_name)
    for household in (a[0], b[0]):
        ReviewFlag.objects.create(
            household=household, kind=ReviewFlag.Kind.choices[0][0], source=ReviewFlag.Source.MANUAL, source_key="t"
        )
    return a, b


def names_on(client, url: str, **params) -> set[str]:
    page = client.get(url, params).content.decode()
    return set(re.findall(r"[甲乙]家\d", page))


def searched(client, query: str) -> set[str]:
    """A number is searched by POST and found again through a token, never in the URL (issue 16)."""
    response = client.post(reverse("households:search"), {"q": query})
    page = client.get(response["Location"]).content.decode()
    return set(re.findall(r"[甲乙]家\d", page))


def stat(client, key: str) -> str:
    page = client.get(reverse("dashboard")).content.decode()
    return re.search(rf'data-stat="{key}">([^<]*)<', page).group(1)


def test_household_list_shows_only_own_villages(client, registry, team_member_a, team_member_b):
    client.force_login(team_member_a)
    assert names_on(client, reverse("households:list")) == {"甲家0", "甲家1"}
    client.force_login(team_member_b)
    assert names_on(client, reverse("households:list")) == {"乙家0", "乙家1", "乙家2"}


def test_search_and_filters_never_reach_another_village(client, registry, team_member_a, village_b, town_officer):
    client.force_login(team_member_a)
    _, b = registry
    assert names_on(client, reverse("households:list"), q="乙家") == set()
    assert names_on(client, reverse("households:list"), q="甲家") == {"甲家0", "甲家1"}
    # Full ID number and its last digits of a member in village B: nothing.
    number = b[0].members.get().id_number
    assert searched(client, number) == set()
    assert searched(client, number[-6:]) == set()
    # Asking for village B by id: the filter is refused, not obeyed.
    assert names_on(client, reverse("households:list"), village=village_b.pk) <= {"甲家0", "甲家1"}
    assert names_on(client, reverse("review:my_team"), village=village_b.pk) == set()
    # Control: the same searches do find the household for the town office.
    client.force_login(town_officer)
    assert searched(client, number) == {"乙家0"}


def test_dashboard_counts_only_own_villages(client, registry, team_member_a, town_officer):
    client.force_login(team_member_a)
    assert (stat(client, "villages"), stat(client, "households"), stat(client, "open_flags")) == ("1", "2", "1")
    client.force_login(town_officer)
    assert (stat(client, "villages"), stat(client, "households"), stat(client, "open_flags")) == ("2", "5", "2")


def test_moving_a_village_shows_at_once_on_both_teams_pages(
    client, registry, team_b, village_a, team_member_a, team_member_b, town_officer
):
    client.force_login(town_officer)
    client.post(reverse("review:team_village_add", args=[team_b.pk]), {"village": village_a.pk})
    client.force_login(team_member_a)
    assert names_on(client, reverse("households:list")) == set()
    assert stat(client, "households") == "0"
    client.force_login(team_member_b)
    assert names_on(client, reverse("households:list")) == {"甲家0", "甲家1", "乙家0", "乙家1", "乙家2"}
    assert stat(client, "households") == "5"


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url_name", ["households:list", "review:my_team", "dashboard"])
def test_query_count_does_not_grow_with_villages_or_households(client, team_a, team_member_a, town_officer, url_name):
    url = reverse(url_name)
    client.force_login(team_member_a)
    HouseholdFactory(village=team_a.villages.get())
    small = queries_for(client, url)
    for _ in range(8):
        village = VillageFactory()
        teams.team_assign_village(team=team_a, village=village, by=town_officer)
        HouseholdFactory.create_batch(8, village=village)
    assert client.get(url).status_code == 200  # warm any per-process caches
    assert queries_for(client, url) == small
