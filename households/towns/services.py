"""Assigning accounts to towns (issue 19). Only here do town groups and their grants change.

Each town has one Django group ("乡镇:<code>") holding `households.view_town` on it; an account is
assigned to a town by joining that group. Group membership is not history-tracked, so the caller
(kanjia.accounts.services) records every assignment as an `AccountEvent`/`RoleChange` row.
"""

from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from households.models import Town
from households.selectors import forget_scope_cache


def town_group(*, town: Town) -> Group:
    """The town's group, created with its grant on first use (idempotent)."""
    group, created = Group.objects.get_or_create(name=f"乡镇:{town.code}")
    if created or not group.towngroupobjectpermission_set.filter(content_object=town).exists():
        assign_perm("households.view_town", group, town)
    return group


def town_assign(*, user: AbstractBaseUser, town: Town) -> None:
    with transaction.atomic():
        user.groups.add(town_group(town=town))
    forget_scope_cache(user=user)


def town_unassign(*, user: AbstractBaseUser, town: Town) -> None:
    user.groups.remove(town_group(town=town))
    forget_scope_cache(user=user)
