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
    """Money with two decimals; a count of persons (int) as it is."""
    if amount is None:
        return ""
    return str(amount) if isinstance(amount, int) else f"{amount:,.2f}"
