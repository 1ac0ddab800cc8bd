"""Re-check rhythm: classification, the town's rules, due dates."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from households.models import IncomeItem, Member
from review.dynamic import services as dynamic
from review.models import Case, HouseholdRhythm, RecheckRule, Situation, Status
from tests.dynamic.conftest import elderly_household, working_household
from tests.factories import HouseholdFactory, IncomeItemFactory, MemberFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


def rhythm_of(household) -> HouseholdRhythm:
    return HouseholdRhythm.objects.get(household=household)


def test_add_months_clamps_to_the_month_end():
    assert dynamic.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert dynamic.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert dynamic.add_months(date(2025, 1, 1), 12) == date(2026, 1, 1)


def test_stable_household_is_checked_yearly_and_unstable_every_six_months(village_a):
    stable = elderly_household(village_a, start=date(2025, 6, 1))
    unstable = working_household(village_a, start=date(2025, 6, 1))

    result = dynamic.assign_rhythms(today=TODAY)

    assert result.created == 2
    assert rhythm_of(stable).situation == Situation.STABLE
    assert rhythm_of(stable).interval_months == 12
    assert rhythm_of(stable).next_due == date(2026, 6, 1)
    assert "无劳动年龄收入者" in rhythm_of(stable).reason
    assert rhythm_of(unstable).situation == Situation.UNSTABLE
    assert rhythm_of(unstable).interval_months == 6
    assert rhythm_of(unstable).next_due == date(2025, 12, 1)
    assert "有劳动能力成员" in rhythm_of(unstable).reason


def test_severely_disabled_or_seriously_ill_working_age_members_do_not_make_a_household_unstable(village_a):
    household = HouseholdFactory(village=village_a, start_month=date(2025, 1, 1))
    MemberFactory(household=household, born=date(1980, 1, 1), disability="肢体", disability_grade=1)
    MemberFactory(household=household, born=date(1982, 1, 1), health=Member.Health.SERIOUS, male=False)
    MemberFactory(household=household, born=date(2012, 1, 1), is_student=True)  # a pupil, not an earner

    dynamic.assign_rhythms(today=TODAY)

    assert rhythm_of(household).situation == Situation.STABLE


def test_wage_income_makes_an_elderly_household_unstable(village_a):
    household = elderly_household(village_a)
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("200"))

    dynamic.assign_rhythms(today=TODAY)

    assert rhythm_of(household).situation == Situation.UNSTABLE
    assert "工资性或经营性收入" in rhythm_of(household).reason


def test_the_town_switches_on_s12_monthly_urban_and_quarterly_rural_rows(village_a, town_officer):
    rural = working_household(village_a, area="农村")
    urban = working_household(village_a, area="城市")
    rules = {(r.situation, r.area): r for r in dynamic.ensure_default_rules(town=village_a.town)}
    # Seeded inactive: S21 (yearly / half-yearly) is the baseline.
    assert not rules[(Situation.UNSTABLE, "城市")].active
    dynamic.rule_update(rule=rules[(Situation.UNSTABLE, "城市")], interval_months=1, active=True, by=town_officer)
    dynamic.rule_update(rule=rules[(Situation.UNSTABLE, "农村")], interval_months=3, active=True, by=town_officer)

    dynamic.assign_rhythms(today=TODAY)

    assert (rhythm_of(urban).interval_months, rhythm_of(urban).next_due) == (1, date(2025, 2, 1))
    assert (rhythm_of(rural).interval_months, rhythm_of(rural).next_due) == (3, date(2025, 4, 1))
    assert rhythm_of(urban).rule.label == "城市按月核查"


def test_only_the_town_office_sets_rules(village_a, team_member_a, inspector):
    rule = dynamic.ensure_default_rules(town=village_a.town)[0]
    for user in (team_member_a, inspector):
        with pytest.raises(PermissionDenied):
            dynamic.rule_update(rule=rule, interval_months=3, active=True, by=user)


def test_rule_interval_out_of_range_is_refused_in_chinese(village_a, town_officer):
    rule = dynamic.ensure_default_rules(town=village_a.town)[0]
    with pytest.raises(ValidationError) as exc:
        dynamic.rule_update(rule=rule, interval_months=13, active=True, by=town_officer)
    assert "1 至 12 个月" in str(exc.value)


def test_seeding_rules_twice_adds_nothing(village_a):
    dynamic.ensure_default_rules(town=village_a.town)
    dynamic.ensure_default_rules(town=village_a.town)
    assert RecheckRule.objects.filter(town=village_a.town).count() == len(dynamic.DEFAULT_RULES)


def test_next_due_counts_from_the_last_finished_recheck(village_a):
    household = elderly_household(village_a, start=date(2020, 1, 1))
    case = Case.objects.create(household=household, kind=Case.Kind.RECHECK, status=Status.DONE)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.make_aware(datetime(2025, 9, 20, 10)))

    dynamic.assign_rhythms(today=TODAY)

    assert rhythm_of(household).last_checked_on == date(2025, 9, 20)
    assert rhythm_of(household).next_due == date(2026, 9, 20)


def test_reassigning_writes_only_changed_rows(village_a, django_assert_max_num_queries):
    household = elderly_household(village_a)
    for _ in range(5):
        elderly_household(village_a)
    dynamic.assign_rhythms(today=TODAY)
    MemberFactory(household=household, born=date(1990, 1, 1))  # now someone can work

    result = dynamic.assign_rhythms(today=TODAY)

    assert (result.updated, result.unchanged) == (1, 5)
    assert rhythm_of(household).interval_months == 6
    assert rhythm_of(household).history.count() == 2
    with django_assert_max_num_queries(12):
        dynamic.assign_rhythms(today=TODAY)
