"""The archive pages for an account that sees several towns (issue 19).

At district scale the 档案 home and 档案完整率 built a row per household of every town in the request
(8 s and 20 s at 100,000 households, minutes at 1,000,000), and the home synced every town's bags.
They now list the towns and work one town at a time; a town's office and teams see what they did."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from archives.models import Bag
from kanjia.models import AccessLog
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

INDEX, REPORT, EXPORT = (reverse(f"archives:{name}") for name in ("index", "completeness", "completeness_xlsx"))


@pytest.fixture
def east_household(other_town, kinds):
    h = HouseholdFactory(village=other_town.villages.get(), head_name="钱东")
    MemberFactory(household=h, name="钱东")
    return h


def test_the_district_picks_a_town_and_the_archive_home_builds_no_household_rows(
    client, district_officer, town_officer, other_town_officer, household_a, east_household, other_town
):
    client.force_login(district_officer)
    with CaptureQueriesContext(connection) as few:
        page = client.get(INDEX).content.decode()
    # No bag was made by the district's visit (the worker and the nightly sync make them).
    assert not Bag.objects.exists()
    kanjia = household_a.village.town
    assert 'id="completeness-towns"' in page and 'id="completeness-summary"' not in page
    assert f'?town={kanjia.pk}">堪嘉镇</a>' in page and f'?town={other_town.pk}">城东镇</a>' in page
    assert '<optgroup label="堪嘉镇"><option value="' in page and '<optgroup label="城东镇">' in page

    # Each office's visit shelves its own town's households, never another town's (before, the first
    # office to visit wrote every town's bags, under its own name, inside its request).
    for officer, household in ((town_officer, household_a), (other_town_officer, east_household)):
        client.force_login(officer)
        own = client.get(INDEX).content.decode()
        assert 'id="completeness-summary"' in own and "<th>乡镇(街道)</th>" not in own and "optgroup" not in own
        assert list(Bag.objects.values_list("household", flat=True).order_by("pk"))[-1] == household.pk
        assert Bag.objects.get(household=household).history.get().history_user == officer
    assert Bag.objects.count() == 2
    client.force_login(district_officer)
    page = client.get(INDEX).content.decode()
    assert "<td>堪嘉镇</td>" in page and "<td>城东镇</td>" in page  # the cabinets' town column

    # The district's home costs the same whatever the number of households.
    for _ in range(5):
        HouseholdFactory(village=household_a.village)
        HouseholdFactory(village=east_household.village)
    with CaptureQueriesContext(connection) as more:
        assert client.get(INDEX).status_code == 200
    assert len(more) == len(few)


def test_the_districts_completeness_report_is_one_towns(
    client, district_officer, town_officer, household_a, east_household, other_town
):
    client.force_login(district_officer)
    page = client.get(REPORT).content.decode()
    assert 'id="town-list"' in page and 'id="village-report"' not in page and "钱东" not in page
    assert "导出 Excel" not in page
    # Exporting every town at once is refused with a message, and nothing is logged.
    response = client.get(EXPORT, follow=True)
    assert "请先选择乡镇(街道)，再导出该镇的档案完整率。" in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()

    page = client.get(REPORT, {"town": other_town.pk}).content.decode()
    assert "档案完整率（城东镇）" in page and "钱东" in page and "张甲" not in page
    report = page[page.index('id="village-report"') :]
    assert "东岳村" in report and "甲村" not in report
    village_select = page[page.index('id="village"') : page.index("</select>", page.index('id="village"'))]
    assert "东岳村" in village_select and "甲村" not in village_select
    export = client.get(EXPORT, {"town": other_town.pk})
    sheet = load_workbook(io.BytesIO(export.content))["缺项明细"]
    assert [row[2].value for row in sheet.iter_rows(min_row=2)] == ["钱东"]
    assert AccessLog.objects.get(action=AccessLog.Action.EXPORT).detail == "档案完整率（城东镇）"
    # A village names its town.
    page = client.get(REPORT, {"village": household_a.village_id}).content.decode()
    assert "档案完整率（堪嘉镇）" in page and "张甲" in page and "钱东" not in page
    # Changing the town in the form keeps the village chosen before: the new town wins.
    page = client.get(REPORT, {"town": other_town.pk, "village": household_a.village_id}).content.decode()
    assert "档案完整率（城东镇）" in page and "钱东" in page and "张甲" not in page


def test_a_town_office_reads_its_own_report_and_another_town_is_404(
    client, town_officer, household_a, east_household, other_town
):
    client.force_login(town_officer)
    page = client.get(REPORT).content.decode()
    assert "张甲" in page and "钱东" not in page and 'id="town"' not in page
    assert client.get(REPORT, {"town": household_a.village.town_id}).status_code == 200
    assert client.get(REPORT, {"town": other_town.pk}).status_code == 404
    assert client.get(EXPORT, {"town": other_town.pk}).status_code == 404
    assert client.get(REPORT, {"town": "x"}).status_code == 404


def test_the_sync_button_syncs_the_offices_own_town(client, town_officer, household_a, east_household):
    client.force_login(town_officer)
    response = client.post(reverse("archives:sync"), follow=True)
    assert "新建 1 袋" in response.content.decode()
    assert list(Bag.objects.values_list("household", flat=True)) == [household_a.pk]


def test_the_district_prints_labels_village_by_village(client, district_officer, household_a, east_household):
    """Without a village, the district's labels would sync every town's households and lay out
    thousands of labels in one request."""
    client.force_login(district_officer)
    for level in ("cabinet", "box", "bag"):
        response = client.get(reverse("archives:labels"), {"level": level}, follow=True)
        assert "请先选择村(社区)，再按村分别打印标签" in response.content.decode()
    assert not Bag.objects.exists()
    response = client.get(reverse("archives:labels"), {"level": "cabinet", "village": east_household.village_id})
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert list(Bag.objects.values_list("household", flat=True)) == [east_household.pk]
