"""TEMPORARY stand-in for the lead's Town boundary (issue 19), removed when main has it.

Same contract as the coming `households.selectors.towns_visible_to` / `is_district_wide`.
Until then a town office still sees the one town of today's deployment (every town).
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from households.models import Town
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


def towns_visible_to(*, user: User) -> QuerySet[Town]:
    if not roles.reads_whole_town(user):
        return Town.objects.none()
    return Town.objects.all()


def is_district_wide(*, user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and roles.has_role(user, roles.DISTRICT))
