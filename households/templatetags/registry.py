"""Template filters for the registry pages."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from households import idcard
from households.towns.forms import VillageChoiceField
from kanjia.forms import option_tag

register = template.Library()


@register.filter
def masked(number: str) -> str:
    """Show an ID number or bank account as 512002********1234."""
    return idcard.mask(number or "")


@register.filter
def signed_yuan(amount) -> str:
    """Money with two decimals; a count of persons (int) as it is."""
    if amount is None:
        return ""
    return str(amount) if isinstance(amount, int) else f"{amount:,.2f}"


@register.simple_tag
def select_options(bound_field) -> str:
    """<option> tags for a filter select, built in Python.

    Django's widget templates render each option through two included
    templates; on the register list that was most of the page's time.
    """
    current = "" if bound_field.errors else str(bound_field.value() or "")  # an ignored filter is not shown as chosen
    field = bound_field.field
    if not hasattr(field, "queryset"):
        choices = [(value, label, "") for value, label in field.choices]
    elif isinstance(field, VillageChoiceField):
        choices = list(field.choices)  # a district account's villages, one <optgroup> per town
    else:
        # Iterating the queryset directly avoids ModelChoiceIterator's server-side cursor round trips.
        # A select filtered by another (组 by 村, static/js/app.js) marks each option with its village.
        by_village = "data-filter-by" in field.widget.attrs
        choices = [
            ("", field.empty_label, ""),
            *((obj.pk, field.label_from_instance(obj), obj.village_id if by_village else "") for obj in field.queryset),
        ]

    # f-strings with escape(): format_html per option was a third of this tag's time at 493 villages.
    def option(value, label, village="") -> str:
        if isinstance(label, list):
            return f'<optgroup label="{escape(value)}">{"".join(option(*choice) for choice in label)}</optgroup>'
        marked = f' data-village="{escape(village)}"' if village != "" else ""
        return option_tag(value, label, selected=str(value) == current, extra=marked)

    return mark_safe("".join(option(*choice) for choice in choices))  # noqa: S308 (every value is escaped)
