"""分类施保 per person (issue 14): criteria are office data, the supplement is the sum over the
covered, co-resident members who qualify, 就高 unless the town says 累加, rounding only on the base."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.benefit import benefit_for, benefit_month, supplement_changes
from households.models import Category, Member, MemberCategory, Rounding, SupplementRule
from households.policy import services as policy
from kanjia import demo
from review.dynamic import services as dynamic
from review.models import RecheckTrigger
from tests.factories import (
    CategoryFactory,
    HouseholdFactory,
    IncomeItemFactory,
    MemberFactory,
    StandardFactory,
    TownFactory,
)

pytestmark = pytest.mark.django_db
MAY = date(2021, 5, 1)
MAPPING = reverse("households:category_mapping")
CHANGES = reverse("households:supplement_changes")


def mapped(town, name, amount, **criteria):
    category = CategoryFactory(town=town, name=name, extra_amount=Decimal(amount))
    values = {"age_at_least": None, "age_under": None, "disability_grades": "", "serious_illness": False}
    values.update({"manual": False, **criteria})
    return policy.category_map(category=category, by=None, **values)


@pytest.fixture
def town():
    town = TownFactory()
    StandardFactory(town=town, area="农村", monthly_amount=Decimal("470.00"), effective_from=date(2021, 1, 1))
    return town


@pytest.fixture
def categories(town):
    return {
        "old": mapped(town, "老年", "50.00", age_at_least=60),
        "child": mapped(town, "未成年", "40.00", age_under=18),
        "severe": mapped(town, "重残重病", "80.00", disability_grades="1,2", serious_illness=True),
    }


@pytest.fixture
def household(town):
    h = HouseholdFactory(village__town=town, area="农村", covered_persons=4)
    MemberFactory(household=h, born=date(1950, 1, 1))  # 71: 老年
    MemberFactory(household=h, born=date(1985, 6, 1), relation=Member.Relation.SPOUSE, male=False)  # adult
    MemberFactory(household=h, born=date(2010, 2, 1), relation=Member.Relation.CHILD)  # 11: 未成年
    MemberFactory(
        household=h,
        born=date(1980, 1, 1),
        relation=Member.Relation.SIBLING,
        disability=Member.Disability.PHYSICAL,
        disability_grade=1,
    )
    return h


def test_the_supplement_is_the_sum_over_qualifying_members_not_category_times_persons(household, categories):
    c = benefit_for(household=household, month=MAY)
    assert c.per_person
    assert c.extra_amount == Decimal("170.00")  # 50 + 40 + 80; the adult spouse gets nothing
    names = {
        m.name: [cat.name for cat in cats]
        for m in household.members.all()
        for cats in [c.member_categories.get(m.pk, [])]
    }
    assert sorted(n for cats in names.values() for n in cats) == ["未成年", "老年", "重残重病"]


def test_not_covered_dead_and_moved_out_members_earn_no_supplement(household, categories):
    old, _spouse, child, disabled = household.members.order_by("pk")
    old.covered = False
    old.save()
    child.died_on = date(2021, 3, 1)
    child.save()
    disabled.moved_out_on = date(2021, 4, 1)
    disabled.save()
    assert benefit_for(household=household, month=MAY).extra_amount == Decimal("0.00")


def test_highest_category_only_unless_the_town_adds_them_up(household, categories, town):
    old = household.members.order_by("pk").first()
    old.health = Member.Health.SERIOUS
    old.save()
    c = benefit_for(household=household, month=MAY)
    assert c.member_extra[old.pk] == Decimal("80.00")  # 就高: 80, not 50 + 80
    assert "就高" in " ".join(line.note for line in c.steps)
    policy.town_supplement_rule_set(town=town, rule=SupplementRule.SUM, by=None)
    household.village.town.refresh_from_db()
    c = benefit_for(household=household, month=MAY)
    assert c.member_extra[old.pk] == Decimal("130.00")
    assert c.extra_amount == Decimal("250.00")


def test_age_is_taken_on_the_first_day_of_the_month(town, categories):
    h = HouseholdFactory(village__town=town, area="农村")
    MemberFactory(household=h, born=date(1961, 5, 15))  # turns 60 on 15 May
    assert benefit_for(household=h, month=MAY).extra_amount == Decimal("0.00")
    assert benefit_for(household=h, month=date(2021, 6, 1)).extra_amount == Decimal("50.00")


def test_manual_category_needs_a_reason_and_then_counts(town, household, categories, town_officer):
    manual = mapped(town, "人工认定困难", "30.00", manual=True)
    spouse = household.members.order_by("pk")[1]
    with pytest.raises(ValidationError) as exc:
        policy.member_category_grant(member=spouse, category=manual, reason="  ", by=town_officer)
    assert "理由" in str(exc.value)
    with pytest.raises(ValidationError):
        policy.member_category_grant(member=spouse, category=categories["old"], reason="年老", by=town_officer)
    policy.member_category_grant(member=spouse, category=manual, reason="独自照料残疾家人，入户核实", by=town_officer)
    assert benefit_for(household=household, month=MAY).member_extra[spouse.pk] == Decimal("30.00")


def test_an_unmapped_active_category_keeps_the_old_household_rule(town, household, categories):
    legacy = CategoryFactory(town=town, name="未设置", extra_amount=Decimal("20.00"))
    household.category = legacy
    c = benefit_for(household=household, month=MAY)
    assert not c.per_person
    assert c.extra_amount == Decimal("80.00")  # 20 × 4 covered, as before mapping
    assert "尚未全部设置适用条件" in " ".join(line.note for line in c.steps)
    assert supplement_changes(month=MAY) == []  # nothing is listed before every category is mapped


def test_rounding_applies_to_the_base_and_never_to_the_supplement(town, household):
    standard = town.standards.get()
    standard.rounding = Rounding.YUAN
    standard.save()
    mapped(town, "老年", "33.33", age_at_least=60)
    mapped(town, "未成年", "33.34", age_under=18)
    mapped(town, "重残", "0.01", disability_grades="1")
    IncomeItemFactory(household=household, monthly_amount=Decimal("301.00"))  # per capita 75.25
    c = benefit_for(household=household, month=MAY)
    assert c.base_amount == Decimal("1579.00")  # (470 − 75.25) × 4 = 1579.00
    assert c.extra_amount == Decimal("66.68")  # 33.33 + 33.34 + 0.01, not rounded to a yuan
    standard.rounding = Rounding.JIAO
    standard.save()
    IncomeItemFactory(household=household, monthly_amount=Decimal("0.50"))  # per capita 75.375 → 75.38
    c = benefit_for(household=household, month=MAY)
    assert c.base_amount == Decimal("1578.50")  # (470 − 75.38) × 4 = 1578.48 → 1578.5
    assert c.extra_amount == Decimal("66.68")


def test_benefit_month_is_the_month_after_the_decision():
    assert benefit_month(date(2021, 5, 31)) == date(2021, 6, 1)
    assert benefit_month(date(2021, 12, 3)) == date(2022, 1, 1)


def test_mapping_page_refuses_a_category_without_criteria_and_saves_one(client, town_officer, town):
    category = CategoryFactory(town=town, name="待设置", extra_amount=Decimal("45.00"))
    client.force_login(town_officer)
    page = client.get(MAPPING)
    assert "尚未设置适用条件" in page.content.decode()
    prefix = f"c{category.pk}-"
    response = client.post(MAPPING, {"action": "map", "category": category.pk, prefix + "extra_amount": "45"})
    assert response.status_code == 400
    assert "请至少设置一项适用条件" in response.content.decode()
    category.refresh_from_db()
    assert category.mapped_at is None
    response = client.post(
        MAPPING,
        {"action": "map", "category": category.pk, prefix + "extra_amount": "45", prefix + "age_at_least": "70"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.mapped_at is not None and category.age_at_least == 70
    assert category.history.first().history_user == town_officer
    response = client.post(MAPPING, {"action": "rule", "rule": SupplementRule.SUM}, follow=True)
    assert "累加：符合多个类别的，各类加发金额相加" in response.content.decode()


def test_mapping_page_is_read_only_for_the_district_and_closed_to_teams(client, district_officer, team_member_a, town):
    category = CategoryFactory(town=town)
    client.force_login(district_officer)
    assert client.get(MAPPING).status_code == 200
    data = {
        "action": "map",
        "category": category.pk,
        f"c{category.pk}-extra_amount": "1",
        f"c{category.pk}-nobody": "on",
    }
    assert client.post(MAPPING, data).status_code == 403
    client.force_login(team_member_a)
    assert client.get(MAPPING).status_code == 403
    assert client.get(CHANGES).status_code == 403


def test_changed_households_are_listed_and_exported_and_payment_does_not_move(
    client, town_officer, household, categories
):
    household.extra_amount = Decimal("200.00")  # paid the old way: 50 × 4
    household.save()
    client.force_login(town_officer)
    page = client.get(CHANGES).content.decode()
    assert household.head_name in page and "170.00" in page and "-30.00" in page
    response = client.get(CHANGES + "?format=xlsx")
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert rows[1][1:5] == (household.head_name, 200, 170, -30)
    household.refresh_from_db()
    assert household.extra_amount == Decimal("200.00")


def test_a_qualification_that_changes_by_itself_raises_one_recheck_trigger(town, categories):
    h = HouseholdFactory(village__town=town, area="农村")
    MemberFactory(household=h, born=date(1966, 2, 20))  # 60 on 20 Feb 2026: counts from March
    today = date(2026, 3, 10)
    assert dynamic.collect_triggers(today=date(2026, 2, 10)) == 0
    assert dynamic.collect_triggers(today=today) == 1
    assert dynamic.collect_triggers(today=today) == 0
    trigger = RecheckTrigger.objects.get(household=h)
    assert trigger.reason == RecheckTrigger.Reason.SUPPLEMENT
    assert "50.00" in trigger.detail
    h.refresh_from_db()
    assert h.extra_amount == Decimal("0.00")  # the payment waits for the decision


def test_the_demo_categories_come_mapped():
    town = demo.load_places()
    for name in demo.CATEGORY_CRITERIA:
        assert Category.objects.get(town=town, name=name).mapped_at is not None
    assert Category.objects.get(town=town, name="二类(老年未成年)").criteria_text == "年满 70 岁或未满 18 岁"
    assert not MemberCategory.objects.exists()
    assert timezone.localdate()


def test_the_district_reads_the_changes_town_by_town(
    client, district_officer, town_officer, household, categories, other_town
):
    """At 100,000 households the district's list took 12 s: it now lists the towns first."""
    household.extra_amount = Decimal("200.00")
    household.save()
    east = mapped(other_town, "老年", "50.00", age_at_least=60).town
    far = HouseholdFactory(village=other_town.villages.get(), area="农村", head_name="钱东", extra_amount=Decimal("9"))
    MemberFactory(household=far, born=date(1950, 1, 1))
    client.force_login(district_officer)
    page = client.get(CHANGES).content.decode()
    assert 'id="town-list"' in page and household.head_name not in page and "钱东" not in page
    assert "请先选择乡镇(街道)" in client.get(CHANGES + "?format=xlsx", follow=True).content.decode()
    page = client.get(CHANGES, {"town": household.village.town_id}).content.decode()
    assert household.head_name in page and "钱东" not in page
    page = client.get(CHANGES, {"town": east.pk}).content.decode()
    assert "钱东" in page and household.head_name not in page
    rows = list(load_workbook(BytesIO(client.get(CHANGES, {"town": east.pk, "format": "xlsx"}).content)).active.values)
    assert [row[1] for row in rows[1:]] == ["钱东"]
    # A town office reads its own town as before; another town's is a 404.
    client.force_login(town_officer)
    assert household.head_name in client.get(CHANGES).content.decode()
    assert client.get(CHANGES, {"town": east.pk}).status_code == 404
