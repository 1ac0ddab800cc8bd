"""Reads of the registry, every one scoped by the user's villages.

`villages_visible_to` is the single source of truth for what a user may see:
every list, search, export, print job and download goes through it (or through
a selector built on it). Town-wide roles see every village; village review
teams see the villages their team's Django group holds `view_village` on
(guardian, direct-FK tables); anyone else sees nothing.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum
from guardian.shortcuts import get_objects_for_user

from households.models import Household, Member, ReviewFlag, Village
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


def villages_visible_to(*, user: User) -> QuerySet[Village]:
    if not user.is_authenticated or not user.is_active:
        return Village.objects.none()
    if roles.has_role(user, *roles.TOWN_WIDE_READERS):
        return Village.objects.all()
    return get_objects_for_user(
        user,
        "households.view_village",
        klass=Village,
        use_groups=True,
        with_superuser=False,
        accept_global_perms=False,
    )


def villages_changeable_by(*, user: User) -> QuerySet[Village]:
    """Villages whose registry data the user may change (inspectors: none)."""
    if not user.is_authenticated or not user.is_active or roles.is_read_only(user):
        return Village.objects.none()
    if roles.has_role(user, roles.TOWN_OFFICE):
        return Village.objects.all()
    return get_objects_for_user(
        user,
        "households.change_village",
        klass=Village,
        use_groups=True,
        with_superuser=False,
        accept_global_perms=False,
    )


def households_visible_to(*, user: User) -> QuerySet[Household]:
    return Household.objects.filter(village__in=villages_visible_to(user=user))


def households_changeable_by(*, user: User) -> QuerySet[Household]:
    return Household.objects.filter(village__in=villages_changeable_by(user=user))


def members_visible_to(*, user: User) -> QuerySet[Member]:
    return Member.objects.filter(household__village__in=villages_visible_to(user=user))


def flags_visible_to(*, user: User) -> QuerySet[ReviewFlag]:
    return ReviewFlag.objects.filter(household__village__in=villages_visible_to(user=user))


def can_change_village(*, user: User, village_id: int) -> bool:
    return villages_changeable_by(user=user).filter(pk=village_id).exists()


def dashboard_counts(*, user: User) -> dict:
    """Headline figures for the dashboard, within the user's villages (3 queries)."""
    households = households_visible_to(user=user)
    active = Q(status=Household.Status.ACTIVE)
    figures = households.aggregate(
        households=Count("id"),
        active=Count("id", filter=active),
        applying=Count("id", filter=Q(status=Household.Status.APPLYING)),
        persons=Sum("covered_persons", filter=active),
        base=Sum("base_amount", filter=active),
        extra=Sum("extra_amount", filter=active),
    )
    figures["villages"] = villages_visible_to(user=user).count()
    figures["open_flags"] = flags_visible_to(user=user).filter(disposition=ReviewFlag.Disposition.PENDING).count()
    figures["monthly_total"] = (figures.pop("base") or 0) + (figures.pop("extra") or 0)
    figures["persons"] = figures["persons"] or 0
    return figures
