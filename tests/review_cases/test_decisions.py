"""Decisions start from the computation (issue 14): 镇审核 and 区审批 are prefilled with the
computed amounts for the benefit month; a paying decision that departs from the computation, or
keeps a household at or above the standard or failing a property rule, needs a 特殊情形说明;
the case page shows computed and decided side by side; the inspector's report lists each one."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Asset, IncomeItem, Member, ReviewFlag
from households.policy import services as policy
from review.cases.workflow import TransitionInvalid, case_advance
from review.models import Case, DistrictApproval, Status, TownReview
from tests.factories import (
    AssetFactory,
    CategoryFactory,
    IncomeItemFactory,
    MemberFactory,
    PropertyRuleFactory,
    StandardFactory,
)
from tests.review_cases.conftest import district_data, drive, town_data

pytestmark = pytest.mark.django_db
KEEP, ADJUST = Case.Outcome.KEEP, Case.Outcome.ADJUST


@pytest.fixture
def computed_household(household, village_a):
    """张三 (66) and a working spouse: per capita 150, base (470 − 150) × 2 = 640; 老年 50 for 张三."""
    town = village_a.town
    StandardFactory(town=town, area="农村", monthly_amount=Decimal("470.00"), effective_from=date(2021, 1, 1))
    category = CategoryFactory(town=town, name="老年", extra_amount=Decimal("50.00"))
    criteria = {"age_under": None, "disability_grades": "", "serious_illness": False, "manual": False}
    policy.category_map(category=category, by=None, age_at_least=60, **criteria)
    MemberFactory(household=household, name="李四", born=date(1990, 4, 4), male=False, relation=Member.Relation.SPOUSE)
    IncomeItemFactory(household=household, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("300.00"))
    return household


def at_town_review(case, crew):
    return drive(case, Status.TOWN_REVIEW, crew)


def test_forms_are_prefilled_from_the_computation_and_the_page_shows_both(
    client, case, crew, town_officer, district_officer, computed_household
):
    case = at_town_review(case, crew)
    client.force_login(town_officer)
    page = client.get(reverse("review:case_detail", args=[case.pk]))
    assert page.context["form"].initial["proposed_amount"] == Decimal("690.00")
    assert "系统计算与决定" in page.content.decode()
    case = case_advance(
        case=case,
        action="town_review",
        by=town_officer,
        data=town_data(proposed_outcome=ADJUST, proposed_amount=Decimal("690.00"), special_reason=""),
    )
    client.force_login(district_officer)
    page = client.get(reverse("review:case_detail", args=[case.pk]))
    initial = page.context["form"].initial
    assert (initial["base_amount"], initial["extra_amount"]) == (Decimal("640.00"), Decimal("50.00"))


def test_a_decision_that_follows_the_computation_needs_no_reason(
    case, crew, town_officer, district_officer, computed_household
):
    case = at_town_review(case, crew)
    data = town_data(proposed_outcome=ADJUST, proposed_amount=Decimal("690.00"), special_reason="")
    case = case_advance(case=case, action="town_review", by=town_officer, data=data)
    data = district_data(
        outcome=ADJUST, base_amount=Decimal("640.00"), extra_amount=Decimal("50.00"), special_reason=""
    )
    case = case_advance(case=case, action="approve", by=district_officer, data=data)
    approval = DistrictApproval.objects.get(case=case)
    assert (approval.computed_base, approval.computed_extra, approval.deviation) == (
        Decimal("640.00"),
        Decimal("50.00"),
        "",
    )
    computed_household.refresh_from_db()
    assert computed_household.monthly_total == Decimal("690.00")


def test_keeping_an_amount_other_than_the_computed_one_is_refused_without_a_reason(
    case, crew, town_officer, district_officer, computed_household
):
    case = at_town_review(case, crew)  # the household is paid 300, the computation says 690
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="town_review", by=town_officer, data=town_data(special_reason=""))
    message = exc.value.message_dict["special_reason"][0]
    assert "须填写特殊情形说明" in message and "计算为 690.00 元" in message
    assert not TownReview.objects.filter(case=case).exists()
    reason = "该户长期卧床，待区里统一调整后再按计算发放。"
    case = case_advance(case=case, action="town_review", by=town_officer, data=town_data(special_reason=reason))
    review = TownReview.objects.get(case=case)
    assert review.special_reason == reason and "690.00" in review.deviation
    data = district_data(
        outcome=ADJUST, base_amount=Decimal("600.00"), extra_amount=Decimal("50.00"), special_reason=""
    )
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="approve", by=district_officer, data=data)
    assert "决定月保障金 600.00 元、分类施保金 50.00 元，计算为 640.00 元、50.00 元" in str(exc.value)


@pytest.mark.parametrize(
    "make, words",
    [
        (
            lambda h: IncomeItemFactory(household=h, kind=IncomeItem.Kind.WAGE, monthly_amount=Decimal("700.00")),
            "达到或超过保障标准",
        ),
        (
            lambda h: (
                PropertyRuleFactory(town=h.village.town, name="小轿车不得拥有", kind=Asset.Kind.CAR, max_quantity=0),
                AssetFactory(household=h, kind=Asset.Kind.CAR),
            ),
            "财产不符合规定（小轿车不得拥有）",
        ),
    ],
)
def test_keeping_an_ineligible_household_needs_a_reason(case, crew, town_officer, computed_household, make, words):
    make(computed_household)
    case = at_town_review(case, crew)
    data = town_data(proposed_outcome=ADJUST, proposed_amount=Decimal("0.01"), special_reason="")
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="town_review", by=town_officer, data=data)
    assert words in exc.value.message_dict["special_reason"][0]
    # Stopping it follows the rules: no reason needed.
    data = town_data(proposed_outcome=Case.Outcome.STOP, special_reason="")
    assert case_advance(case=case, action="town_review", by=town_officer, data=data).status == Status.DISTRICT_APPROVAL


def test_the_district_form_refuses_a_deviation_in_chinese_and_keeps_the_input(
    client, case, crew, town_officer, district_officer, computed_household
):
    case = at_town_review(case, crew)
    data = town_data(proposed_outcome=ADJUST, proposed_amount=Decimal("690.00"))
    case = case_advance(case=case, action="town_review", by=town_officer, data=data)
    client.force_login(district_officer)
    url = reverse("review:case_stage", args=[case.pk, "district-approval"])
    post = {
        "decided_on": date.today().isoformat(),
        "outcome": ADJUST,
        "base_amount": "700",
        "extra_amount": "50",
        "opinion": "同意",
        "action": "approve",
    }
    response = client.post(url, post)
    body = response.content.decode()
    assert "须填写特殊情形说明" in body and 'value="700' in body
    case.refresh_from_db()
    assert case.status == Status.DISTRICT_APPROVAL


def test_the_inspector_report_lists_each_deviation_with_reason_and_who(
    client, case, crew, town_officer, district_officer, inspector, computed_household
):
    case = at_town_review(case, crew)
    reason = "该户长期卧床，待区里统一调整后再按计算发放。"
    case = case_advance(case=case, action="town_review", by=town_officer, data=town_data(special_reason=reason))
    client.force_login(inspector)
    body = client.get(reverse("audit:anomaly", args=["computation-deviations"])).content.decode()
    assert reason in body and "镇审核" in body and f"#{case.pk}" in body
    assert (town_officer.get_full_name() or town_officer.username) in body


def test_a_flag_disposed_need_to_exit_makes_the_outcome_a_stop_unless_the_decider_says_why(
    case, crew, town_officer, computed_household
):
    flag = ReviewFlag.objects.create(
        household=computed_household, kind=ReviewFlag.Kind.VEHICLE, source_key="asset:x", reason="家中有小轿车"
    )
    flag.disposition, flag.disposed_at, flag.note = ReviewFlag.Disposition.EXIT, timezone.now(), "核实属实"
    flag.save()
    case = at_town_review(case, crew)
    data = town_data(proposed_outcome=ADJUST, proposed_amount=Decimal("690.00"), special_reason="")
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="town_review", by=town_officer, data=data)
    assert "重点复核标记处理结论为“需退出”（5.家中有小轿车、货车、客车等机动车辆），应停保" in str(exc.value)
    stop = town_data(proposed_outcome=Case.Outcome.STOP, special_reason="")
    assert case_advance(case=case, action="town_review", by=town_officer, data=stop).status == Status.DISTRICT_APPROVAL
