import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from households.models import Village
from households.selectors import villages_visible_to
from review.models import ReviewTeam, TeamVillage

pytestmark = pytest.mark.django_db


def test_load_demo_sets_up_seven_teams_over_the_fourteen_units():
    call_command("load_demo")
    assert ReviewTeam.objects.count() == 7
    assert TeamVillage.objects.filter(active=True).count() == Village.objects.count() == 14
    team1, team2 = User.objects.get(username="team1"), User.objects.get(username="team2")
    mine = set(villages_visible_to(user=team1).values_list("name", flat=True))
    theirs = set(villages_visible_to(user=team2).values_list("name", flat=True))
    assert mine == {"陡岩村", "中心村"}
    assert theirs == {"大桐庙村", "弥陀寺村"}
    for team in ReviewTeam.objects.all():
        assert set(team.memberships.values_list("role", flat=True)) == {"驻村领导", "驻村干部", "村干部"}
        assert team.leader is not None
