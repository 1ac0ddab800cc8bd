"""The register list at district scale (issue 19): a huge list shows the planner's estimate, marked
as one, and stops its numbered pages; a town-sized list keeps its exact count and every page.

The thresholds are lowered here so a few dozen households stand for a million (the rule, not the
size, is what is tested); the planner's estimate needs PostgreSQL.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households import selectors
from households.models import Household
from tests.factories import HouseholdFactory, MemberFactory, StandardFactory, VillageFactory, VillageGroupFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 40


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        reason = "估算户数来自 PostgreSQL 的查询规划器（EXPLAIN）；SQLite 上总是精确计数"
        print(reason)
        pytest.skip(reason)


@pytest.fixture
def register():
    village = VillageFactory(name="陡岩村")
    StandardFactory(town=village.town)
    group = VillageGroupFactory(village=village)
    for i in range(HOUSEHOLDS):
        household = HouseholdFactory(village=village, group=group, head_name=f"王{i:02d}")
        MemberFactory(household=household, name=f"王{i:02d}")  # the search finds members by name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the statistics autovacuum would have gathered
            cursor.execute(f"ANALYZE {Household._meta.db_table}")
    return village


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(selectors, "HOUSEHOLD_PAGE_SIZE", 5)


def _count_line(response) -> str:
    html = response.content.decode()
    start = html.index('id="list-count"')
    return html[start : html.index("</p>", start)]


def test_a_huge_list_shows_an_estimate_and_capped_pages_in_flat_queries(
    client, district_officer, register, small_pages, monkeypatch
):
    _needs_postgresql()
    monkeypatch.setattr(selectors, "ESTIMATE_ABOVE", 10)
    monkeypatch.setattr(selectors, "MAX_ESTIMATED_PAGES", 3)
    client.force_login(district_officer)
    client.get("/households/")  # warm the session
    with CaptureQueriesContext(connection) as first:
        response = client.get("/households/")
    paginator = response.context["page"].paginator
    assert paginator.estimated and 30 <= paginator.count <= 50
    line = _count_line(response)
    assert "约" in line and "估算" in line and "只列出前 3 页" in line
    assert "前 3 页" in response.content.decode()  # the pager does not promise 8 pages
    # No COUNT over the households: the planner's estimate instead.
    assert not [q for q in first if 'COUNT("households_household"' in q["sql"]]
    assert [q for q in first if q["sql"].startswith("EXPLAIN")]
    # The paid-vs-computed figures would read every household in care: a link to the filter instead.
    assert 'href="/households/?paid=off"' in response.content.decode()

    with CaptureQueriesContext(connection) as deep:
        response = client.get("/households/", {"page": 3})
    assert len(deep) == len(first)
    assert [h.head_name for h in response.context["page"]] == [f"王{i:02d}" for i in range(10, 15)]
    # Past the cap: the last numbered page, not an OFFSET into the millions.
    response = client.get("/households/", {"page": 500})
    assert response.context["page"].number == 3 and not response.context["page"].has_next()
    assert client.get("/households/", {"page": 2}).context["page"].has_next()


def test_the_left_out_figures_point_each_account_to_where_it_can_read_them(
    client, district_officer, town_officer, register, small_pages, monkeypatch
):
    """The district is sent to the towns' lists; a town office whose own register is that large is
    told to open the link, and that 月上报 counts them (not sent to "the town office's list", its own)."""
    _needs_postgresql()
    monkeypatch.setattr(selectors, "ESTIMATE_ABOVE", 10)
    for user, said, not_said in (
        (district_officer, "请在乡镇民政办的列表或月上报中查看户数", "点开可列出这些户"),
        (town_officer, "点开可列出这些户，户数见月上报", "乡镇民政办的列表"),
    ):
        client.force_login(user)
        page = client.get("/households/").content.decode()
        assert 'href="/households/?paid=off"' in page and said in page and not_said not in page


def test_an_estimate_above_the_real_count_ends_at_the_last_full_page(
    client, district_officer, register, small_pages, monkeypatch
):
    _needs_postgresql()
    monkeypatch.setattr(selectors, "ESTIMATE_ABOVE", 10)
    client.force_login(district_officer)
    response = client.get("/households/", {"q": "王3"})  # 王3x: 10 households, estimated as more
    page = response.context["page"]
    if page.paginator.estimated:
        last = client.get("/households/", {"q": "王3", "page": 2}).context["page"]
        assert [h.head_name for h in last] == [f"王{i}" for i in range(35, 40)]
        assert not last.has_next()


def test_a_town_sized_list_keeps_its_exact_count_and_every_page(client, town_officer, register, small_pages):
    client.force_login(town_officer)
    response = client.get("/households/")
    page = response.context["page"]
    assert not page.paginator.estimated and page.paginator.count == HOUSEHOLDS
    assert f"共 {HOUSEHOLDS} 户" in _count_line(response) and "约" not in _count_line(response)
    assert page.paginator.num_pages == 8
    assert [h.head_name for h in client.get("/households/", {"page": 8}).context["page"]][-1] == "王39"


def test_a_short_list_is_read_in_one_query_without_a_count(client, town_officer, register, small_pages):
    """A list the planner expects to be short: every id in order in one query, the count their number
    and the page a slice (the search is joined once, not once for a COUNT and again for the page)."""
    _needs_postgresql()
    client.force_login(town_officer)
    client.get("/households/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/households/", {"q": "王1", "page": 2})  # 王1x: 10 households
    page = response.context["page"]
    assert page.paginator.count == 10 and not page.paginator.estimated
    assert "共 10 户" in _count_line(response)
    assert [h.head_name for h in page] == [f"王{i}" for i in range(15, 20)] and not page.has_next()
    assert not [q for q in queries if q["sql"].startswith("SELECT COUNT") and 'FROM "households_household"' in q["sql"]]
    searched = [q for q in queries if "LIKE" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(searched) == 2  # the ids, then the page's rows (and the planner's estimate, not run)


def test_a_district_wide_group_filter_lists_the_chosen_villages_groups(client, district_officer, register, monkeypatch):
    monkeypatch.setattr(selectors, "GROUP_OPTIONS_MAX_VILLAGES", 1)
    other = VillageFactory(name="中心村")
    VillageGroupFactory(village=other, number=7)
    client.force_login(district_officer)
    client.get("/households/")
    response = client.get("/households/")
    assert list(response.context["form"].fields["group"].queryset) == []
    with CaptureQueriesContext(connection) as chosen:
        response = client.get("/households/", {"village": other.pk})
    assert [g.village_id for g in response.context["form"].fields["group"].queryset] == [other.pk]
    for number in range(1, 6):
        VillageGroupFactory(village=other, number=number)
    with CaptureQueriesContext(connection) as more:
        response = client.get("/households/", {"village": other.pk})
    assert len(response.context["form"].fields["group"].queryset) == 6 and len(more) == len(chosen)
    assert client.get("/households/", {"village": "9" * 30}).status_code == 200
