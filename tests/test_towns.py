"""Issue 19: one deployment for every town of the district.

Personas: 堪嘉镇's office (town_officer) and 镇纪委 (inspector), another town's office
(other_town_officer, 城东镇), the district (district_officer) and the 区纪委 (district_inspector).
The sweep (tests/test_scope_sweep.py) covers every object URL for another town's officer; these tests
cover the lists, the services and what each side sees of the other.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from households.conflicts.selectors import conflicts_visible_to
from households.conflicts.services import id_conflicts_record
from households.models import Household, IdConflict, Village
from households.selectors import (
    households_visible_to,
    is_district_wide,
    town_ids_of,
    towns_visible_to,
    villages_changeable_by,
    villages_visible_to,
)
from households.towns.selectors import office_of
from kanjia import roles
from review.cases import campaigns
from review.cases.selectors import campaigns_visible_to
from review.models import Case, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, MemberFactory, TownFactory, VillageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_towns(town_officer, other_town):
    kanjia = TownFactory()  # the deployment's first town (town_officer made it)
    home = VillageFactory(town=kanjia, name="陡岩村")
    away = Village.objects.get(town=other_town)
    return {
        "kanjia": kanjia,
        "other": other_town,
        "home": HouseholdFactory(village=home, head_name="堪嘉户主", status=Household.Status.ACTIVE),
        "away": HouseholdFactory(village=away, head_name="城东户主", status=Household.Status.ACTIVE),
    }


def test_a_town_office_sees_and_changes_only_its_own_town(town_officer, other_town_officer, two_towns):
    assert set(households_visible_to(user=town_officer)) == {two_towns["home"]}
    assert set(households_visible_to(user=other_town_officer)) == {two_towns["away"]}
    assert set(villages_changeable_by(user=other_town_officer)) == {two_towns["away"].village}
    assert list(towns_visible_to(user=town_officer)) == [two_towns["kanjia"]]
    assert not is_district_wide(user=town_officer)


def test_the_list_of_another_town_office_does_not_show_our_households(client, other_town_officer, two_towns):
    client.force_login(other_town_officer)
    html = client.get(reverse("households:list")).content.decode()
    assert "城东户主" in html and "堪嘉户主" not in html
    assert client.get(reverse("households:detail", args=[two_towns["home"].pk])).status_code == 404


def test_the_district_and_its_inspector_see_every_town(district_officer, district_inspector, two_towns):
    for user in (district_officer, district_inspector):
        assert set(households_visible_to(user=user)) == {two_towns["home"], two_towns["away"]}
        assert town_ids_of(user=user) is None and is_district_wide(user=user)
    # 区纪委 reads everything and changes nothing.
    assert roles.is_read_only(district_inspector)
    assert not villages_changeable_by(user=district_inspector).exists()


def test_the_town_inspector_reads_only_its_town(inspector, two_towns):
    assert set(households_visible_to(user=inspector)) == {two_towns["home"]}
    assert not villages_changeable_by(user=inspector).exists()


def test_a_town_level_account_assigned_to_no_town_sees_nothing(two_towns):
    """The boundary fails closed: 镇民政办 without a town is not the whole district."""
    from django.contrib.auth.models import Group, User

    clerk = User.objects.create_user("unassigned")
    clerk.groups.add(Group.objects.get_or_create(name=roles.TOWN_OFFICE)[0])
    assert town_ids_of(user=clerk) == []
    assert not households_visible_to(user=clerk).exists()
    assert not villages_visible_to(user=clerk).exists()


def test_a_campaign_covers_only_its_own_towns_households(town_officer, other_town_officer, two_towns):
    campaign = campaigns.campaign_create(name="专项", kind="专项清理", scope_date=date.today(), by=town_officer)
    assert campaign.town == two_towns["kanjia"]
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    assert set(Case.objects.filter(campaign=campaign).values_list("household", flat=True)) == {two_towns["home"].pk}
    assert campaign not in campaigns_visible_to(user=other_town_officer)
    with pytest.raises(PermissionDenied):
        campaigns.campaign_launch(campaign=campaign, by=other_town_officer)
    # The same name is free in another town.
    theirs = campaigns.campaign_create(name="专项", kind="专项清理", scope_date=date.today(), by=other_town_officer)
    assert theirs.town == two_towns["other"]


def test_a_team_takes_only_its_own_towns_villages(town_officer, two_towns):
    team = teams.team_create(name="甲组", by=town_officer)
    assert team.town == two_towns["kanjia"]
    with pytest.raises(ValidationError, match="不属于本小组所在的乡镇"):
        teams.team_assign_village(team=team, village=two_towns["away"].village, by=town_officer)


def test_the_same_person_in_care_in_two_towns_is_seen_by_both_offices_and_the_district(
    town_officer, other_town_officer, district_officer, two_towns
):
    """重复享受: 城东镇 tried to register a member already in care in 堪嘉镇. Both offices and the district
    see the conflict; a third town sees nothing."""
    from households.conflicts.selectors import IdCheck

    member = MemberFactory(household=two_towns["home"], name="张三")
    id_conflicts_record(
        check=IdCheck(hidden={member.id_number: member}),
        user=other_town_officer,
        source="form",
        village_id=two_towns["away"].village_id,
    )
    conflict = IdConflict.objects.get()
    for user in (town_officer, other_town_officer, district_officer):
        assert list(conflicts_visible_to(user=user)) == [conflict]
    third = make_user("third", roles.TOWN_OFFICE, town=TownFactory(name="中和镇", code="512002777"))
    assert not conflicts_visible_to(user=third).exists()


def test_a_town_level_role_names_its_town_and_only_that_town_confirms(
    sysadmin, town_officer, other_town_officer, two_towns
):
    from kanjia.accounts import services as accounts

    clerk = make_user("clerk", None)
    with pytest.raises(ValidationError, match="须选择所在乡镇"):
        accounts.role_request(user=clerk, role=roles.TOWN_OFFICE, change="add", by=sysadmin)
    change = accounts.role_request(
        user=clerk, role=roles.TOWN_OFFICE, change="add", by=sysadmin, town=two_towns["other"]
    )
    with pytest.raises(PermissionDenied):
        accounts.role_confirm(change=change, by=town_officer)  # 堪嘉镇 does not confirm 城东镇's staff
    accounts.role_confirm(change=change, by=other_town_officer)
    assert set(households_visible_to(user=clerk)) == {two_towns["away"]}


def test_each_town_prints_its_own_office(two_towns, settings):
    assert office_of(town=two_towns["kanjia"])["name"] == settings.OFFICE["name"]
    other = office_of(town=two_towns["other"])
    assert "城东镇" in other["name"] and "堪嘉" not in other["name"] + other["address"]
    two_towns["other"].office_phone = "028-26999999"
    assert office_of(town=two_towns["other"])["phone"] == "028-26999999"


def test_a_page_costs_the_same_queries_with_one_town_or_three(
    client, town_officer, two_towns, django_assert_max_num_queries
):
    """The boundary is one query per request, whatever the number of towns."""
    client.force_login(town_officer)
    url = reverse("households:list")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2):
        town = TownFactory(name=f"合成{n}镇", code=f"51200288{n}")
        HouseholdFactory(village=VillageFactory(town=town), status=Household.Status.ACTIVE)
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    assert len(three) == len(one)


def test_the_entering_town_is_told_only_the_holders_town(client, town_officer, other_town_officer, two_towns):
    from households.conflicts.selectors import IdCheck

    member = MemberFactory(household=two_towns["home"], name="张三")
    id_conflicts_record(
        check=IdCheck(hidden={member.id_number: member}),
        user=other_town_officer,
        source="form",
        village_id=two_towns["away"].village_id,
    )
    client.force_login(other_town_officer)
    html = client.get(reverse("households:conflicts")).content.decode()
    assert "已在堪嘉镇在保" in html and "堪嘉户主" not in html
    client.force_login(town_officer)
    html = client.get(reverse("households:conflicts")).content.decode()
    assert "堪嘉户主" in html and "城东镇" in html


def _header_and_footer(client) -> tuple[str, str]:
    html = client.get(reverse("dashboard")).content.decode()
    brand = html[html.index('class="navbar-brand"') :]
    footer = html[html.index("<footer") :]
    return brand[brand.index(">") + 1 : brand.index("</a>")], footer[footer.index(">") + 1 : footer.index("</footer>")]


def test_each_account_works_under_its_own_towns_name(
    client, town_officer, other_town_officer, district_officer, team_member_b, two_towns
):
    """One deployment, every town: a town's staff and teams see their own town in the header and their
    own office in the footer (as on their notices), the district sees the district."""
    client.force_login(town_officer)
    kanjia = ("堪嘉镇城乡低保精准兜底管理系统", "资阳市雁江区堪嘉镇人民政府民政办 · 联系电话 028-26000000")
    assert _header_and_footer(client) == kanjia
    client.force_login(other_town_officer)
    title, footer = _header_and_footer(client)
    assert title == "城东镇城乡低保精准兜底管理系统"
    assert "城东镇人民政府民政办" in footer and "堪嘉" not in footer and "联系电话" not in footer  # no phone set
    two_towns["other"].office_phone = "028-26999999"
    two_towns["other"].save()
    assert _header_and_footer(client)[1].endswith("联系电话 028-26999999")
    team = teams.team_create(name="城东一组", by=other_town_officer, town=two_towns["other"])
    teams.team_add_member(team=team, user=team_member_b, role=TeamMembership.Role.VILLAGE_CADRE, by=other_town_officer)
    teams.team_assign_village(team=team, village=two_towns["away"].village, by=other_town_officer)
    client.force_login(team_member_b)
    assert _header_and_footer(client)[0] == "城东镇城乡低保精准兜底管理系统"
    client.force_login(district_officer)
    title, footer = _header_and_footer(client)
    assert title == f"{two_towns['kanjia'].district}城乡低保精准兜底管理系统" and "堪嘉" not in title + footer
