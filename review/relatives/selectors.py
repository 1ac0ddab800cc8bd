"""Reads for the near-relatives pages."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from households.selectors import villages_visible_to
from kanjia import roles
from review.models import DeclarationStatus, RelativeDeclaration, RelativeFiling

REGISTER_READERS = (roles.TOWN_OFFICE, roles.DISTRICT, *roles.INSPECTORS)


def may_read_register(user: AbstractBaseUser) -> bool:
    return roles.has_role(user, *REGISTER_READERS)


def filings_visible_to(*, user: AbstractBaseUser) -> QuerySet[RelativeFiling]:
    """The register for its readers (scoped to their villages); nothing for anyone else."""
    if not may_read_register(user):
        return RelativeFiling.objects.none()
    return RelativeFiling.objects.filter(village__in=villages_visible_to(user=user)).select_related(
        "village", "household", "user"
    )


def filing_list(*, user: AbstractBaseUser, village=None, status: str = "", source: str = "", q: str = ""):
    qs = filings_visible_to(user=user)
    if village is not None:
        qs = qs.filter(village=village)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if q:
        qs = qs.filter(Q(staff_name__contains=q) | Q(relative_name__contains=q) | Q(household__head_name__contains=q))
    return qs.order_by("status", "-created_at", "-id")


def my_declaration(*, user: AbstractBaseUser) -> tuple[DeclarationStatus | None, list[RelativeDeclaration]]:
    status = DeclarationStatus.objects.filter(user=user).first()
    return status, list(RelativeDeclaration.objects.filter(user=user).order_by("id"))


def near_relative_household_ids(*, among: list[int] | None = None) -> set[int]:
    """Households (of `among`, or all) with a near-relatives filing: every case opened for them
    starts marked `is_near_relative` (badge, mandatory home visit), not only those open when
    the filing was made. The register is small (one row per matched relative)."""
    filings = RelativeFiling.objects.all() if among is None else RelativeFiling.objects.filter(household_id__in=among)
    return set(filings.values_list("household_id", flat=True).distinct())
