"""Synthetic households: valid IDs in Yanjiang, plausible families, history, a share flagged."""

import pytest
from django.core.management import call_command

from households import idcard
from households.benefit import benefit_for
from households.models import Household, Member, ReviewFlag
from kanjia import demo

pytestmark = pytest.mark.django_db


def test_generate_households(town_officer):
    demo.load_places()
    call_command("generate_households", households=120, seed=7, user=town_officer.username, batch=50)
    assert Household.objects.count() == 120
    members = list(Member.objects.all())
    assert 2 * 120 <= len(members) <= 3 * 120
    for m in members:
        info = idcard.parse(m.id_number)
        assert m.id_number.startswith("512002") and (info.sex, info.birth_date) == (m.sex, m.birth_date)
    assert len({m.id_number for m in members}) == len(members)
    assert 0 < Household.objects.filter(flags__isnull=False).distinct().count() < 120
    h = Household.objects.filter(status="在保", base_amount__gt=0).select_related("village").first()
    assert h.head.household_id == h.pk and h.head_name == h.head.name
    assert benefit_for(household=h, month=h.start_month.replace(year=2021, month=5)).base_amount == h.base_amount
    record = h.history.get()
    assert (record.history_user, record.history_change_reason) == (town_officer, "合成数据生成")
    assert ReviewFlag.history.count() == ReviewFlag.objects.count()


def test_load_households_is_idempotent(town_officer):
    demo.load_places()
    assert demo.load_households() == demo.DEMO_HOUSEHOLDS
    assert demo.load_households() == 0
    assert Household.objects.count() == demo.DEMO_HOUSEHOLDS
    assert Household.objects.values("village").distinct().count() == 14
