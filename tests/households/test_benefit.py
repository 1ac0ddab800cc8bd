"""Income and benefit computation: counted vs excluded items, deductions, standards by area and month."""

from datetime import date
from decimal import Decimal

import pytest

from households.benefit import benefit_for
from households.models import IncomeItem, Member, Rounding
from tests.factories import (
    AssetFactory,
    CategoryFactory,
    HouseholdFactory,
    IncomeItemFactory,
    MemberFactory,
    PropertyRuleFactory,
    StandardFactory,
    TownFactory,
)

pytestmark = pytest.mark.django_db
MAY = date(2021, 5, 1)


@pytest.fixture
def household():
    town = TownFactory()
    StandardFactory(town=town, area="农村", monthly_amount=Decimal("470.00"), effective_from=date(2021, 1, 1))
    StandardFactory(town=town, area="城市", monthly_amount=Decimal("655.00"), effective_from=date(2021, 1, 1))
    h = HouseholdFactory(village__town=town, area="农村")
    MemberFactory(household=h, born=date(1950, 1, 1))
    MemberFactory(household=h, relation=Member.Relation.SPOUSE, born=date(1952, 1, 1), male=False)
    return h


def test_counted_items_make_per_capita_income_and_benefit(household):
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("300.00"))
    c = benefit_for(household=household, month=MAY)
    assert c.members == 2
    assert c.total_income == Decimal("300.00")
    assert c.per_capita == Decimal("150.00")
    assert c.standard.monthly_amount == Decimal("470.00")
    assert c.eligible
    assert c.base_amount == Decimal("640.00")  # (470 − 150) × 2
    labels = [line.label for line in c.steps]
    assert "家庭月人均收入" in labels and "月保障金" in labels


def test_excluded_kinds_and_uncounted_items_are_listed_not_added(household):
    for kind in (IncomeItem.Kind.SCHOLARSHIP, IncomeItem.Kind.ASSISTANCE, IncomeItem.Kind.BASIC_PENSION):
        IncomeItemFactory(household=household, kind=kind, monthly_amount=Decimal("100.00"))
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("80"), counted=False)
    c = benefit_for(household=household, month=MAY)
    assert c.total_income == 0
    assert len(c.income_lines) == 4
    assert not any(line.counted for line in c.income_lines)


def test_rigid_costs_are_deducted_but_never_below_zero(household):
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("400.00"))
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.RIGID_COST, monthly_amount=Decimal("100.00"))
    assert benefit_for(household=household, month=MAY).total_income == Decimal("300.00")
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.RIGID_COST, monthly_amount=Decimal("900.00"))
    assert benefit_for(household=household, month=MAY).total_income == 0


def test_dead_and_moved_out_members_are_not_co_resident(household):
    gone = MemberFactory(household=household, relation=Member.Relation.CHILD, born=date(1980, 1, 1))
    gone.moved_out_on = date(2021, 3, 1)
    gone.save()
    IncomeItemFactory(household=household, member=gone, monthly_amount=Decimal("2000.00"))
    c = benefit_for(household=household, month=MAY)
    assert c.members == 2
    assert c.total_income == 0


def test_standard_follows_area_and_month(household):
    StandardFactory(
        town=household.village.town, area="农村", monthly_amount=Decimal("500.00"), effective_from=date(2021, 7, 1)
    )
    assert benefit_for(household=household, month=date(2021, 6, 1)).standard.monthly_amount == Decimal("470.00")
    assert benefit_for(household=household, month=date(2021, 7, 1)).standard.monthly_amount == Decimal("500.00")
    household.area = "城市"
    assert benefit_for(household=household, month=date(2021, 7, 1)).standard.monthly_amount == Decimal("655.00")


def test_income_at_standard_is_not_eligible(household):
    IncomeItemFactory(household=household, monthly_amount=Decimal("940.00"))
    c = benefit_for(household=household, month=MAY)
    assert not c.eligible
    assert c.base_amount == 0


def test_property_rule_breach_makes_household_ineligible(household):
    PropertyRuleFactory(town=household.village.town, kind="住房", max_quantity=1)
    AssetFactory(household=household, kind="住房", quantity=2)
    c = benefit_for(household=household, month=MAY)
    assert not c.property_ok
    assert not c.eligible
    assert "超过上限" in c.property_lines[0].note


def test_rounding_as_configured_and_category_extra(household):
    standard = household.village.town.standards.get(area="农村")
    standard.rounding = Rounding.YUAN
    standard.save()
    IncomeItemFactory(household=household, monthly_amount=Decimal("301.00"))  # per capita 150.50
    household.category = CategoryFactory(town=household.village.town, extra_amount=Decimal("30.00"))
    c = benefit_for(household=household, month=MAY)
    assert c.base_amount == Decimal("639.00")  # (470 − 150.50) × 2 = 639.00
    standard.rounding = Rounding.YUAN_UP
    standard.save()
    IncomeItemFactory(household=household, monthly_amount=Decimal("0.50"))  # per capita 150.75 → 638.50
    c = benefit_for(household=household, month=MAY)
    assert c.base_amount == Decimal("639.00")
    assert c.extra_amount == Decimal("60.00")
    assert c.total == Decimal("699.00")


def test_only_covered_members_are_paid(household):
    m = household.members.last()
    m.covered = False
    m.save()
    c = benefit_for(household=household, month=MAY)
    assert c.covered == 1
    assert c.base_amount == Decimal("470.00")
