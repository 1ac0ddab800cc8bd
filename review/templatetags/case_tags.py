"""The household page's 审核案件 box: the household's cases and the 登记新申请 button."""

from django import template

from households.models import Household
from review.cases.campaigns import application_refusal
from review.cases.selectors import OPEN_STATUSES, household_cases

register = template.Library()


@register.inclusion_tag("review/cases/_household_box.html", takes_context=True)
def household_cases_box(context, household: Household) -> dict:
    user = context["request"].user
    cases = list(household_cases(user=user, household=household)[:20])
    has_open = any(c.status in OPEN_STATUSES for c in cases)
    can_apply = (
        household.status != Household.Status.ACTIVE
        and not has_open
        and application_refusal(user=user, household=household) is None
    )
    return {"household": household, "cases": cases, "can_apply": can_apply}
