"""Reads of the registry, every one scoped by the user's villages.

`villages_visible_to` is the single source of truth for what a user may see:
every list, search, export, print job and download goes through it (or through
a selector built on it). Town-wide roles see every village of the towns they act
for (households.towns: 镇民政办 and 镇纪委 their own town, 区民政局 and 区纪委 every
town); village review teams see the villages their team's Django group holds
`view_village` on (guardian object permissions, read from the direct-FK table)
while the team is active (see `register_grant_condition`); anyone else sees nothing.
"""

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, DecimalField, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Reverse
from django.utils import timezone
from django.utils.functional import cached_property

from households import idcard
from households.models import Household, IncomeItem, Member, ReviewFlag, Village, VillageGroup
from households.paychecks.selectors import paid_off
from households.towns.selectors import GRANT as TOWN_GRANT
from households.towns.selectors import is_district_wide, town_ids_of, towns_visible_to  # noqa: F401 (re-exported)
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


# Within one web request, the village ids a team member may view/change are read
# once (both permissions in one query) and then used as a literal list, instead of
# re-running the permission subquery in every scoped query (bench/team_scope.py).
# The cache exists only on request users (kanjia.middleware.ScopeCacheMiddleware
# creates it), so services, tasks and tests always see permissions as they are now.
_CACHE = "_kanjia_village_ids"

# Grants are guardian object permissions held by groups on villages, in guardian's
# direct-FK table (households.models.VillageGroupObjectPermission). They are read
# straight from that table: what guardian's get_objects_for_user(use_groups=True,
# accept_global_perms=False, with_superuser=False) would return for group grants,
# without rebuilding its queryset on every call (≈0.7 ms of Python each), and with
# both permissions in one query. Global and per-user permissions never count.
GRANT = "villagegroupobjectpermission__"
VILLAGE_PERMS = ("households.view_village", "households.change_village")

# Conditions a village grant must also meet today to count, registered by the
# app that owns the teams (households cannot import review): `review.apps`
# registers the team's active dates, so a team past its end date (or before its
# start) reaches none of its villages. Each is `condition(today) -> Q` on Village,
# on the grant row reached by `GRANT`, added to the same query.
_GRANT_CONDITIONS: list[Callable[[date], Q]] = []


def register_grant_condition(condition: Callable[[date], Q]) -> None:
    """Called from an AppConfig.ready(); registering the same condition twice has no effect."""
    if condition not in _GRANT_CONDITIONS:
        _GRANT_CONDITIONS.append(condition)


def _granted(user: User, perms: tuple[str, ...]) -> QuerySet:
    """(village id, permission codename) for each of `perms` the user's groups hold now."""
    codenames = [perm.split(".", 1)[1] for perm in perms]
    # One Q in one filter(): every condition applies to the same grant row (one join).
    q = Q(**{f"{GRANT}group__user": user, f"{GRANT}permission__codename__in": codenames})
    today = timezone.localdate()
    for condition in _GRANT_CONDITIONS:
        q &= condition(today)
    return Village.objects.filter(q).values_list("pk", f"{GRANT}permission__codename").distinct()


def _team_village_ids(user: User, perm: str) -> list[int] | QuerySet:
    cache = getattr(user, _CACHE, None)
    if cache is None:
        return _granted(user, (perm,)).values_list("pk", flat=True)
    if perm not in cache:
        for name in VILLAGE_PERMS:
            cache[name] = []
        for village_id, codename in _granted(user, VILLAGE_PERMS):
            cache[f"households.{codename}"].append(village_id)
    return cache[perm]


def forget_scope_cache(*, user: AbstractBaseUser) -> None:
    """Drop cached roles, towns and village ids after the user's teams, towns or roles change."""
    for name in (_CACHE, "_kanjia_roles"):
        if hasattr(user, name):
            delattr(user, name)


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _town_village_ids(user: User, *, change: bool) -> list[int] | QuerySet | None:
    """Villages of the towns the user acts for as a town-wide role: None for every village (district
    roles reading), else ids (empty when the user acts for no town, or may not change). One query,
    straight from the town grants (households.towns)."""
    if not roles.has_role(user, *((roles.TOWN_OFFICE,) if change else roles.TOWN_WIDE_READERS)):
        return []  # only the town office changes registry data town-wide (the district approves)
    if roles.has_role(user, *roles.DISTRICT_LEVEL):
        return [] if change else None
    cache = getattr(user, _CACHE, None)
    if cache is not None and "town_villages" in cache:
        return cache["town_villages"]
    ids = Village.objects.filter(
        **{f"town__{TOWN_GRANT}group__user": user, f"town__{TOWN_GRANT}permission__codename": "view_town"}
    ).values_list("pk", flat=True)
    if cache is None:
        return ids
    cache["town_villages"] = list(ids)
    return cache["town_villages"]


