"""Team pages: the town office manages teams; district and inspectors look; members see their own."""

import pytest
from django.urls import reverse

from households.selectors import villages_visible_to
from review.models import ReviewTeam, TeamMembership, TeamVillage
from tests.conftest import make_user
from tests.factories import HouseholdFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_town_office_creates_a_team_and_fills_it(client, town_officer, team_member_a, village_a):
    client.force_login(town_officer)
    response = client.post(reverse("review:team_create"), {"name": "三组", "active_from": "2021-05-21"})
    team = ReviewTeam.objects.get(name="三组")
    assert response.url == reverse("review:team_detail", args=[team.pk])

    detail = reverse("review:team_detail", args=[team.pk])
    client.post(reverse("review:team_member_add", args=[team.pk]), {"user": team_member_a.pk, "role": "驻村干部"})
    client.post(reverse("review:team_village_add", args=[team.pk]), {"village": village_a.pk})
    page = client.get(detail).content.decode()
    assert "甲组组员" in page and "甲村" in page
    assert list(villages_visible_to(user=team_member_a)) == [village_a]

    client.post(reverse("review:team_village_remove", args=[team.pk, village_a.pk]))
    assert not villages_visible_to(user=team_member_a).exists()
    client.post(reverse("review:team_member_remove", args=[team.pk, team_member_a.pk]))
    assert not team.memberships.exists()


def test_bad_input_shows_chinese_errors_and_saves_nothing(client, town_officer, team_a):
    client.force_login(town_officer)
    response = client.post(
        reverse("review:team_create"), {"name": "甲组", "active_from": "2021-06-01", "active_to": "2021-05-01"}
    )
    page = response.content.decode()
    assert "截止日期不能早于起始日期。" in page
    assert ReviewTeam.objects.count() == 1
    response = client.post(reverse("review:team_create"), {"name": "甲组"})
    assert "已有同名的清理小组。" in response.content.decode()
    assert ReviewTeam.objects.count() == 1


def test_assigning_another_teams_village_moves_it(client, town_officer, team_a, team_b, village_b, team_member_b):
    client.force_login(town_officer)
    form_page = client.get(reverse("review:team_detail", args=[team_a.pk])).content.decode()
    assert "乙村（现属“乙组”，将移交）" in form_page
    client.post(reverse("review:team_village_add", args=[team_a.pk]), {"village": village_b.pk})
    assert TeamVillage.objects.get(village=village_b, active=True).team == team_a
    assert not villages_visible_to(user=team_member_b).exists()


def test_district_and_inspector_see_teams_but_cannot_change_them(
    client, district_officer, inspector, team_a, team_member_b
):
    for user in (district_officer, inspector):
        client.force_login(user)
        assert "甲组" in client.get(reverse("review:team_list")).content.decode()
        page = client.get(reverse("review:team_detail", args=[team_a.pk])).content.decode()
        assert "甲村" in page and "添加成员" not in page
        assert client.get(reverse("review:team_create")).status_code == 403
        response = client.post(
            reverse("review:team_member_add", args=[team_a.pk]), {"user": team_member_b.pk, "role": "驻村干部"}
        )
        assert response.status_code == 403
        assert not team_a.memberships.filter(user=team_member_b).exists()


def test_team_members_see_only_their_own_team(client, team_a, team_b, team_member_a):
    client.force_login(team_member_a)
    page = client.get(reverse("review:team_list")).content.decode()
    assert "甲组" in page and "乙组" not in page
    assert client.get(reverse("review:team_detail", args=[team_b.pk])).status_code == 404
    assert client.get(reverse("review:team_detail", args=[team_a.pk])).status_code == 200
    # Visible but not theirs to change.
    assert client.post(reverse("review:team_update", args=[team_a.pk]), {"name": "改名"}).status_code == 403
    assert client.post(reverse("review:team_update", args=[team_b.pk]), {"name": "改名"}).status_code == 404
    assert set(ReviewTeam.objects.values_list("name", flat=True)) == {"甲组", "乙组"}


def test_my_team_lists_own_villages_and_households(client, team_a, team_b, team_member_a, village_a, village_b):
    HouseholdFactory(village=village_a, head_name="甲户主")
    HouseholdFactory(village=village_b, head_name="乙户主")
    client.force_login(team_member_a)
    page = client.get(reverse("review:my_team")).content.decode()
    assert "甲组" in page and "甲村" in page and "甲户主" in page
    assert "乙组" not in page and "乙村" not in page and "乙户主" not in page
    # A foreign village id in the filter shows nothing, not the other village.
    page = client.get(reverse("review:my_team"), {"village": village_b.pk}).content.decode()
    assert "乙户主" not in page


def test_my_team_for_someone_without_a_team(client, outsider):
    client.force_login(outsider)
    assert "您尚未加入任何清理小组。" in client.get(reverse("review:my_team")).content.decode()


def test_my_team_query_count_is_flat(client, team_a, team_member_a, town_officer, django_assert_max_num_queries):
    from review.teams import services as teams

    for _ in range(5):
        village = VillageFactory()
        teams.team_assign_village(team=team_a, village=village, by=town_officer)
        HouseholdFactory.create_batch(3, village=village)
    member = make_user("extra", None)
    teams.team_add_member(team=team_a, user=member, role=TeamMembership.Role.VILLAGE_CADRE, by=town_officer)
    client.force_login(team_member_a)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("review:my_team")).status_code == 200


def test_campaign_placeholder_still_works(client, town_officer):
    client.force_login(town_officer)
    assert client.get(reverse("review:campaigns")).status_code == 200
