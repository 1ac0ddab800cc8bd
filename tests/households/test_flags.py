"""The automatic key-review flags 1–8, manual flags and their disposition."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from households.flags import dispose_flag, evaluate_flags, raise_manual_flag
from households.models import IncomeItem, Member, ReviewFlag
from tests.factories import AssetFactory, HouseholdFactory, IncomeItemFactory, MemberFactory, StandardFactory

pytestmark = pytest.mark.django_db
Kind = ReviewFlag.Kind


@pytest.fixture
def household():
    h = HouseholdFactory()
    StandardFactory(town=h.village.town)
    MemberFactory(household=h, name="张大山")
    return h


def kinds(household) -> list[int]:
    return sorted(household.flags.values_list("kind", flat=True))


def test_clean_household_raises_nothing(household, town_officer):
    assert evaluate_flags(household=household, by=town_officer) == []


def test_deceased_member(household, town_officer):
    m = MemberFactory(household=household, relation=Member.Relation.SPOUSE, name="李秀英")
    m.died_on = date(2021, 4, 2)
    m.save()
    (flag,) = evaluate_flags(household=household, by=town_officer)
    assert flag.kind == Kind.DECEASED
    assert flag.member == m
    assert flag.reason == "成员李秀英已于2021-04-02死亡。"
    assert flag.raised_by == town_officer
    assert flag.history.first().history_user == town_officer


def test_counted_pension_but_not_basic_pension(household, town_officer):
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.BASIC_PENSION, monthly_amount=Decimal("100"))
    assert evaluate_flags(household=household, by=town_officer) == []
    member = household.members.get()
    IncomeItemFactory(household=household, member=member, kind=IncomeItem.Kind.PENSION, monthly_amount=Decimal("200"))
    (flag,) = evaluate_flags(household=household, by=town_officer)
    assert flag.kind == Kind.PENSION
    assert "张大山领取养老金 200.00 元/月" in flag.reason


def test_a_pension_not_counted_as_income_still_raises_category_2(household, town_officer):
    """Counting (S21§13) and flagging (seed category 2) are separate questions (issue 14)."""
    IncomeItemFactory(
        household=household, kind=IncomeItem.Kind.BASIC_PENSION, monthly_amount=Decimal("100"), counted=False
    )
    member = household.members.get()
    IncomeItemFactory(
        household=household, member=member, kind=IncomeItem.Kind.PENSION, monthly_amount=Decimal("900"), counted=False
    )
    (flag,) = evaluate_flags(household=household, by=town_officer)
    assert flag.kind == Kind.PENSION
    assert "领取养老金 900.00 元/月（登记为不计入家庭收入）" in flag.reason


def test_unemployment_insurance(household, town_officer):
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.UNEMPLOYMENT, monthly_amount=Decimal("300"))
    assert kinds(household) == [] and [f.kind for f in evaluate_flags(household=household, by=town_officer)] == [
        Kind.UNEMPLOYMENT
    ]


def test_provident_fund(household, town_officer):
    Member.objects.filter(household=household).update(pays_provident_fund=True)
    evaluate_flags(household=household, by=town_officer)
    assert kinds(household) == [Kind.PROVIDENT_FUND]
    assert "住房公积金" in household.flags.get().reason


@pytest.mark.parametrize("kind", ["小轿车", "货车", "客车"])
def test_vehicle(household, town_officer, kind):
    AssetFactory(household=household, kind=kind, description="川M12345")
    evaluate_flags(household=household, by=town_officer)
    assert kinds(household) == [Kind.VEHICLE]
    assert kind in household.flags.get().reason


@pytest.mark.parametrize("kind", ["营业用房", "车库", "仓库"])
def test_premises(household, town_officer, kind):
    AssetFactory(household=household, kind=kind)
    evaluate_flags(household=household, by=town_officer)
    assert kinds(household) == [Kind.PROPERTY]


def test_two_homes_but_not_one(household, town_officer):
    AssetFactory(household=household, kind="住房", quantity=1)
    assert evaluate_flags(household=household, by=town_officer) == []
    AssetFactory(household=household, kind="住房", quantity=1)
    (flag,) = evaluate_flags(household=household, by=town_officer)
    assert flag.kind == Kind.PROPERTY and "住房 2 套" in flag.reason


def test_moved_out_and_graduate_employed(household, town_officer):
    MemberFactory(household=household, relation=Member.Relation.CHILD, moved_out_on=date(2021, 1, 5), name="张小")
    MemberFactory(household=household, relation=Member.Relation.CHILD, employment="毕业就业", name="张二")
    flags = evaluate_flags(household=household, by=town_officer)
    assert [f.kind for f in flags] == [Kind.MOVED, Kind.MOVED]
    assert {f.reason for f in flags} == {"成员张小已于2021-01-05迁出。", "成员张二毕业后已就业。"}


def test_income_at_or_above_standard(household, town_officer):
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("470.00"))
    (flag,) = evaluate_flags(household=household, by=town_officer)
    assert flag.kind == Kind.INCOME
    assert "470.00 元，达到或超过保障标准 470.00 元" in flag.reason


def test_re_evaluation_is_idempotent(household, town_officer):
    AssetFactory(household=household, kind="小轿车")
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.UNEMPLOYMENT, monthly_amount=Decimal("900"))
    assert len(evaluate_flags(household=household, by=town_officer)) == 3  # vehicle, unemployment, income ≥ std
    assert evaluate_flags(household=household, by=town_officer) == []
    assert household.flags.count() == 3


def test_manual_flag_needs_a_reason(household, town_officer):
    with pytest.raises(ValidationError) as exc:
        raise_manual_flag(household=household, kind=Kind.OTHER, reason=" ", by=town_officer)
    assert "原因" in str(exc.value)
    flag = raise_manual_flag(household=household, kind=Kind.OTHER, reason="邻居反映常年在外务工", by=town_officer)
    assert flag.source == ReviewFlag.Source.MANUAL and flag.is_open


def test_disposition_needs_a_note_and_records_who_and_when(household, town_officer):
    flag = raise_manual_flag(household=household, kind=Kind.OTHER, reason="群众举报", by=town_officer)
    with pytest.raises(ValidationError) as exc:
        dispose_flag(flag=flag, disposition="核实无误", note="", by=town_officer)
    assert "核实说明" in str(exc.value)
    flag.refresh_from_db()
    assert flag.is_open
    dispose_flag(flag=flag, disposition="需调整", note="入户核实有务工收入", by=town_officer)
    flag.refresh_from_db()
    assert flag.disposition == "需调整"
    assert flag.disposed_by == town_officer and flag.disposed_at is not None
    assert flag.history.first().history_user == town_officer
