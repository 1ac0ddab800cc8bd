"""factory_boy factories for test data. Extend here; keep signatures stable."""

import itertools
from datetime import date
from decimal import Decimal

import factory

from households import idcard
from households.models import (
    Asset,
    Category,
    Household,
    IncomeItem,
    Member,
    PropertyRule,
    Rounding,
    Standard,
    Town,
    Village,
    VillageGroup,
)

# One counter for every factory-made ID number: numbers made one after another differ in
# their sequence digits, and one birth date and sex give 495 distinct numbers before
# they repeat. A random choice (as before) collided now and then on the unique index
# when a test made several members born the same day.
_issued = itertools.count()


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town
        django_get_or_create = ("code",)

    name = "堪嘉镇"
    code = "512002110"


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"测试{n}村")
    code = factory.Sequence(lambda n: f"{n:03d}")
    order = factory.Sequence(lambda n: n)


class VillageGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillageGroup

    village = factory.SubFactory(VillageFactory)
    number = factory.Sequence(lambda n: n + 1)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    status = Household.Status.ACTIVE
    area = "农村"
    covered_persons = 1
    base_amount = Decimal("300.00")
    head_name = factory.Sequence(lambda n: f"户主{n}")
    address = "测试地址"


def _id_for(born: date, male: bool) -> str:
    seq, k = divmod(next(_issued) % 495, 5)
    third = (1, 3, 5, 7, 9)[k] if male else (0, 2, 4, 6, 8)[k]
    first17 = f"{idcard.YANJIANG}{born:%Y%m%d}{seq:02d}{third}"
    return first17 + idcard.check_char(first17)


class MemberFactory(factory.django.DjangoModelFactory):
    """A member with a valid ID number; sex and birth date derived from it."""

    class Meta:
        model = Member

    class Params:
        born = date(1960, 3, 15)
        male = True

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    id_number = factory.LazyAttribute(lambda o: _id_for(o.born, o.male))
    sex = factory.LazyAttribute(lambda o: idcard.parse(o.id_number).sex)
    birth_date = factory.LazyAttribute(lambda o: idcard.parse(o.id_number).birth_date)
    relation = Member.Relation.HEAD


# --- Registry rules (issue 3) ------------------------------------------------------


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"类别{n}")
    extra_amount = Decimal("50.00")


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard

    town = factory.SubFactory(TownFactory)
    area = "农村"
    monthly_amount = Decimal("470.00")
    effective_from = date(2021, 1, 1)
    rounding = Rounding.FEN


class PropertyRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyRule

    town = factory.SubFactory(TownFactory)
    name = "住房不超过1套"
    kind = "住房"
    max_quantity = 1


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    household = factory.SubFactory(HouseholdFactory)
    kind = "住房"
    quantity = 1
    value = Decimal("50000.00")


class IncomeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncomeItem

    household = factory.SubFactory(HouseholdFactory)
    kind = IncomeItem.Kind.WAGE
    monthly_amount = Decimal("300.00")
