"""Reads of the town's and campaigns' files.

The town-wide roles (镇民政办, 区民政局, 纪委监察) read the whole file of their
town. Nobody else ever sees it: a team member reaches only the documents of
their own villages' 民主评议 meetings and outreach records (the minutes their
cases point to), from the pages of those records.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from archives.models import RecordBox, RecordCabinet, RecordDocument, RecordKind
from households.selectors import villages_visible_to
from kanjia import roles

User = AbstractBaseUser | AnonymousUser


def can_read_records(*, user: User) -> bool:
    return roles.reads_whole_town(user)


def _town_ids(user: User) -> QuerySet:
    return villages_visible_to(user=user).values("town_id")


def record_documents_visible_to(*, user: User) -> QuerySet[RecordDocument]:
    if not user.is_authenticated or not user.is_active:
        return RecordDocument.objects.none()
    if can_read_records(user=user):
        return RecordDocument.objects.filter(town_id__in=_town_ids(user))
    return RecordDocument.objects.filter(village__in=villages_visible_to(user=user))


def boxes_visible_to(*, user: User) -> QuerySet[RecordBox]:
    if not can_read_records(user=user):
        return RecordBox.objects.none()
    return RecordBox.objects.filter(cabinet__room__town_id__in=_town_ids(user))


def cabinets_visible_to(*, user: User) -> QuerySet[RecordCabinet]:
    if not can_read_records(user=user):
        return RecordCabinet.objects.none()
    return RecordCabinet.objects.filter(room__town_id__in=_town_ids(user))


def shelves(*, user: User) -> list[RecordCabinet]:
    """The town cabinets with their boxes and how many documents each holds (2 queries)."""
    cabinets = list(cabinets_visible_to(user=user).select_related("room").order_by("file"))
    boxes = (
        RecordBox.objects.filter(cabinet__in=cabinets)
        .select_related("campaign")
        .annotate(documents_count=Count("documents"))
        .order_by("number")
    )
    by_cabinet: dict[int, list[RecordBox]] = {}
    for box in boxes:
        by_cabinet.setdefault(box.cabinet_id, []).append(box)
    for cabinet in cabinets:
        cabinet.box_list = by_cabinet.get(cabinet.pk, [])
    return cabinets


def documents_of(*, user: User) -> QuerySet[RecordDocument]:
    return record_documents_visible_to(user=user).select_related(
        "kind", "box", "uploaded_by", "campaign", "meeting", "outreach__village"
    )


def kinds() -> QuerySet[RecordKind]:
    return RecordKind.objects.select_related("satisfies").order_by("file", "order", "id")


def uploadable_kinds() -> QuerySet[RecordKind]:
    """Kinds filed from the archive pages; minutes and outreach photos are filed with their meeting or record."""
    return RecordKind.objects.filter(active=True, meeting_kind="", for_outreach=False).order_by("file", "order", "id")
