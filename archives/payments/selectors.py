"""Reads of the payment rolls (发放花名册): town-level financial records, scoped by town."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from archives.models import PaymentRoll
from households.selectors import towns_visible_to
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


def can_read_rolls(*, user: User) -> bool:
    """Payment rolls are town-level financial records: town office, district and inspectors."""
    return roles.reads_whole_town(user)


def can_generate_rolls(*, user: User) -> bool:
    return bool(user.is_authenticated and roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user))


def rolls_visible_to(*, user: User) -> QuerySet[PaymentRoll]:
    if not can_read_rolls(user=user):
        return PaymentRoll.objects.none()
    return PaymentRoll.objects.filter(town__in=towns_visible_to(user=user)).select_related("generated_by", "town")
