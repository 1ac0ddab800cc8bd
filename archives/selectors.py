"""Reads of the archive, every one scoped through households.selectors."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from archives.models import Bag, ChecklistWarning, Document, PaymentRoll
from households.selectors import households_visible_to, villages_visible_to
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


def documents_visible_to(*, user: User) -> QuerySet[Document]:
    return Document.objects.filter(household__in=households_visible_to(user=user))


def bags_visible_to(*, user: User) -> QuerySet[Bag]:
    return Bag.objects.filter(household__in=households_visible_to(user=user))


def household_documents(*, household) -> QuerySet[Document]:
    return (
        Document.objects.filter(household=household)
        .select_related("kind", "case", "uploaded_by")
        .order_by("kind__order", "-uploaded_at", "-id")
    )


def household_warnings(*, household) -> QuerySet[ChecklistWarning]:
    return ChecklistWarning.objects.filter(case__household=household).select_related("by", "case")


def can_read_rolls(*, user: User) -> bool:
    """Payment rolls are town-level financial records: town office, district and inspectors."""
    return roles.reads_whole_town(user)


def can_generate_rolls(*, user: User) -> bool:
    return bool(user.is_authenticated and roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user))


def rolls_visible_to(*, user: User) -> QuerySet[PaymentRoll]:
    if not can_read_rolls(user=user):
        return PaymentRoll.objects.none()
    towns = villages_visible_to(user=user).values("town_id")
    return PaymentRoll.objects.filter(town_id__in=towns).select_related("generated_by", "town")
