"""The district's dashboard: a per-town table (in care, persons, monthly amount) with the district total."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import HouseholdFactory, TownFactory, VillageFactory

pytestmark = pytest.mark.django_db


def _town(name: str, code: str, amounts: list[str]):
    village = VillageFactory(town=TownFactory(name=name, code=code))
    for amount in amounts:
        HouseholdFactory(village=village, covered_persons=2, base_amount=Decimal(amount), extra_amount=Decimal("10"))
    HouseholdFactory(village=village, status="申请中")
    return village


def _cells(html: str) -> list[list[str]]:
    table = html.split('data-testid="town-table"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in table.split("<tr")[2:]]


def test_district_officer_sees_each_town_and_the_district_total(client, district_officer):
    _town("堪嘉镇", "512002110", ["300.00", "400.00"])
    _town("丰裕镇", "512002111", ["1000.00"])
    _town("伍隍镇", "512002112", [])  # only an application: a row of zeros, not a missing town
    client.force_login(district_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert _cells(html) == [
        ["堪嘉镇", "2", "4", "720.00"],
        ["丰裕镇", "1", "2", "1,010.00"],
        ["伍隍镇", "0", "0", "0.00"],
        ["全区合计", "3", "6", "1,730.00"],
    ]


def test_town_officer_has_no_town_table(client, town_officer):
    _town("堪嘉镇", "512002110", ["300.00"])
    client.force_login(town_officer)
    assert 'data-testid="town-table"' not in client.get(reverse("dashboard")).content.decode()


def test_the_dashboards_queries_do_not_grow_with_towns(client, district_officer):
    _town("堪嘉镇", "512002110", ["300.00"])
    client.force_login(district_officer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("dashboard"))
    for i in range(4):
        _town(f"第{i}镇", f"51200212{i}", ["200.00", "100.00"])
    with CaptureQueriesContext(connection) as five:
        html = client.get(reverse("dashboard")).content.decode()
    assert len(_cells(html)) == 6
    assert len(five) == len(one)
