"""factory_boy factories for test data. Extend here; keep signatures stable."""

import random
from datetime import date
from decimal import Decimal

import factory

from households import idcard
from households.models import Household, Member, Town, Village, VillageGroup

_rng = random.Random(20210518)


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
    return idcard.generate(born=born, male=male, rng=_rng)


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
