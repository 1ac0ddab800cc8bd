"""Who sees which 问题线索 (the rule is here, and only here).

- 纪委监察: every clue of their town.
- 镇民政办: only the clues an inspector has referred (交办) to it.
- Nobody else, ever.
- A staff member named in a clue never sees it, whatever their role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from archives.models import Clue
from households.models import Household
from households.selectors import villages_visible_to
from households.towns.selectors import accounts_working_in, town_ids_of
from kanjia import roles
from review.models import Case

User = AbstractBaseUser | AnonymousUser


def can_read_register(*, user: User) -> bool:
    """Who may open the register's pages at all (what they find there is `clues_visible_to`)."""
    return bool(user.is_authenticated and user.is_active and roles.has_role(user, *roles.INSPECTORS, roles.TOWN_OFFICE))


def clues_visible_to(*, user: User) -> QuerySet[Clue]:
    if not can_read_register(user=user):
        return Clue.objects.none()
    clues = Clue.objects.filter(town_id__in=villages_visible_to(user=user).values("town_id")).exclude(staff=user)
    if roles.has_role(user, *roles.INSPECTORS):
        return clues
    return clues.filter(referred_at__isnull=False)


def staff_candidates_for(*, town_ids: list[int]) -> QuerySet:
    """Who a clue of these towns may name, every role but 系统管理员: accounts working in them (the office,
    镇纪委, the villages' teams), the district's, and accounts working in no town at the moment (a cadre
    since taken off the team may be the one the clue is about). Staff working only in other towns are
    neither listed nor accepted (issue 19)."""
    anywhere = accounts_working_in(town_ids=None).values("pk")
    chosen = Q(groups__name__in=roles.DISTRICT_LEVEL) | Q(pk__in=accounts_working_in(town_ids=town_ids).values("pk"))
    working_roles = [r for r in roles.ALL_ROLES if r != roles.SYSADMIN]
    return (
        get_user_model()
        .objects.filter(chosen | ~Q(pk__in=anywhere), groups__name__in=working_roles)
        .select_related("staff")
        .distinct()
        .order_by("username")
    )


def sees_several_towns(*, user: User) -> bool:
    """The district's inspectors (every town) and an account assigned to more than one."""
    towns = town_ids_of(user=user)
    return towns is None or len(towns) > 1


def town_of_links(*, user: User, case_ids: list[int], household_ids: list[int]) -> int | None:
    """The town of the first case, else household, a report's link names (among those the user sees):
    the clue a 区纪委 registers from a district report is that town's."""
    villages = villages_visible_to(user=user)
    cases = Case.objects.filter(pk__in=case_ids, household__village__in=villages)
    households = Household.objects.filter(pk__in=household_ids, village__in=villages)
    for towns in (
        cases.values_list("household__village__town", flat=True),
        households.values_list("village__town", flat=True),
    ):
        if (town := towns.first()) is not None:
            return town
    return None


def clue_list(*, user: User, status: str = "") -> QuerySet[Clue]:
    clues = clues_visible_to(user=user).select_related("created_by", "referred_by", "town")
    if status in Clue.Status.values:
        clues = clues.filter(status=status)
    return clues.order_by("-found_on", "-id")


def clue_history(*, clue: Clue) -> QuerySet:
    return Clue.history.filter(id=clue.pk)
