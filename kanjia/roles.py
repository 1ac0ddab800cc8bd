"""The six roles of the system, as Django groups (created by a migration).

Role names are data shared by every app, so they live here rather than in one
domain app: `households` must know them to scope querysets without importing
`review`.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

TOWN_OFFICE = "镇民政办"
VILLAGE_TEAM = "清理小组"
DISTRICT = "区民政局"
INSPECTOR = "纪委监察"  # the town's 镇纪委: one town
DISTRICT_INSPECTOR = "区纪委监察"  # the district's 区纪委: every town (issue 19)
SYSADMIN = "系统管理员"

ALL_ROLES = (TOWN_OFFICE, VILLAGE_TEAM, DISTRICT, INSPECTOR, DISTRICT_INSPECTOR, SYSADMIN)
INSPECTORS = (INSPECTOR, DISTRICT_INSPECTOR)
# Town-level roles act for the towns their account is assigned to (households.towns); district-level
# roles act for every town of the deployment. A town-level account with no town sees nothing.
TOWN_LEVEL = (TOWN_OFFICE, INSPECTOR)
DISTRICT_LEVEL = (DISTRICT, DISTRICT_INSPECTOR)
# Roles never held together with 清理小组 membership: an inspector or district officer in a team would
# gain change rights on its villages and lose their independence (review.teams and kanjia.accounts check it).
NOT_TEAM_ROLES = (INSPECTOR, DISTRICT_INSPECTOR, DISTRICT, SYSADMIN)
# Roles that see every village of their town (镇民政办, 镇纪委) or of the district (区民政局, 区纪委);
# everyone else sees only what a review team grants them through object permissions.
TOWN_WIDE_READERS = (TOWN_OFFICE, DISTRICT, INSPECTOR, DISTRICT_INSPECTOR)


def role_names(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_kanjia_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._kanjia_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *names: str) -> bool:
    return bool(role_names(user) & set(names))


def reads_whole_town(user: AbstractBaseUser | AnonymousUser) -> bool:
    """An active account of a town-wide role (镇民政办, 区民政局, 纪委监察): the readers of
    town-level records (rules, payment rolls, reports, staff profiles)."""
    return bool(user.is_authenticated and user.is_active and has_role(user, *TOWN_WIDE_READERS))


def is_read_only(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Discipline inspectors read everything (in their town, or the district's) and change nothing."""
    roles = role_names(user)
    return bool(roles & set(INSPECTORS)) and not (roles - set(INSPECTORS))