def _village_ids(user: User, *, change: bool) -> list | None:
    """The user's villages as id collections to OR together (None: every village; []: none).

    Town-wide roles reach the villages of their towns (district roles: every town); review teams the
    villages their groups hold grants on. Someone in both gets both. Within a request each
    collection is a literal list read once; elsewhere a subquery."""
    if not _active(user) or (change and roles.is_read_only(user)):
        return []
    town = _town_village_ids(user, change=change)
    if town is None:
        return None
    team = (
        _team_village_ids(user, "households.change_village" if change else "households.view_village")
        if roles.has_role(user, roles.VILLAGE_TEAM)
        else []
    )
    return [ids for ids in (town, team) if not (isinstance(ids, list) and not ids)]


def village_scoped(model, path: str, *, user: User, change: bool = False) -> QuerySet:
    """`model` rows whose village (reached by `path`) is within the user's scope (one query).

    For rows reached through their household (`household__village_id`) this filters the joined
    household's village, where `household__in=households_visible_to(...)` would add a second scan of
    the households to build the visible set; for an account that sees every town it is no filter."""
    parts = _village_ids(user, change=change)
    if parts is None:
        return model.objects.all()
    if not parts:
        return model.objects.none()
    q = Q(**{f"{path}__in": parts[0]})
    for ids in parts[1:]:
        q |= Q(**{f"{path}__in": ids})
    return model.objects.filter(q)


def villages_visible_to(*, user: User) -> QuerySet[Village]:
    return village_scoped(Village, "pk", user=user)


def villages_changeable_by(*, user: User) -> QuerySet[Village]:
    """Villages whose registry data the user may change (inspectors and the district: none)."""
    return village_scoped(Village, "pk", user=user, change=True)


def households_visible_to(*, user: User) -> QuerySet[Household]:
    return village_scoped(Household, "village_id", user=user)


def households_changeable_by(*, user: User) -> QuerySet[Household]:
    return village_scoped(Household, "village_id", user=user, change=True)


def members_visible_to(*, user: User) -> QuerySet[Member]:
    return village_scoped(Member, "household__village_id", user=user)


def flags_visible_to(*, user: User) -> QuerySet[ReviewFlag]:
    return village_scoped(ReviewFlag, "household__village_id", user=user)


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


