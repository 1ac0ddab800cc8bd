"""Reads for the accounts pages: who may manage and confirm, the account list, lockouts, pending roles."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from households.towns.selectors import town_ids_of
from kanjia import roles
from kanjia.models import AccountEvent, RoleChange

User = AbstractBaseUser | AnonymousUser


def can_manage_accounts(*, user: User) -> bool:
    """The system administrator (or a superuser) manages accounts."""
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or roles.has_role(user, roles.SYSADMIN))
    )


def can_confirm_roles(*, user: User) -> bool:
    """The second person for case-deciding roles: an active member of the town office."""
    return bool(
        user.is_authenticated
        and user.is_active
        and not roles.is_read_only(user)
        and roles.has_role(user, roles.TOWN_OFFICE)
    )


def can_see_role_changes(*, user: User) -> bool:
    return can_manage_accounts(user=user) or can_confirm_roles(user=user)


def role_changes_visible_to(*, user: User) -> QuerySet[RoleChange]:
    """The administrator sees every request; a town office those for its own towns and the district's
    roles (issue 19: another town's staff are not its business)."""
    if can_manage_accounts(user=user):
        return RoleChange.objects.all()
    if not can_confirm_roles(user=user):
        return RoleChange.objects.none()
    towns = town_ids_of(user=user)
    changes = RoleChange.objects.all()
    return changes if towns is None else changes.filter(Q(town__isnull=True) | Q(town_id__in=towns))


def _locked() -> Exists:
    limit = getattr(settings, "AXES_FAILURE_LIMIT", 5)
    return Exists(AccessAttempt.objects.filter(username=OuterRef("username"), failures_since_start__gte=limit))


def account_list(*, q: str = "") -> QuerySet:
    """Every account with its roles and whether axes has locked it (3 queries)."""
    accounts = get_user_model().objects.all()
    if q:
        accounts = accounts.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    return (
        accounts.annotate(locked=_locked())
        .prefetch_related(Prefetch("groups", queryset=Group.objects.filter(name__in=roles.ALL_ROLES).order_by("name")))
        .order_by("username")
    )


def account_detail(*, pk: int):
    return account_list().filter(pk=pk).first()


def account_trail(*, user: AbstractBaseUser) -> dict:
    return {
        "role_changes": RoleChange.objects.filter(user=user).select_related("requested_by", "decided_by")[:50],
        "events": AccountEvent.objects.filter(user=user).select_related("by")[:50],
    }


def role_changes_pending(*, user: User) -> QuerySet[RoleChange]:
    return (
        role_changes_visible_to(user=user)
        .filter(state=RoleChange.State.PENDING)
        .select_related("user", "requested_by", "town")
    )


def role_changes_recent(*, user: User, limit: int = 50) -> QuerySet[RoleChange]:
    return (
        role_changes_visible_to(user=user)
        .exclude(state=RoleChange.State.PENDING)
        .select_related("user", "requested_by", "decided_by", "town")[:limit]
    )
