"""A district account's village pickers group the villages by town (issue 19): with every village of
the district in one list, two towns' 新村 could not be told apart. A town's own staff keep a flat list."""

import re

import pytest
from django.urls import reverse

from tests.factories import VillageFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "households:list",  # the register's filters (written by the select_options tag)
    "review:case_list",  # PlainSelect
    "households:ledger:export",  # a plain Django Select
]


@pytest.fixture
def two_new_villages(village_a, other_town):
    """Both towns have a 新村."""
    return VillageFactory(town=village_a.town, name="新村"), VillageFactory(town=other_town, name="新村")


def _village_select(page: str) -> str:
    return re.search(r'<select name="village".*?</select>', page, re.S).group(0)


@pytest.mark.parametrize("name", PAGES)
def test_the_district_picks_a_village_under_its_town(client, district_officer, two_new_villages, name):
    kanjia_new, east_new = two_new_villages
    client.force_login(district_officer)
    response = client.get(reverse(name), {"village": east_new.pk})
    assert response.status_code == 200
    select = _village_select(response.content.decode())
    kanjia_group = re.search(r'<optgroup label="堪嘉镇">(.*?)</optgroup>', select, re.S).group(1)
    east_group = re.search(r'<optgroup label="城东镇">(.*?)</optgroup>', select, re.S).group(1)
    assert f'value="{kanjia_new.pk}"' in kanjia_group and "甲村" in kanjia_group and "东岳村" not in kanjia_group
    assert f'value="{east_new.pk}"' in east_group and "东岳村" in east_group
    if name != "households:ledger:export":  # a filter keeps the chosen 新村 under its own town
        assert f'<option value="{east_new.pk}" selected>新村</option>' in east_group
    # The empty choice stays first, outside any group.
    assert select.index('<option value=""') < select.index("<optgroup")
    assert select.index('label="堪嘉镇"') < select.index('label="城东镇"')  # towns in the order they were set up


@pytest.mark.parametrize("name", PAGES)
def test_a_town_office_keeps_a_flat_list(client, town_officer, two_new_villages, name):
    client.force_login(town_officer)
    select = _village_select(client.get(reverse(name)).content.decode())
    assert "<optgroup" not in select and "新村" in select and "东岳村" not in select


def test_a_filter_chosen_from_a_group_filters_the_list(client, district_officer, two_new_villages):
    from tests.factories import HouseholdFactory

    kanjia_new, east_new = two_new_villages
    HouseholdFactory(village=kanjia_new, head_name="堪嘉新村户")
    HouseholdFactory(village=east_new, head_name="城东新村户")
    client.force_login(district_officer)
    page = client.get(reverse("households:list"), {"village": east_new.pk}).content.decode()
    assert "城东新村户" in page and "堪嘉新村户" not in page
