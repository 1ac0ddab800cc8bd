"""Dynamic-management boxes shown on other apps' pages (worklist, household detail)."""

from django import template

from review.dynamic import selectors as dynamic_selectors
from review.models import HouseholdRhythm

register = template.Library()


@register.inclusion_tag("review/dynamic/_due_section.html", takes_context=True)
def due_rechecks_section(context) -> dict:
    """The user's open 定期核查 cases (their villages), overdue first-class citizens of the worklist."""
    user = context["request"].user
    rechecks = dynamic_selectors.open_rechecks(user=user)
    return {"rechecks": rechecks[:20], "total": rechecks.count(), "overdue": rechecks.filter(overdue=True).count()}


@register.inclusion_tag("review/dynamic/_household_box.html")
def household_dynamic_box(household) -> dict:
    """Next scheduled re-check and the grace period's end month on the household page."""
    return {
        "household": household,
        "rhythm": HouseholdRhythm.objects.filter(household=household).first(),
        "grace": dynamic_selectors.current_grace(household=household),
    }
