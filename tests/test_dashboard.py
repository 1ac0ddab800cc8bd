from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import Household, Village
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


def test_dashboard_shows_real_counts_in_chinese(client, town_officer):
    town = TownFactory()
    village = Village.objects.create(town=town, name="中心村", code="002")
    Household.objects.create(
        village=village,
        status=Household.Status.ACTIVE,
        covered_persons=3,
        base_amount=Decimal("600.00"),
        extra_amount=Decimal("50.00"),
        head_name="王某",
    )
    Household.objects.create(village=village, status=Household.Status.APPLYING, head_name="李某")
    client.force_login(town_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "工作台" in html and "在保户数" in html
    assert 'data-stat="households">2<' in html
    assert 'data-stat="active">1<' in html
    assert 'data-stat="persons">3<' in html
    assert 'data-stat="monthly_total">650.00<' in html


def test_user_without_role_sees_nothing(client, outsider):
    town = TownFactory()
    village = Village.objects.create(town=town, name="中心村", code="002")
    Household.objects.create(village=village, status=Household.Status.ACTIVE, head_name="王某")
    client.force_login(outsider)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-stat="households">0<' in html
    assert "尚未分配角色" in html
