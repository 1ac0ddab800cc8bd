"""The clue register across towns (issue 19): a clue belongs to one town, names only that town's
cases, households and staff, and a 区纪委 chooses the town it files a clue under."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from archives.clues import services as clues
from archives.models import Clue
from kanjia import roles
from review.models import Case
from tests.conftest import make_user
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_household(other_town):
    return HouseholdFactory(village=other_town.villages.get(), head_name="钱东")


@pytest.fixture
def east_inspector(other_town):
    return make_user("inspector_east", roles.INSPECTOR, full_name="城东纪检", town=other_town)


def register(by, town, **over) -> Clue:
    data = {"found_on": timezone.localdate(), "source": Clue.Source.REPORT, "title": "t", "description": "d"}
    return clues.clue_create(by=by, town=town, **{**data, **over})


def form(**over) -> dict:
    return {
        "found_on": timezone.localdate().isoformat(),
        "source": Clue.Source.REPORT,
        "title": "疑似关系保",
        "description": "群众反映。",
        "cases": "",
        "households": "",
        **over,
    }


def test_a_town_inspector_cannot_name_another_towns_case_or_household(client, inspector, household, east_household):
    east_case = Case.objects.create(household=east_household, kind=Case.Kind.RECHECK)
    client.force_login(inspector)
    response = client.post(
        reverse("audit:clue_create"), form(cases=str(east_case.pk), households=str(east_household.pk))
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert f"堪嘉镇没有这些案件：#{east_case.pk}" in page and f"堪嘉镇没有这些低保户：#{east_household.pk}" in page
    # The other town's village and head never reach the page, nor a clue that would show them.
    assert "钱东" not in page and "东岳村" not in page
    assert not Clue.objects.exists()
    with pytest.raises(ValidationError, match="堪嘉镇没有这些低保户"):
        register(inspector, household.village.town, household_ids=[household.pk, east_household.pk])
    # Nor file a clue under the other town.
    with pytest.raises(PermissionDenied):
        register(inspector, east_household.village.town)


def test_another_towns_staff_are_neither_offered_nor_accepted(
    client, inspector, other_town_officer, town_officer, village_a
):
    client.force_login(inspector)
    page = client.get(reverse("audit:clue_create")).content.decode()
    assert "测试民政" in page and "城东民政" not in page
    response = client.post(reverse("audit:clue_create"), form(staff=[other_town_officer.pk]))
    assert response.status_code == 400 and not Clue.objects.exists()
    with pytest.raises(ValidationError, match="所选人员不在堪嘉镇工作"):
        register(inspector, village_a.town, staff=[other_town_officer])


def test_the_district_inspector_files_each_clue_under_its_town_and_only_that_office_answers(
    client, district_inspector, household, east_household, town_officer, other_town_officer
):
    client.force_login(district_inspector)
    page = client.get(reverse("audit:clue_create")).content.decode()
    assert "请选择线索所在乡镇" in page and "城东镇" in page and "堪嘉镇" in page
    response = client.post(reverse("audit:clue_create"), form(households=str(east_household.pk)))
    assert response.status_code == 400 and "请选择线索所在乡镇。" in response.content.decode()
    assert not Clue.objects.exists()

    east = east_household.village.town
    response = client.post(reverse("audit:clue_create"), form(town=east.pk, households=str(household.pk)))
    assert response.status_code == 400 and f"城东镇没有这些低保户：#{household.pk}" in response.content.decode()

    response = client.post(reverse("audit:clue_create"), form(town=east.pk, households=str(east_household.pk)))
    assert response.status_code == 302
    clue = Clue.objects.get()
    assert clue.town == east and clue.number == f"{timezone.localdate().year}-001"
    detail = client.get(response.url).content.decode()
    assert "城东镇（交办该镇民政办）" in detail and "钱东户" in detail
    listing = client.get(reverse("audit:clues")).content.decode()
    assert "<th>乡镇</th>" in listing and "<td>城东镇</td>" in listing

    clues.clue_refer(clue=clue, by=district_inspector, note="请核实。")
    client.force_login(other_town_officer)
    assert client.get(reverse("audit:clue_detail", args=[clue.pk])).status_code == 200
    client.force_login(town_officer)
    assert client.get(reverse("audit:clue_detail", args=[clue.pk])).status_code == 404
    assert "疑似关系保" not in client.get(reverse("audit:clues")).content.decode()


def test_a_link_from_a_report_preselects_the_households_town(
    client, district_inspector, inspector, east_household, household
):
    client.force_login(district_inspector)
    page = client.get(reverse("audit:clue_create") + f"?households={east_household.pk}").content.decode()
    east = east_household.village.town
    assert f'<option value="{east.pk}" selected>城东镇</option>' in page
    # A town inspector has one town: no choice to make, no column to read.
    register(inspector, household.village.town, title="本镇线索")
    client.force_login(inspector)
    assert "乡镇(街道)" not in client.get(reverse("audit:clue_create")).content.decode()
    listing = client.get(reverse("audit:clues")).content.decode()
    assert "本镇线索" in listing and "<th>乡镇</th>" not in listing


def test_the_district_inspectors_staff_list_says_which_town_each_person_works_in(
    client,
    district_inspector,
    district_officer,
    town_officer,
    other_town_officer,
    team_a,
    team_member_a,
    village_a,
    other_town,
):
    """Before, a 区纪委 picked from every town's staff in one list, with nothing to tell two towns' 民政办
    apart (the service refused a wrong pick only on saving)."""
    make_user("off_team", roles.VILLAGE_TEAM, full_name="已离组干部")
    client.force_login(district_inspector)
    page = client.get(reverse("audit:clue_create")).content.decode()
    start = page.index('name="staff"')
    staff = page[start : page.index("</select>", start)]
    # static/js/app.js hides other towns' people once a town is chosen, and shows everyone before.
    assert 'data-filter-by="town" data-filter-key="town" data-filter-empty="all"' in staff
    groups = re.findall(r'<optgroup label="([^"]+)">', staff)
    assert groups == ["堪嘉镇", "城东镇", "区民政局、区纪委", "未在任何乡镇工作"]
    options = dict(re.findall(r'<option value="(\d+)"([^>]*)>', staff))
    kanjia, east = village_a.town, other_town
    assert options[str(town_officer.pk)] == f' data-town="{kanjia.pk}"'
    assert options[str(team_member_a.pk)] == f' data-town="{kanjia.pk}"'  # a team's cadre: its villages' town
    assert options[str(other_town_officer.pk)] == f' data-town="{east.pk}"'
    # The district's people and those in no town stay whichever town is chosen.
    assert options[str(district_officer.pk)] == ""
    by_group = dict(zip(groups, re.split(r"<optgroup [^>]+>", staff)[1:], strict=True))
    assert "测试民政" in by_group["堪嘉镇"] and "甲组组员" in by_group["堪嘉镇"]
    assert "城东民政" in by_group["城东镇"] and "测试区局" in by_group["区民政局、区纪委"]
    assert "已离组干部" in by_group["未在任何乡镇工作"]
