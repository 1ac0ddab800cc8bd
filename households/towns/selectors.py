"""Which towns an account acts for (issue 19: one deployment serves every town of the district).

A town is a boundary drawn the same way as a review team's villages: a Django group per town holds
`households.view_town` on it (guardian, direct-FK table `TownGroupObjectPermission`), and a
town-level account (镇民政办, 镇纪委) acts for the towns whose group it is in. District-level roles
(区民政局, 区纪委) act for every town. A town-level account assigned to no town acts for none: the
boundary fails closed.

`town_ids_of` is the one answer every scoped selector builds on; within a web request it is read
once and kept on the user (kanjia.middleware.ScopeCacheMiddleware creates the cache).
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from households.models import Town
from kanjia import roles

User = AbstractBaseUser | AnonymousUser

GRANT = "towngroupobjectpermission__"
_CACHE = "_kanjia_village_ids"  # shared with households.selectors (same per-request cache)


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_district_wide(*, user: User) -> bool:
    """An active 区民政局 or 区纪委 account: every town, grouped and totalled by town."""
    return _active(user) and roles.has_role(user, *roles.DISTRICT_LEVEL)


def _granted_town_ids(user: User) -> list[int]:
    cache = getattr(user, _CACHE, None)
    if cache is not None and "towns" in cache:
        return cache["towns"]
    ids = list(
        Town.objects.filter(**{f"{GRANT}group__user": user, f"{GRANT}permission__codename": "view_town"})
        .values_list("pk", flat=True)
        .distinct()
    )
    if cache is not None:
        cache["towns"] = ids
    return ids


def town_ids_of(*, user: User) -> list[int] | None:
    """The towns a town-wide account acts for: None for every town (district roles), else a list
    (empty for team members, outsiders and town-level accounts not yet assigned to a town)."""
    if not _active(user):
        return []
    if roles.has_role(user, *roles.DISTRICT_LEVEL):
        return None
    if not roles.has_role(user, *roles.TOWN_LEVEL):
        return []
    return _granted_town_ids(user)


def towns_visible_to(*, user: User) -> QuerySet[Town]:
    """Towns whose town-level records (rules, campaigns, rolls, reports, archives) the user reads."""
    ids = town_ids_of(user=user)
    return Town.objects.all() if ids is None else Town.objects.filter(pk__in=ids)


def sole_town_of(*, user: User) -> Town | None:
    """The one town a town-level account acts for (None: several, none, or every town): the town a
    record it creates belongs to when no town is named."""
    towns = town_ids_of(user=user)
    return Town.objects.get(pk=towns[0]) if towns and len(towns) == 1 else None


def is_first_town(town: Town) -> bool:
    """The deployment's first town keeps the deployment-wide settings written before there were
    several (OFFICE_*, ARCHIVES_CODE_PREFIX)."""
    return town.pk == Town.objects.order_by("pk").values_list("pk", flat=True).first()


def towns_of_account(*, user: AbstractBaseUser) -> QuerySet[Town]:
    """The towns an account is assigned to, whatever its roles (accounts page, audit)."""
    return Town.objects.filter(**{f"{GRANT}group__user": user, f"{GRANT}permission__codename": "view_town"}).distinct()


def office_of(*, town: Town | None, first: bool | None = None) -> dict:
    """The office printed on `town`'s notices, rolls and labels (per town, issue 19).

    The deployment's OFFICE setting (env) is the first town's, as before there were several; every
    other town prints what its Town row says, or a name built from the town's name. `first`: whether
    `town` is the first town, when the caller has read it already."""
    from django.conf import settings

    office = dict(settings.OFFICE)
    if town is None:
        return office
    if not (is_first_town(town) if first is None else first):
        office = {
            "town": town.name,
            "name": f"{town.district}{town.name}人民政府民政办",
            "phone": "",
            "address": f"{town.district}{town.name}人民政府便民服务中心",
        }
    for key, field in (("name", "office_name"), ("phone", "office_phone"), ("address", "office_address")):
        if getattr(town, field):
            office[key] = getattr(town, field)
    return office


def letterhead_of(*, user: User) -> dict | None:
    """The header and footer of a signed-in account's pages: its own town's when all it sees is in one
    town (a town office, a 镇纪委, a team), the district's when it sees several towns; None (the
    deployment's settings, as on the login page) when it sees none. One query, on every page.

    `title` names the system after that town or district; `office` is whom the footer says to call
    (the town's office, as printed on its notices: `office_of`), None for the district."""
    from django.conf import settings
    from django.db.models import Exists, OuterRef, Subquery

    from households.selectors import villages_visible_to

    towns = list(
        Town.objects.filter(pk__in=villages_visible_to(user=user).values("town_id"))
        .annotate(
            first_pk=Subquery(Town.objects.order_by("pk").values("pk")[:1]),
            other_district=Exists(Town.objects.exclude(district=OuterRef("district"))),
        )
        .order_by("pk")[:2]
    )
    if not towns:
        return None
    if len(towns) == 1:
        town = towns[0]
        office = office_of(town=town, first=town.pk == town.first_pk)
        return {"title": f"{town.name}{settings.SYSTEM_NAME}", "office": office, "district": town.district}
    district = "" if towns[0].other_district else towns[0].district  # a province: no one district
    return {"title": f"{district}{settings.SYSTEM_NAME}", "office": None, "district": district}


def accounts_of_towns(*, user: User) -> QuerySet | None:
    """Accounts working in the user's towns: assigned to one of them, or in a team holding grants on
    their villages; always the user. None: every account (district roles). The scope of town-wide
    readers over other people's records (their jobs, uploads, audit trails, profiles). Not the
    district's accounts: their jobs (district-wide exports) span every town."""
    from django.contrib.auth import get_user_model

    towns = town_ids_of(user=user)
    if towns is None:
        return None
    return accounts_working_in(town_ids=towns) | get_user_model().objects.filter(pk=user.pk)


def accounts_working_in(*, town_ids: list[int] | None) -> QuerySet:
    """Accounts assigned to one of the towns, or in a team holding grants on their villages (None: on
    any town's)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Q

    towns = {} if town_ids is None else {"towngroupobjectpermission__content_object_id__in": town_ids}
    villages = {} if town_ids is None else {"villagegroupobjectpermission__content_object__town_id__in": town_ids}
    assigned = Group.objects.filter(towngroupobjectpermission__isnull=False, **towns).values("user")
    in_teams = Group.objects.filter(villagegroupobjectpermission__isnull=False, **villages).values("user")
    return get_user_model().objects.filter(Q(pk__in=assigned) | Q(pk__in=in_teams))


def towns_of_accounts(*, user_ids: list[int]) -> dict[int, set[int]]:
    """The towns each of these accounts works in (assigned to it, or in a team holding grants on its
    villages), as {user id: {town ids}}; accounts working in no town are absent. Two queries, for a
    picker that labels or filters people by town."""
    from django.contrib.auth.models import Group

    found: dict[int, set[int]] = {}
    for town_path in (
        "towngroupobjectpermission__content_object_id",
        "villagegroupobjectpermission__content_object__town_id",
    ):
        pairs = Group.objects.filter(user__in=user_ids, **{f"{town_path}__isnull": False}).values_list(
            "user", town_path
        )
        for user_id, town_id in pairs.distinct():
            found.setdefault(user_id, set()).add(town_id)
    return found


def towns_seen_by(*, user: User) -> list[Town]:
    """The towns whose villages the user sees, in code order, each with `village_count` (its villages
    the user sees). Pages that work household by household ask an account that sees several towns to
    pick one (`households.towns.views.town_choice`). One query."""
    from django.db.models import Count

    from households.selectors import villages_visible_to

    return list(
        Town.objects.filter(villages__in=villages_visible_to(user=user))
        .annotate(village_count=Count("villages"))
        .order_by("code", "pk")
    )
