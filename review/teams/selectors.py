"""Reads for the review app, scoped by role.

Teams: the town-wide roles (镇民政办, 区民政局, 纪委监察) see every team; a team
member sees the teams they belong to; anyone else sees none. Only the town
office changes teams. What a team member sees of the registry is decided by
`households.selectors` from the grants `review.teams.services` writes.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import Case, CharField, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from households.models import Village
from households.selectors import GRANT, households_visible_to, town_ids_of
from households.towns.selectors import accounts_of_towns
from kanjia import roles
from kanjia.naturalsort import natural_sorted
from review.models import ReviewTeam, TeamMembership, TeamVillage

User = AbstractBaseUser | AnonymousUser


# A team works between its active dates, both inclusive; a missing date leaves that side open.
PERIOD_PENDING, PERIOD_ACTIVE, PERIOD_ENDED = "未开始", "工作中", "已结束"


def team_in_force(today: date, prefix: str = "") -> Q:
    """Teams (reached by `prefix`) whose period includes `today`."""
    return (Q(**{f"{prefix}active_from__isnull": True}) | Q(**{f"{prefix}active_from__lte": today})) & (
        Q(**{f"{prefix}active_to__isnull": True}) | Q(**{f"{prefix}active_to__gte": today})
    )


def grant_in_force(today: date) -> Q:
    """Registered with `households.selectors.register_grant_condition` (review.apps).

    A village grant counts if its group is not a review team, or is a team within
    its active dates: a team's grants count only between them.
    """
    via = f"{GRANT}group__review_team__"
    return Q(**{f"{GRANT}group__review_team__isnull": True}) | team_in_force(today, via)


def _with_period(teams: QuerySet[ReviewTeam]) -> QuerySet[ReviewTeam]:
    today = timezone.localdate()
    return teams.annotate(
        period=Case(
            When(active_to__lt=today, then=Value(PERIOD_ENDED)),
            When(active_from__gt=today, then=Value(PERIOD_PENDING)),
            default=Value(PERIOD_ACTIVE),
            output_field=CharField(),
        )
    )


def _active_links() -> QuerySet[TeamVillage]:
    return TeamVillage.objects.filter(active=True).select_related("village").order_by("village__order", "village_id")


def _with_details(teams: QuerySet[ReviewTeam]) -> QuerySet[ReviewTeam]:
    return (
        _with_period(teams)
        .select_related("leader", "campaign")
        .prefetch_related(
            Prefetch("village_links", queryset=_active_links(), to_attr="active_links"),
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("user", "user__staff").order_by(
                    "role", "user__username"
                ),
                to_attr="member_list",
            ),
        )
    )


def teams_visible_to(*, user: User) -> QuerySet[ReviewTeam]:
    if not user.is_authenticated or not user.is_active:
        return ReviewTeam.objects.none()
    towns = town_ids_of(user=user)
    if towns is None:
        return ReviewTeam.objects.all()
    mine = ReviewTeam.objects.filter(memberships__user=user).values("pk")
    return ReviewTeam.objects.filter(Q(town_id__in=towns) | Q(pk__in=mine))


def teams_changeable_by(*, user: User) -> QuerySet[ReviewTeam]:
    if not can_manage_teams(user=user):
        return ReviewTeam.objects.none()
    towns = town_ids_of(user=user)
    return ReviewTeam.objects.all() if towns is None else ReviewTeam.objects.filter(town_id__in=towns)


def can_manage_teams(*, user: User) -> bool:
    """Only the town's civil-affairs office sets up teams (inspectors never change anything)."""
    return (
        user.is_authenticated
        and user.is_active
        and not roles.is_read_only(user)
        and roles.has_role(user, roles.TOWN_OFFICE)
    )


def team_list(*, user: User) -> list[ReviewTeam]:
    """Teams the user may see, with their leader, active villages and member count (3 queries).

    In natural order (第一组, 第二组 … 第十组), which SQL cannot sort by name.
    """
    teams = teams_visible_to(user=user)
    rows = (
        _with_period(ReviewTeam.objects.filter(pk__in=teams.values("pk")))
        .select_related("leader", "campaign")
        .annotate(member_count=Count("memberships", distinct=True))
        .prefetch_related(Prefetch("village_links", queryset=_active_links(), to_attr="active_links"))
    )
    return natural_sorted(rows, key=lambda team: team.name)