def dashboard_towns(*, user: User) -> dict | None:
    """For a district-wide user, the dashboard's per-town table: households in care, covered persons and
    monthly amount per town, with the district total; else None. Two queries whatever the number of
    towns: the towns, then the households in care grouped by their village's town. Counting from
    the towns outward (towns LEFT JOIN villages LEFT JOIN every household, sums filtered on status)
    joined and aggregated all 1,000,270 households at district scale: 438 ms, now about 170 ms."""
    if not is_district_wide(user=user):
        return None
    towns = list(towns_visible_to(user=user).order_by("code").values("pk", "name"))
    figures = {
        row["village__town_id"]: row
        for row in Household.objects.filter(
            status=Household.Status.ACTIVE, village__town_id__in=[town["pk"] for town in towns]
        )
        .values("village__town_id")
        .annotate(
            active=Count("id"),
            persons=Sum("covered_persons"),
            amount=Sum(
                F("base_amount") + F("extra_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
            ),
        )
        .order_by()
    }
    rows = []
    for town in towns:
        found = figures.get(town["pk"], {})
        rows.append(
            {
                **town,
                "active": found.get("active", 0),
                "persons": found.get("persons") or 0,
                "amount": found.get("amount") or Decimal("0"),
            }
        )
    totals = {
        "active": sum(r["active"] for r in rows),
        "persons": sum(r["persons"] for r in rows),
        "amount": sum((r["amount"] for r in rows), Decimal("0")),
    }
    return {"rows": rows, "totals": totals}


# --- The household register pages (issue 3) ---------------------------------------

# Sort keys a user may pick on the list (whitelisted: never order_by raw input).
HOUSEHOLD_SORTS = {
    # Village and group ids follow their order in the demo data and in a
    # register loaded village by village; an index serves this order (migration 0005).
    "village": ("village_id", "group_id", "id"),
    "head": ("head_name", "id"),
    "status": ("status", "id"),
    "persons": ("covered_persons", "id"),
    "amount": ("base_amount", "id"),
    "updated": ("updated_at", "id"),
}
ID_FULL = re.compile(r"\d{17}[\dX]")
DIGITS = re.compile(r"\d{3,17}[\dX]")


def looks_like_number(query: str) -> bool:
    """A query that is (part of) an ID number, phone or bank account: four digits or more, or
    anything the search itself treats as the last digits of an ID number (e.g. "001X").
    Such a query must never travel in a URL (issue 16); see households.views.household_search."""
    q = idcard.normalize(query)
    return bool(DIGITS.fullmatch(q)) or sum(c.isdigit() for c in q) >= 4


def _search(households: QuerySet[Household], query: str) -> QuerySet[Household]:
    """Name (prefix), full ID number, last digits of an ID number, or phone (prefix).

    Each branch is an indexed lookup: members' name and id_number, households'
    phone, and on PostgreSQL reverse(id_number) for the last digits (migration 0003).
    """
    q = idcard.normalize(query)
    if not q:
        return households
    if ID_FULL.fullmatch(q):
        return households.filter(pk__in=Member.objects.filter(id_number=q).values("household_id"))
    if DIGITS.fullmatch(q):
        tail = Member.objects.annotate(reversed_id=Reverse("id_number")).filter(reversed_id__startswith=q[::-1])
        ids = tail.order_by().values("household_id")
        if q.isdigit():
            # UNION, not OR: each side uses its index; an OR makes PostgreSQL scan every household.
            ids = ids.union(Household.objects.filter(phone__startswith=q).order_by().values("pk"))
        return households.filter(pk__in=ids)
    return households.filter(pk__in=Member.objects.filter(name__startswith=query.strip()).values("household_id"))


def household_list(*, user: User, query: str = "", filters: dict | None = None, sort: str = "") -> QuerySet[Household]:
    """The register list: scoped, searched, filtered and sorted; the caller paginates."""
    filters = filters or {}
    households = households_visible_to(user=user)
    households = _search(households, query)
    simple = {"village": "village_id", "group": "group_id", "status": "status", "category": "category_id"}
    for key, lookup in simple.items():
        if filters.get(key):
            households = households.filter(**{lookup: filters[key]})
    if filters.get("area"):
        households = households.filter(area=filters["area"])
    if filters.get("flag"):
        open_flags = ReviewFlag.objects.filter(disposition=ReviewFlag.Disposition.PENDING)
        if filters["flag"] != "any":
            open_flags = open_flags.filter(kind=filters["flag"])
        households = households.filter(pk__in=open_flags.values("household_id"))
    if filters.get("paid") == "off":
        households = paid_off(households, month=timezone.localdate())
    descending = sort.startswith("-")
    order = HOUSEHOLD_SORTS.get(sort.lstrip("-"), HOUSEHOLD_SORTS["village"])
    if descending:
        order = tuple(f"-{o}" for o in order)
    return (
        households.select_related("village", "group", "category")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=ReviewFlag.objects.filter(disposition=ReviewFlag.Disposition.PENDING).only(
                    "id", "household_id", "kind"
                ),
                to_attr="open_flags",
            )
        )
        .order_by(*order)
    )


HOUSEHOLD_PAGE_SIZE = 50


def household_list_page(
    *, user: User, query: str = "", filters: dict | None = None, sort: str = "", number: str | int | None = None
) -> Page:
    """One page of the register list, in two steps as the case list: the page's ids, then those rows.

    The ids alone can come from an index in list order (`household_list_order` for the default
    sort: village, group, id) and skip the households that do not match, reading only the index;
    selecting the full rows made PostgreSQL read every visible household first. At 1,000,000
    households a town's one-character surname search (29,064 households, 880 matches) read
    17,466 heap pages for its 50 rows: 84 ms, now about 25 ms. A deep page skips index entries,
    not rows."""
    households = household_list(user=user, query=query, filters=filters, sort=sort)
    return ids_first_page(households, per_page=HOUSEHOLD_PAGE_SIZE, number=number)


# A list the planner expects to be longer than this is not counted: its count is the planner's
# estimate, shown as such (约 …), and its numbered pages stop at MAX_ESTIMATED_PAGES (OFFSET
# grows with the page: page 20,000 of a million households read 1,000,000 index entries).
# A town (thousands of households), a team's villages and most searches stay exact.
ESTIMATE_ABOVE = 20_000
MAX_ESTIMATED_PAGES = 100
# A list the planner expects to be at most this long is read whole, its ids in order, in one query: its
# count is their number and the page a slice. A COUNT and then the page's ids would each join the
# search again: a one-character surname search hashes every member of that surname district-wide
# (52,000 王 at 1,000,000 households) in both. Ids only, so a planner off by ten is still a few ms.
READ_WHOLE_BELOW = 2_000


