"""Issue 16, finding 3: no full ID, phone or bank number in any URL.

Name searches stay bookmarkable GETs; a number-like query is POSTed and found again
through an opaque per-session token (inspectors included); a number in a GET is not
searched; the app's logging never records a query string.
"""

import logging
from datetime import date

import pytest

from households.models import Household
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(village_a):
    h = HouseholdFactory(village=village_a, head_name="王大山", phone="13800001111", bank_account="6228480012345678")
    MemberFactory(household=h, name="王大山", born=date(1950, 1, 1))
    HouseholdFactory(village=village_a, head_name="李小河")
    return h


def _names(response) -> list[str]:
    return [h.head_name for h in response.context["page"]]


@pytest.mark.parametrize("persona", ["town_officer", "inspector", "district_officer"])
def test_number_search_is_posted_and_redirected_to_a_token(client, personas, household, persona):
    client.force_login(personas[persona])
    number = Household.objects.get(pk=household.pk).members.get().id_number
    for query in (number, number[-6:], "13800001111", "1380000"):
        response = client.post("/households/search/", {"q": query, "status": "在保"})
        assert response.status_code == 302, (persona, response.status_code)
        location = response["Location"]
        assert query not in location and query[-4:] not in location, location
        assert "s=" in location and "status=" in location
        page = client.get(location)
        assert _names(page) == ["王大山"], (persona, query)
        assert query not in page.context["query_string"]  # the pagination links carry the token


def test_last_digits_ending_in_x_count_as_a_number(client, town_officer, village_a):
    """A tail like "003X" has three digits, but the search reads it as the last digits of an ID number."""
    h = HouseholdFactory(village=village_a, head_name="赵七")
    MemberFactory(household=h, name="赵七", id_number="51200219700101003X", born=date(1970, 1, 1))
    client.force_login(town_officer)
    response = client.post("/households/search/", {"q": "003x"})
    assert "003" not in response["Location"] and "s=" in response["Location"]
    assert _names(client.get(response["Location"])) == ["赵七"]


def test_name_search_stays_a_bookmarkable_get(client, town_officer, household):
    client.force_login(town_officer)
    response = client.post("/households/search/", {"q": "王大"})
    assert response["Location"] == "/households/?q=%E7%8E%8B%E5%A4%A7"
    assert _names(client.get(response["Location"])) == ["王大山"]


def test_a_number_in_the_address_is_not_searched(client, town_officer, household):
    client.force_login(town_officer)
    number = household.members.get().id_number
    response = client.get("/households/", {"q": number})
    assert sorted(_names(response)) == ["李小河", "王大山"]  # the whole list, unsearched
    assert "不能放在网址中查找" in response.content.decode()


def test_a_token_belongs_to_its_session(client, town_officer, district_officer, household):
    client.force_login(town_officer)
    location = client.post("/households/search/", {"q": "13800001111"})["Location"]
    client.force_login(district_officer)  # a new session: the token means nothing there
    response = client.get(location)
    assert sorted(_names(response)) == ["李小河", "王大山"]
    assert "已过期" in response.content.decode()


def test_request_logging_never_records_a_query_string():
    """Every handler settings.LOGGING installs (root, and runserver's request lines) strips query strings."""
    number = "512002196203130887"
    checked = 0
    for logger in (logging.getLogger("django.server"), logging.getLogger()):
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's own capture handlers
            line = f"GET /households/?q={number} HTTP/1.1"
            record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, '"%s" %s', (line, 200), None)
            assert handler.filter(record)
            text = handler.format(record)
            assert number not in text and "/households/?…" in text, text
            checked += 1
    assert checked >= 2
