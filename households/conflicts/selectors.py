"""Who holds an ID number, as far as the asking user may know (issue 16, finding 2).

A holder in one of the user's villages is named as before (the user sees that
household anyway); a holder elsewhere is only "registered in the town", and
that answer is limited per user and hour (`settings.ID_CONFLICT_LIMIT_PER_HOUR`).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from households.models import IdConflict, Member
from households.selectors import current_id_holders, town_ids_of, villages_visible_to
from kanjia import roles

NEUTRAL = "该身份证号码已在本镇登记，请联系民政办。"
THROTTLED = "您近一小时内多次录入已在本镇登记的身份证号码，系统已暂停核对新录入的号码。请一小时后再试，或联系民政办。"


@dataclass
class IdCheck:
    """`visible`: holders the user may be told about; `hidden`: holders outside the user's villages
    (answer NEUTRAL, record them); `throttled`: the limit was reached, nothing was looked up for
    `withheld` (answer THROTTLED for the whole save, record them)."""

    visible: dict[str, Member] = field(default_factory=dict)
    hidden: dict[str, Member] = field(default_factory=dict)
    throttled: bool = False
    withheld: list[str] = field(default_factory=list)


def recent_conflicts(*, user: AbstractBaseUser) -> int:
    since = timezone.now() - timedelta(hours=1)
    return IdConflict.objects.filter(user=user, at__gte=since, registered=True).count()


def id_holders_check(
    *,
    user: AbstractBaseUser | None,
    numbers: list[str],
    known: set[str] | frozenset[str] = frozenset(),
    exclude_household_id: int | None,
) -> IdCheck:
    """Current members of other households holding `numbers`, split by what `user` may see.

    `known` are numbers the household already holds: rechecking them never counts
    against the limit. A user over the limit who types a new number gets THROTTLED
    before any lookup, so the refusal itself tells nothing.
    """
    new = [n for n in numbers if n not in known]
    sees_all = user is None or roles.reads_whole_town(user)
    if not sees_all and new and recent_conflicts(user=user) >= settings.ID_CONFLICT_LIMIT_PER_HOUR:
        return IdCheck(throttled=True, withheld=new)
    holders = current_id_holders(numbers=numbers, exclude_household_id=exclude_household_id)
    if sees_all:
        return IdCheck(visible=holders)
    mine = set(villages_visible_to(user=user).values_list("pk", flat=True))
    check = IdCheck()
    for number, member in holders.items():
        (check.visible if member.household.village_id in mine else check.hidden)[number] = member
    return check


def conflicts_visible_to(*, user: AbstractBaseUser) -> QuerySet[IdConflict]:
    """The town office resolves these; inspectors and the district read them; nobody else sees them. A town sees the
    conflicts raised in its villages and those over its own members raised elsewhere (重复享受 across
    towns, issue 19): both towns' offices, and the district, see the same row."""
    if not (
        user.is_authenticated
        and user.is_active
        and roles.has_role(user, roles.TOWN_OFFICE, roles.DISTRICT, *roles.INSPECTORS)
    ):
        return IdConflict.objects.none()
    conflicts = IdConflict.objects.select_related(
        "user", "holder__household__village__town", "village__town", "resolved_by"
    )
    if town_ids_of(user=user) is None:
        return conflicts
    mine = villages_visible_to(user=user).values("pk")
    return conflicts.filter(Q(village__in=mine) | Q(holder__household__village__in=mine))
