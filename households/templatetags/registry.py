"""Template filters for the registry pages."""

from django import template

from households import idcard

register = template.Library()


@register.filter
def masked(number: str) -> str:
    """Show an ID number or bank account as 512002********1234."""
    return idcard.mask(number or "")


@register.filter
def signed_yuan(amount) -> str:
    return "" if amount is None else f"{amount:,.2f}"
