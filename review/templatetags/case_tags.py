"""The household page's 审核案件 box: the household's cases and the 登记新申请 button."""

from django import template

from households.models import Household
from review.cases.campaigns import application_refusal
from review.cases.selectors import OPEN_STATUSES, case_list_url, household_cases

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


@register.simple_tag
def cases_url(**filters) -> str:
    """The filtered case list (the campaign dashboard's counts link there)."""
    return case_list_url(**filters)


@register.filter
def slice_at(values, index: int):
    """values[index] (templates have no item access by a variable index)."""
    return values[index]
