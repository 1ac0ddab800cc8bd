"""The case list at scale (issue 19): its pages keep the order the clerk reads (overdue first, then
the due date, the village's order, the case number) while only the page's ids go through the sort,
and a district's list of hundreds of thousands of cases shows the planner's estimate, marked as one.

Page size and thresholds are lowered so a handful of cases stand for a district (the rule, not the
size, is what is tested); the planner's estimate needs PostgreSQL.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import selectors as register
from review.cases import campaigns
from review.cases import selectors as case_selectors
from review.cases.selectors import overdue_q
from review.models import Case
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(campaign, crew, team_b, village_a, village_b, town_officer):
    """Four households in 甲村 and three in 乙村, with due dates that make the order visible."""
    for i in range(4):
        MemberFactory(household=HouseholdFactory(village=village_a, head_name=f"甲{i}"))
    for i in range(3):
        MemberFactory(household=HouseholdFactory(village=village_b, head_name=f"乙{i}"))
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    cases = list(Case.objects.order_by("pk"))
    for case in cases:
        case.due_on, case.overall_due = days_ago(-10), days_ago(-40)
    # Two late (one by its stage's deadline, one by the whole procedure's), the rest due on two days.
    cases[5].due_on = days_ago(2)
    cases[1].overall_due = days_ago(1)
    cases[3].due_on = cases[6].due_on = days_ago(-3)
    for case in cases:
        case.save()
    return campaign


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(case_selectors, "CASE_PAGE_SIZE", 3)


def _expected_order() -> list[int]:
    late = set(Case.objects.filter(overdue_q()).values_list("pk", flat=True))
    cases = Case.objects.select_related("household__village")
    return [c.pk for c in sorted(cases, key=lambda c: (c.pk not in late, c.due_on, c.household.village.order, c.pk))]


def _listed(client, page: int) -> list[int]:
    html = client.get(reverse("review:case_list"), {"page": page}).content.decode()
    rows = html[html.index('data-testid="case-count"') :]
    return [int(pk) for pk in dict.fromkeys(re.findall(r'href="/review/cases/(\d+)/"', rows))]


def test_pages_list_overdue_cases_first_then_by_due_date_village_and_number(
    client, launched, town_officer, small_pages
):
    client.force_login(town_officer)
    listed = _listed(client, 1) + _listed(client, 2) + _listed(client, 3)
    assert len(Case.objects.filter(overdue_q())) == 2
    assert listed == _expected_order()
    assert len(listed) == len(set(listed)) == 7
    html = client.get(reverse("review:case_list")).content.decode()
    assert "共 7 件" in html and "估算" not in html  # a town's list is counted exactly


def test_a_deep_page_costs_the_same_queries_as_the_first(client, launched, town_officer, small_pages):
    client.force_login(town_officer)
    client.get(reverse("review:case_list"))  # warm the session
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("review:case_list"))
    with CaptureQueriesContext(connection) as last:
        client.get(reverse("review:case_list"), {"page": 3})
    assert len(last) == len(first)


def test_a_team_member_pages_through_their_villages_only(client, launched, crew, small_pages):
    client.force_login(crew.cadre)  # 甲组: 甲村 only
    listed = _listed(client, 1) + _listed(client, 2)
    mine = [pk for pk in _expected_order() if Case.objects.get(pk=pk).household.head_name.startswith("甲")]
    assert listed == mine and len(mine) == 4


def test_a_district_wide_list_shows_an_estimate_and_capped_pages(
    client, launched, district_officer, small_pages, monkeypatch
):
    if connection.vendor != "postgresql":
        reason = "估算件数来自 PostgreSQL 的查询规划器（EXPLAIN）；SQLite 上总是精确计数"
        print(reason)
        pytest.skip(reason)
    monkeypatch.setattr(register, "ESTIMATE_ABOVE", 4)
    monkeypatch.setattr(register, "MAX_ESTIMATED_PAGES", 2)
    with connection.cursor() as cursor:  # the statistics autovacuum would have gathered
        cursor.execute(f"ANALYZE {Case._meta.db_table}")
    client.force_login(district_officer)
    client.get(reverse("review:case_list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("review:case_list"))
    html = response.content.decode()
    line = html[html.index('data-testid="case-count"') :]
    line = line[: line.index("</p>")]
    assert "约" in line and "估算" in line and "只列出前 2 页" in line
    assert not [q for q in queries if 'COUNT(*) AS "__count" FROM "review_case"' in q["sql"]]
    assert [q for q in queries if q["sql"].startswith("EXPLAIN")]
    # The first pages are the same cases in the same order as the town's own list.
    assert _listed(client, 1) + _listed(client, 2) == _expected_order()[:6]
    assert client.get(reverse("review:case_list"), {"page": 9}).context["page"].number == 2
