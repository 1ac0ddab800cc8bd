import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from households.models import Village
from households.selectors import villages_visible_to
from review.models import ReviewTeam, TeamVillage

pytestmark = pytest.mark.django_db


def test_load_demo_sets_up_seven_teams_over_the_fourteen_units():
    call_command("load_demo")
    kanjia = ReviewTeam.objects.filter(town__code="512002110")
    assert kanjia.count() == 7
    links = TeamVillage.objects.filter(active=True, village__town__code="512002110")
    assert links.count() == Village.objects.filter(town__code="512002110").count() == 14
    team1, team2 = User.objects.get(username="team1"), User.objects.get(username="team2")
    mine = set(villages_visible_to(user=team1).values_list("name", flat=True))
    theirs = set(villages_visible_to(user=team2).values_list("name", flat=True))
    assert mine == {"陡岩村", "中心村"}
    assert theirs == {"大桐庙村", "弥陀寺村"}
    for team in kanjia:
        assert set(team.memberships.values_list("role", flat=True)) == {"驻村领导", "驻村干部", "村干部"}
        assert team.leader is not None


def test_demo_teams_are_in_force_today_even_if_loaded_with_the_plans_2021_dates():
    from datetime import date

    from django.utils import timezone

    from review.teams import services as teams

    call_command("load_demo")
    today = timezone.localdate()
    assert set(ReviewTeam.objects.values_list("active_from", "active_to")) == {(today, None)}
    # A demo database loaded before team dates counted: its teams ended in 2021.
    town = User.objects.get(username="town")
    for team in ReviewTeam.objects.filter(town__code="512002110"):
        teams.team_update(
            team=team, by=town, name=team.name, leader=None, active_from=date(2021, 5, 21), active_to=date(2021, 8, 20)
        )
    assert not villages_visible_to(user=User.objects.get(username="team1")).exists()
    call_command("load_demo")
    assert set(ReviewTeam.objects.values_list("active_to", flat=True)) == {None}  # every town's demo team
    assert villages_visible_to(user=User.objects.get(username="team1")).count() == 2


def test_demo_teams_serve_the_demo_campaign():
    from review.models import Campaign

    call_command("load_demo")
    campaign = Campaign.objects.get()  # 堪嘉镇's; the two synthetic towns' teams serve no campaign
    teams = ReviewTeam.objects.filter(town=campaign.town)
    assert set(teams.values_list("campaign", flat=True)) == {campaign.pk}
