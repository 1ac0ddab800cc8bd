"""Reads of the archive, every one scoped through households.selectors."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from archives.models import Bag, ChecklistWarning, Document
from households.selectors import village_scoped

User = AbstractBaseUser | AnonymousUser


def documents_visible_to(*, user: User) -> QuerySet[Document]:
    return village_scoped(Document, "household__village_id", user=user)


def bags_visible_to(*, user: User) -> QuerySet[Bag]:
    return village_scoped(Bag, "household__village_id", user=user)


def household_documents(*, household) -> QuerySet[Document]:
    return (
        Document.objects.filter(household=household)
        .select_related("kind", "case", "uploaded_by")
        .order_by("kind__order", "-uploaded_at", "-id")
    )


def household_warnings(*, household) -> QuerySet[ChecklistWarning]:
    return ChecklistWarning.objects.filter(case__household=household).select_related("by", "case")
