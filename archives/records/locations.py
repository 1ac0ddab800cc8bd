"""Where the town's own files sit: 室-柜-盒 in the town archive room.

The room is the town's (`KJ`, shared with the village cabinets, see
`archives.documents.locations`); the town's files get one cabinet per file
(`KJ-镇综合`, `KJ-镇财务`) and a box per campaign, or per year for documents
that belong to no campaign (`KJ-镇综合-01`). Box numbers are never reused.
Boxes are made when the first document is filed in them.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from archives.documents.locations import code_prefix
from archives.models import ArchiveRoom, RecordBox, RecordCabinet, RecordFile
from households.models import Town

CABINET_SUFFIX = {RecordFile.GENERAL: "镇综合", RecordFile.FINANCIAL: "镇财务"}


def cabinet_code(room_code: str, file: str) -> str:
    return f"{room_code}-{CABINET_SUFFIX[file]}"


def record_box_code(cabinet_code_: str, number: int) -> str:
    return f"{cabinet_code_}-{number:02d}"


def _room(town: Town, by: AbstractBaseUser | None) -> ArchiveRoom:
    room = ArchiveRoom.objects.filter(town=town).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = ArchiveRoom(town=town, code=code_prefix(town))
            room._history_user = by
            room.save()
            return room
    except IntegrityError:  # a concurrent sync made it
        return ArchiveRoom.objects.get(town=town)


def cabinet_for(*, town: Town, file: str, by: AbstractBaseUser | None) -> RecordCabinet:
    room = _room(town, by)
    cabinet = RecordCabinet.objects.filter(room=room, file=file).first()
    if cabinet is not None:
        return cabinet
    try:
        with transaction.atomic():
            cabinet = RecordCabinet(room=room, file=file, code=cabinet_code(room.code, file))
            cabinet._history_user = by
            cabinet.save()
            return cabinet
    except IntegrityError:
        return RecordCabinet.objects.get(room=room, file=file)


def box_for(*, town: Town, file: str, campaign=None, year: int, by: AbstractBaseUser | None) -> RecordBox:
    """The box that holds `file` of `campaign` (or of `year` when no campaign), made if missing.

    Runs inside the caller's transaction: the cabinet row is locked while a box number is taken.
    """
    cabinet = cabinet_for(town=town, file=file, by=by)
    lookup = {"campaign": campaign} if campaign is not None else {"campaign__isnull": True, "year": year}
    box = RecordBox.objects.filter(cabinet=cabinet, **lookup).first()
    if box is not None:
        return box
    with transaction.atomic():
        cabinet = RecordCabinet.objects.select_for_update().get(pk=cabinet.pk)
        box = RecordBox.objects.filter(cabinet=cabinet, **lookup).first()
        if box is not None:
            return box
        number = cabinet.next_box_number
        cabinet.next_box_number += 1
        cabinet._history_user = by
        cabinet.save(update_fields=["next_box_number"])
        label = RecordFile(file).label
        title = f"{campaign.name} {label}" if campaign is not None else f"{year}年度{label}"
        box = RecordBox(
            cabinet=cabinet,
            number=number,
            campaign=campaign,
            year=campaign.scope_date.year if campaign is not None else year,
            title=title[:100],
            code=record_box_code(cabinet.code, number),
        )
        box._history_user = by
        box.save()
    return box
