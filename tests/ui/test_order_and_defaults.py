"""Natural order (第一组 … 第十组), the favicon, and pages opening on the latest month with data."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from kanjia.naturalsort import chinese_number, natural_sorted
from review.dynamic import monthly
from review.dynamic.services import add_months, month_start
from review.teams import services as teams
from tests.factories import HouseholdFactory, VillageFactory

pytestmark = pytest.mark.django_db

ORDINALS = ["第一组", "第二组", "第三组", "第四组", "第五组", "第六组", "第七组", "第十组", "第十一组", "第二十组"]


def test_chinese_ordinals_and_numbers_sort_as_counted():
    assert (
        natural_sorted(
            ["第七组", "第三组", "第一组", "第十一组", "第二组", "第十组", "第二十组", "第四组", "第六组", "第五组"]
        )
        == ORDINALS
    )
    assert natural_sorted(["10组", "2组", "1组"]) == ["1组", "2组", "10组"]
    assert [chinese_number(t) for t in ("十", "十一", "二十", "一百零五", "二〇二一")] == [10, 11, 20, 105, 2021]


def test_team_list_page_in_natural_order(client, town_officer):
    for name in ("第七组", "第三组", "第一组", "第十组", "第二组"):
        teams.team_create(name=name, by=town_officer)
    client.force_login(town_officer)
    html = client.get(reverse("review:team_list")).content.decode()
    positions = [html.index(name) for name in ("第一组", "第二组", "第三组", "第七组", "第十组")]
    assert positions == sorted(positions)


def test_favicon_is_served_without_login(client, town_officer):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    client.force_login(town_officer)
    assert 'rel="icon"' in client.get("/").content.decode()


def test_monthly_report_opens_on_this_month_when_last_month_has_no_data(client, town_officer):
    HouseholdFactory(village=VillageFactory())  # registered today: no history before this month
    today = timezone.localdate()
    assert monthly.default_month(user=town_officer) == month_start(today)
    client.force_login(town_officer)
    html = client.get(reverse("review:dynamic:reports")).content.decode()
    assert f'value="{today:%Y-%m}"' in html


def test_monthly_report_opens_on_last_month_when_it_has_data(town_officer):
    household = HouseholdFactory(village=VillageFactory())
    earlier = timezone.make_aware(datetime.combine(add_months(timezone.localdate(), -2), datetime.min.time()))
    Household.history.filter(id=household.pk).update(history_date=earlier)  # test set-up of the past
    assert monthly.default_month(user=town_officer) == month_start(add_months(timezone.localdate(), -1))