def estimated_rows(queryset: QuerySet) -> int | None:
    """The PostgreSQL planner's row estimate for `queryset` (EXPLAIN: planned, not run); None on
    other databases. Statistics come from ANALYZE (autovacuum; the generator runs it)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. an account that sees no village: nothing to plan, nothing to count
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def scope_is_large(*, user: User) -> bool:
    """More visible households than a list counts exactly (a district at scale): the list page then
    leaves out what would read them all (the paid-vs-computed summary), one EXPLAIN to know."""
    rows = estimated_rows(households_visible_to(user=user))
    return rows is not None and rows > ESTIMATE_ABOVE


# Up to this many visible villages the list's 组 filter lists every visible group (the browser keeps
# the chosen village's); above (a district: thousands of groups rendered on every page), only the
# chosen village's groups, none until a village is chosen.
GROUP_OPTIONS_MAX_VILLAGES = 60


def list_filter_groups(*, user: User, village: str) -> QuerySet[VillageGroup]:
    groups = groups_visible_to(user=user)
    if villages_visible_to(user=user).count() <= GROUP_OPTIONS_MAX_VILLAGES:
        return groups
    if village.isdigit() and len(village) < 10:
        return groups.filter(village_id=int(village))
    return groups.none()


class EstimatingPage(Page):
    def has_next(self) -> bool:
        # An estimate may be above the real count: a page that is not full is the last one.
        if self.paginator.estimated and len(self) < self.paginator.per_page:
            return False
        return super().has_next()


class EstimatingPaginator(Paginator):
    """Exact count and every page for lists up to ESTIMATE_ABOVE rows (as the planner expects them);
    above, the planner's estimate (`estimated`, one EXPLAIN instead of a COUNT over the rows) and
    the first MAX_ESTIMATED_PAGES pages (`capped` when there would be more). Up to READ_WHOLE_BELOW
    rows, one query for the whole list instead of a COUNT and then the page."""

    estimated = False

    @cached_property
    def count(self) -> int:
        rows = estimated_rows(self.object_list)
        if rows is not None and rows > ESTIMATE_ABOVE:
            self.estimated = True
            return rows
        if rows is not None and rows <= READ_WHOLE_BELOW:
            self.object_list = list(self.object_list)  # the page is then a slice of these
        return super().count

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return min(pages, MAX_ESTIMATED_PAGES) if self.estimated else pages

    @property
    def capped(self) -> bool:
        return self.estimated and self.count > self.num_pages * self.per_page

    def _get_page(self, *args, **kwargs) -> Page:
        return EstimatingPage(*args, **kwargs)


def ids_first_page(queryset: QuerySet, *, per_page: int, number: str | int | None) -> Page:
    """A page of `queryset` in two steps: the page's ids in the queryset's order (an `EstimatingPaginator`
    over the ids alone, which an index can often serve), then those rows with everything the queryset
    selects and prefetches, put back in that order. Used by the register and the case list."""
    page = EstimatingPaginator(queryset.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    by_pk = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    page.object_list = [by_pk[pk] for pk in ids if pk in by_pk]  # the ids carry the order
    return page


def household_detail(*, user: User) -> QuerySet[Household]:
    """Visible households with everything the detail page shows, in a fixed number of queries."""
    return (
        households_visible_to(user=user)
        .select_related("village__town", "group", "category", "head")
        .prefetch_related(
            "members",
            "assets",
            Prefetch("incomes", queryset=IncomeItem.objects.select_related("member")),
            Prefetch("flags", queryset=ReviewFlag.objects.select_related("member", "raised_by", "disposed_by")),
        )
    )


def groups_visible_to(*, user: User) -> QuerySet[VillageGroup]:
    return VillageGroup.objects.filter(village__in=villages_visible_to(user=user)).select_related("village")


def current_id_holders(*, numbers: list[str], exclude_household_id: int | None) -> dict[str, Member]:
    """Current members (not moved out) of other households holding these numbers."""
    qs = Member.objects.filter(id_number__in=numbers, moved_out_on__isnull=True).select_related("household__village")
    if exclude_household_id is not None:
        qs = qs.exclude(household_id=exclude_household_id)
    return {m.id_number: m for m in qs}