def team_detail(*, user: User, pk: int) -> ReviewTeam | None:
    return _with_details(teams_visible_to(user=user)).filter(pk=pk).first()


def my_teams(*, user: User) -> list[ReviewTeam]:
    """The teams `user` is a member of, with their villages and members, in natural order."""
    if not user.is_authenticated or not user.is_active:
        return []
    teams = _with_details(ReviewTeam.objects.filter(memberships__user=user).distinct())
    return natural_sorted(teams, key=lambda team: team.name)


def village_choices_for_team(*, team: ReviewTeam) -> QuerySet[Village]:
    """Villages the team does not cover yet (some may be covered by another team: assigning moves them)."""
    covered = TeamVillage.objects.filter(team=team, active=True).values("village_id")
    return Village.objects.filter(town_id=team.town_id).exclude(pk__in=covered).order_by("order", "id")


def active_team_names() -> dict[int, str]:
    """village id → name of the team covering it now."""
    return dict(TeamVillage.objects.filter(active=True).values_list("village_id", "team__name"))


def member_candidates() -> QuerySet:
    """Active accounts that may join a team: not the town-wide roles, not sysadmins."""
    excluded = [roles.TOWN_OFFICE, roles.DISTRICT, *roles.INSPECTORS, roles.SYSADMIN]
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(groups__name__in=excluded)
        .select_related("staff")
        .order_by("username")
    )


def my_households(*, user: User) -> QuerySet:
    """Households of the villages the user's teams cover, through the registry's own scoping."""
    mine = TeamVillage.objects.filter(active=True, team__memberships__user=user).values("village_id")
    return (
        households_visible_to(user=user)
        .filter(village_id__in=mine)
        .select_related("village", "group")
        .order_by("village__order", "id")
    )


# --- Staff profiles (工作人员) ---------------------------------------------------
# The town-wide roles see every profile; only the town office changes them
# (`can_manage_teams`). Anyone may see their own. The role shown is the user's
# Django role group (kanjia.roles), never a copy of it.


def can_see_all_staff(*, user: User) -> bool:
    return roles.reads_whole_town(user)


def _with_profile(users: QuerySet) -> QuerySet:
    role_groups = Group.objects.filter(name__in=roles.ALL_ROLES).order_by("name")
    return users.select_related("staff").prefetch_related(
        Prefetch("groups", queryset=role_groups, to_attr="role_groups")
    )


def _accounts_of_towns(user: User) -> QuerySet:
    """Accounts working in the user's towns (assigned to the town, or in one of its teams), and the
    district's staff, who work for every town; the district's users: every account."""
    accounts = accounts_of_towns(user=user)
    if accounts is None:
        return get_user_model().objects.all()
    in_teams = TeamMembership.objects.filter(team__town_id__in=town_ids_of(user=user) or []).values("user_id")
    district = Group.objects.filter(name__in=roles.DISTRICT_LEVEL).values("user")
    return accounts | get_user_model().objects.filter(Q(pk__in=in_teams) | Q(pk__in=district))


def staff_list(*, user: User) -> QuerySet:
    """The accounts of the user's towns with profile and role groups (3 queries), for the town-wide
    roles; nobody else."""
    if not can_see_all_staff(user=user):
        return get_user_model().objects.none()
    return _with_profile(_accounts_of_towns(user)).order_by("-is_active", "staff__unit", "username")


def staff_person(*, user: User, pk: int) -> AbstractBaseUser | None:
    """The account `pk` with its profile, if `user` may see it (the town-wide roles of its town, or
    themselves)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.pk == pk:
        return _with_profile(get_user_model().objects.filter(pk=pk)).first()
    if not can_see_all_staff(user=user):
        return None
    return _with_profile(_accounts_of_towns(user).filter(pk=pk)).first()
