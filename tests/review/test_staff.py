"""Staff profiles (工作人员): every account has one; the town office edits them, the district and inspectors read."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import idcard
from households.towns.services import town_assign
from kanjia import roles
from review.models import Staff, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

NUMBER = "51200219800101001" + idcard.check_char("51200219800101001")


def detail(user) -> str:
    return reverse("review:staff_detail", args=[user.pk])


def test_load_demo_gives_every_account_a_profile():
    call_command("load_demo")
    assert not User.objects.filter(staff__isnull=True).exists()
    units = dict(Staff.objects.values_list("user__username", "unit"))
    assert units["town"] == "镇政府" and units["district"] == "区民政局" and units["inspector"] == "纪委"
    assert units["cun01"] == "村委会"
    town = User.objects.get(username="town")
    assert Staff.objects.get(user__username="sysadmin").history.get().history_user == town


def test_adding_a_team_member_creates_their_profile(client, town_officer, team_a, village_a):
    cadre = make_user("cun99", None, full_name="村干部九")
    client.force_login(town_officer)
    client.post(reverse("review:team_member_add", args=[team_a.pk]), {"user": cadre.pk, "role": "村干部"})
    staff = Staff.objects.get(user=cadre)
    assert (staff.name, staff.unit, staff.post) == ("村干部九", "村委会", "村干部")
    assert staff.history.get().history_user == town_officer


def test_adding_a_member_fills_an_empty_post_and_keeps_the_rest(town_officer, team_a):
    person = make_user("cadre9", None)
    teams.staff_upsert(
        user=person, name="吕九", unit=Staff.Unit.TOWN, phone="13900000000", id_number=NUMBER, by=town_officer
    )
    teams.team_add_member(team=team_a, user=person, role=TeamMembership.Role.CADRE, by=town_officer)
    staff = Staff.objects.get(user=person)
    assert (staff.name, staff.post, staff.phone, staff.id_number) == ("吕九", "驻村干部", "13900000000", NUMBER)


def test_town_office_edits_a_profile_with_a_masked_id_number(client, town_officer, team_a, team_member_a):
    client.force_login(town_officer)
    payload = {"name": "甲组组员", "unit": "镇政府", "post": "驻村干部", "phone": "13800000000", "id_number": NUMBER}
    response = client.post(detail(team_member_a), payload)
    assert response.status_code == 302
    staff = Staff.objects.get(user=team_member_a)
    assert (staff.unit, staff.phone, staff.id_number) == ("镇政府", "13800000000", NUMBER)
    assert staff.history.first().history_user == town_officer
    page = client.get(detail(team_member_a)).content.decode()
    assert idcard.mask(NUMBER) in page and NUMBER not in page
    # Leaving the number empty keeps it.
    client.post(detail(team_member_a), {**payload, "id_number": "", "post": "组长"})
    staff.refresh_from_db()
    assert (staff.post, staff.id_number) == ("组长", NUMBER)


def test_a_bad_id_number_is_refused_in_chinese(client, town_officer, team_a, team_member_a):
    client.force_login(town_officer)
    before = Staff.objects.get(user=team_member_a).history.count()
    response = client.post(detail(team_member_a), {"name": "甲", "unit": "镇政府", "id_number": NUMBER[:-1] + "0"})
    assert response.status_code == 200
    assert "校验码不正确" in response.content.decode()
    assert Staff.objects.get(user=team_member_a).history.count() == before
    response = client.post(detail(team_member_a), {"name": "", "unit": ""})
    assert response.status_code == 200 and Staff.objects.get(user=team_member_a).history.count() == before


def test_a_profile_can_be_created_for_an_account_without_one(client, town_officer, district_officer):
    client.force_login(town_officer)
    assert "尚未建立工作人员信息" in client.get(detail(district_officer)).content.decode()
    client.post(detail(district_officer), {"name": "孙区局", "unit": "区民政局", "post": "科员"})
    assert Staff.objects.get(user=district_officer).unit == "区民政局"


def test_the_role_comes_from_the_accounts_group(client, town_officer, district_officer):
    client.force_login(town_officer)
    assert "区民政局" in client.get(detail(district_officer)).content.decode()
    district_officer.groups.set([Group.objects.get_or_create(name=roles.INSPECTOR)[0]])
    town_assign(user=district_officer, town=TownFactory())  # now the town's 镇纪委, listed with its staff
    page = client.get(reverse("review:staff_list")).content.decode()
    row = next(line for line in page.split("<tr>") if "district_officer" in line)
    assert roles.INSPECTOR in row and roles.DISTRICT not in row


@pytest.mark.parametrize("reader", ["district_officer", "inspector"])
def test_district_and_inspectors_read_but_do_not_change(client, request, reader, team_a, team_member_a):
    client.force_login(request.getfixturevalue(reader))
    assert client.get(reverse("review:staff_list")).status_code == 200
    response = client.get(detail(team_member_a))
    assert response.status_code == 200 and "甲组组员" in response.content.decode()
    assert 'name="phone"' not in response.content.decode()
    before = list(Staff.history.values_list("history_id", flat=True))
    response = client.post(detail(team_member_a), {"name": "改", "unit": "纪委", "phone": "1"})
    assert response.status_code == 403
    assert list(Staff.history.values_list("history_id", flat=True)) == before


def test_team_members_see_only_their_own_profile(client, team_a, team_b, team_member_a, team_member_b):
    client.force_login(team_member_a)
    assert client.get(detail(team_member_b)).status_code == 403
    assert client.post(detail(team_member_b), {"name": "改", "unit": "纪委"}).status_code == 403
    assert client.get(reverse("review:staff_list")).status_code == 403
    own = client.get(detail(team_member_a))
    assert own.status_code == 200 and 'name="phone"' not in own.content.decode()
    assert client.post(detail(team_member_a), {"name": "改", "unit": "纪委"}).status_code == 403
    assert Staff.objects.get(user=team_member_a).name == "甲组组员"


def test_outsiders_and_sysadmins_get_403(client, outsider, sysadmin, team_member_a):
    for user in (outsider, sysadmin):
        client.force_login(user)
        assert client.get(reverse("review:staff_list")).status_code == 403
        assert client.get(detail(team_member_a)).status_code == 403


def test_unknown_account_is_404(client, town_officer):
    client.force_login(town_officer)
    assert client.get(reverse("review:staff_detail", args=[99999])).status_code == 404


def test_team_pages_link_to_profiles(client, town_officer, team_a, team_member_a):
    client.force_login(town_officer)
    assert detail(team_member_a) in client.get(reverse("review:team_detail", args=[team_a.pk])).content.decode()
    assert reverse("review:staff_list") in client.get(reverse("review:team_list")).content.decode()


def test_staff_list_query_count_is_flat(client, town_officer):
    client.force_login(town_officer)
    url = reverse("review:staff_list")
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    small = count()
    for i in range(6):
        user = make_user(f"extra{i}", roles.VILLAGE_TEAM)
        teams.staff_upsert(user=user, name=f"人{i}", unit=Staff.Unit.VILLAGE, by=town_officer)
    assert count() == small
