"""Household writes: one transaction, version check, derived fields, history user."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from households import idcard
from households.models import Household, IncomeItem, Member, ReviewFlag
from households.services import HouseholdInput, household_create, household_update
from tests.factories import MemberFactory, StandardFactory, VillageFactory, VillageGroupFactory

pytestmark = pytest.mark.django_db


def member_row(name: str, born: date, *, male: bool = True, relation: str = "户主", **extra) -> dict:
    return {
        "id": None,
        "name": name,
        "id_number": idcard.generate(born=born, male=male),
        "relation": relation,
        **extra,
    }


@pytest.fixture
def village():
    v = VillageFactory()
    StandardFactory(town=v.town)
    return v


def create(village, by, **kw) -> Household:
    data = HouseholdInput(
        fields={"village": village, "area": "农村", "address": "1组"},
        members=kw.get("members") or [member_row("王大田", date(1955, 6, 1))],
        assets=kw.get("assets", []),
        incomes=kw.get("incomes", []),
    )
    return household_create(data=data, by=by)


def test_create_derives_sex_birth_head_and_history_user(village, town_officer):
    h = create(
        village,
        town_officer,
        members=[
            member_row("王大田", date(1955, 6, 1)),
            member_row("刘小花", date(1958, 2, 3), male=False, relation="配偶"),
        ],
        incomes=[{"id": None, "kind": IncomeItem.Kind.WAGE, "monthly_amount": Decimal("200"), "counted": True}],
    )
    assert h.status == Household.Status.APPLYING
    assert h.head_name == "王大田" and h.head.name == "王大田"
    assert h.covered_persons == 2
    spouse = h.members.get(name="刘小花")
    assert (spouse.sex, spouse.birth_date) == ("女", date(1958, 2, 3))
    assert h.history.first().history_user == town_officer
    assert spouse.history.first().history_user == town_officer


def test_update_keeps_id_when_left_blank_and_bumps_version(village, town_officer):
    h = create(village, town_officer)
    head = h.members.get()
    number = head.id_number
    data = HouseholdInput(
        fields={"address": "2组"},
        members=[{"id": head.pk, "name": "王大天", "id_number": "", "relation": "户主"}],
    )
    h = household_update(household=h, version=1, data=data, by=town_officer)
    head.refresh_from_db()
    assert (head.id_number, head.name, h.head_name, h.version, h.address) == (number, "王大天", "王大天", 2, "2组")


def test_stale_version_is_refused_with_chinese_message(village, town_officer):
    h = create(village, town_officer)
    head = h.members.get()
    rows = [{"id": head.pk, "name": "甲", "relation": "户主"}]
    household_update(household=h, version=1, data=HouseholdInput(fields={}, members=rows), by=town_officer)
    with pytest.raises(ValidationError) as exc:
        household_update(
            household=h, version=1, data=HouseholdInput(fields={"address": "x"}, members=rows), by=town_officer
        )
    assert "已被他人修改" in exc.value.messages[0]
    h.refresh_from_db()
    assert h.address == "1组"


def test_invalid_member_saves_nothing(village, town_officer):
    bad = member_row("赵二", date(1990, 1, 1), relation="子女")
    bad["id_number"] = bad["id_number"][:17] + ("0" if bad["id_number"][17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        create(village, town_officer, members=[member_row("王大田", date(1955, 6, 1)), bad])
    assert "赵二：身份证号码校验码不正确" in exc.value.messages[0]
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_duplicate_id_in_household_and_in_other_household(village, town_officer):
    other = MemberFactory(household__village=village, born=date(1970, 1, 1))
    row = member_row("王大田", date(1955, 6, 1))
    twin = {**row, "name": "王二田", "relation": "子女"}
    with pytest.raises(ValidationError) as exc:
        create(village, town_officer, members=[row, twin])
    assert "在本户中重复登记" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        create(village, town_officer, members=[{**row, "id_number": other.id_number}])
    assert "已是" in exc.value.messages[0] and "在册成员" in exc.value.messages[0]
    assert other.id_number not in exc.value.messages[0]  # masked


def test_group_must_belong_to_village(village, town_officer):
    foreign = VillageGroupFactory()
    with pytest.raises(ValidationError) as exc:
        household_create(
            data=HouseholdInput(
                fields={"village": village, "group": foreign}, members=[member_row("王", date(1960, 1, 1))]
            ),
            by=town_officer,
        )
    assert "组不属于" in exc.value.messages[0]


def test_removing_member_removes_their_incomes_and_flags_follow_data(village, town_officer):
    h = create(
        village,
        town_officer,
        members=[member_row("王大田", date(1955, 6, 1)), member_row("王小", date(1990, 1, 1), relation="子女")],
    )
    child = h.members.get(name="王小")
    head = h.head
    rows = [{"id": head.pk, "relation": "户主"}, {"id": child.pk, "relation": "子女"}]
    incomes = [{"id": None, "member": child, "kind": IncomeItem.Kind.UNEMPLOYMENT, "monthly_amount": Decimal("900")}]
    h = household_update(
        household=h, version=1, data=HouseholdInput(fields={}, members=rows, incomes=incomes), by=town_officer
    )
    assert h.flags.filter(kind=ReviewFlag.Kind.UNEMPLOYMENT).exists()
    rows[1]["delete"] = True
    h = household_update(household=h, version=2, data=HouseholdInput(fields={}, members=rows), by=town_officer)
    assert list(h.members.values_list("name", flat=True)) == ["王大田"]
    assert not IncomeItem.objects.filter(household=h).exists()
    assert h.covered_persons == 1


def test_exactly_one_head(village, town_officer):
    with pytest.raises(ValidationError) as exc:
        create(village, town_officer, members=[member_row("甲", date(1960, 1, 1), relation="配偶")])
    assert "有且只有一名在册户主" in exc.value.messages[0]
