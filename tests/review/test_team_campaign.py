"""A team serves a campaign (专项行动): set on the create/edit pages, shown on the team pages, with history."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from review.cases import campaigns
from review.models import ReviewTeam
from review.teams import services as teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(town_officer):
    return campaigns.campaign_create(
        name="2026年低保专项清理", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )


def test_town_office_creates_a_team_for_a_campaign(client, town_officer, campaign):
    client.force_login(town_officer)
    assert "2026年低保专项清理" in client.get(reverse("review:team_create")).content.decode()
    client.post(reverse("review:team_create"), {"name": "三组", "campaign": campaign.pk})
    team = ReviewTeam.objects.get(name="三组")
    assert team.campaign == campaign
    for url in (reverse("review:team_list"), reverse("review:team_detail", args=[team.pk])):
        page = client.get(url).content.decode()
        assert "2026年低保专项清理" in page
        assert reverse("review:campaign_detail", args=[campaign.pk]) in page


def test_editing_sets_and_clears_the_campaign_with_history(client, town_officer, team_a, campaign):
    client.force_login(town_officer)
    url = reverse("review:team_update", args=[team_a.pk])
    client.post(url, {"name": team_a.name, "campaign": campaign.pk})
    team_a.refresh_from_db()
    assert team_a.campaign == campaign
    latest = team_a.history.first()
    assert latest.campaign_id == campaign.pk and latest.history_user == town_officer
    # The edit form shows the current campaign selected.
    page = client.get(reverse("review:team_detail", args=[team_a.pk])).content.decode()
    assert f'<option value="{campaign.pk}" selected>' in page
    client.post(url, {"name": team_a.name, "campaign": ""})
    team_a.refresh_from_db()
    assert team_a.campaign is None


def test_an_unknown_campaign_is_refused(client, town_officer, team_a):
    client.force_login(town_officer)
    response = client.post(reverse("review:team_update", args=[team_a.pk]), {"name": team_a.name, "campaign": 999})
    assert response.status_code == 200
    team_a.refresh_from_db()
    assert team_a.campaign is None


def test_team_update_keeps_the_campaign_unless_given(town_officer, team_a, campaign):
    teams.team_update(
        team=team_a, by=town_officer, name=team_a.name, leader=None, active_from=None, active_to=None, campaign=campaign
    )
    teams.team_update(team=team_a, by=town_officer, name="新甲组", leader=None, active_from=None, active_to=None)
    team_a.refresh_from_db()
    assert team_a.campaign == campaign and team_a.name == "新甲组"


def test_a_campaign_with_teams_cannot_be_deleted(town_officer, campaign):
    teams.team_create(name="三组", by=town_officer, campaign=campaign)
    with pytest.raises(ProtectedError):
        campaign.delete()
