"""Reads of the leadership group. A campaign's group is not personal data: whoever sees the campaign sees it."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from kanjia import roles
from review.models import Campaign, LeadershipMember

RANK = {role: i for i, role in enumerate(LeadershipMember.Role.values)}


def leadership_of(*, campaign: Campaign) -> list[LeadershipMember]:
    """组长 first, then 副组长, then 成员, each in the order they were added."""
    members = LeadershipMember.objects.filter(campaign=campaign).select_related("user__staff")
    return sorted(members, key=lambda m: (RANK.get(m.role, 9), m.order, m.pk))


def leadership_candidates() -> QuerySet:
    """Active accounts with a role or a staff profile (the town's leaders need no role), never 系统管理员."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=roles.ALL_ROLES) | Q(staff__isnull=False))
        .exclude(groups__name=roles.SYSADMIN)
        .select_related("staff")
        .distinct()
        .order_by("username")
    )


def person_name(user) -> str:
    staff = getattr(user, "staff", None)
    return (staff.name if staff is not None else "") or user.get_full_name() or user.username
