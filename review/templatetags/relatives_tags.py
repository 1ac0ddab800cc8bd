from django import template

from kanjia import roles
from review.relatives.services import gate_enabled, has_declaration

register = template.Library()


@register.simple_tag
def declaration_missing(user) -> bool:
    """True when the declaration gate would refuse `user` (the case page says why)."""
    if not user.is_authenticated or roles.is_read_only(user) or not gate_enabled():
        return False
    return not has_declaration(user=user)
