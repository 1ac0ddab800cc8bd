"""Archive locations kept in step with the registry: 一镇一室、一村一柜、一组一盒、一户一袋.

Codes: room `KJ`, cabinet `KJ-中心村`, box `KJ-中心村-03` (group number; 00 for
households without a group), bag `KJ-中心村-03-0012` (the bag's number in its
box, never reused). The prefix is settings.ARCHIVES_CODE_PREFIX (default "KJ";
a dict maps town names to prefixes where one installation serves several towns).

`locations_sync` is idempotent: it creates what is missing, moves the bag of a
household that changed village or group (new box, new number, new code: the old
code stays in the bag's history) and renames codes after a village is renamed.
The registry does not import the archive, so it runs on demand (bag page, labels,
the archive home), from the `archives_sync` command and from a periodic task.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from archives.models import ArchiveRoom, Bag, Box, Cabinet
from households.models import Household, Town, Village
from households.towns.selectors import is_first_town

DEFAULT_PREFIX = "KJ"


@dataclass
class SyncResult:
    created: int = 0
    moved: int = 0
    renamed: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.moved + self.renamed


def code_prefix(town: Town) -> str:
    """The town's own prefix (per town, issue 19); else the deployment's setting, which as a plain
    string names the first town's room only (room codes are unique across towns), else the town code."""
    if town.archive_prefix:
        return town.archive_prefix
    prefix = getattr(settings, "ARCHIVES_CODE_PREFIX", DEFAULT_PREFIX)
    if isinstance(prefix, dict):
        return prefix.get(town.name) or town.code
    return (prefix or DEFAULT_PREFIX) if is_first_town(town) else town.code


def cabinet_code(room_code: str, village: Village) -> str:
    return f"{room_code}-{village.name}"


def box_code(cabinet_code_: str, number: int) -> str:
    return f"{cabinet_code_}-{number:02d}"


def bag_code(box_code_: str, number: int) -> str:
    return f"{box_code_}-{number:04d}"


def _get_or_create(model, by, lookup: dict, defaults: dict):
    """get_or_create with history, safe against a concurrent sync creating the same row."""
    found = model.objects.filter(**lookup).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            row = model(**lookup, **defaults)
            row._history_user = by
            row.save()
            return row, True
    except IntegrityError:
        return model.objects.get(**lookup), False


def _save_code(row, code: str, by) -> bool:
    if row.code == code:
        return False
    row.code = code
    row._history_user = by
    row._change_reason = "编码随登记信息更新"
    row.save(update_fields=["code"])
    return True


def locations_sync(
    *, household_ids: Iterable[int] | QuerySet | None = None, by: AbstractBaseUser | None = None
) -> SyncResult:
    """Create and update rooms, cabinets, boxes and bags for the households (all when None)."""
    result = SyncResult()
    households = Household.objects.all()
    if household_ids is not None:
        households = households.filter(pk__in=household_ids)
    wanted = {
        pk: (village_id, group or 0)
        for pk, village_id, group in households.values_list("pk", "village_id", "group__number")
    }
    if not wanted:
        return result
    village_ids = {v for v, _ in wanted.values()}

    with transaction.atomic():
        # Rooms and cabinets (a handful of rows).
        villages = Village.objects.filter(pk__in=village_ids).select_related("town")
        cabinets: dict[int, Cabinet] = {c.village_id: c for c in Cabinet.objects.filter(village_id__in=village_ids)}
        rooms: dict[int, ArchiveRoom] = {}
        for village in villages:
            town = village.town
            if town.pk not in rooms:
                prefix = code_prefix(town)
                room, created = _get_or_create(ArchiveRoom, by, {"town": town}, {"code": prefix})
                result.renamed += not created and _save_code(room, prefix, by)
                rooms[town.pk] = room
            code = cabinet_code(rooms[town.pk].code, village)
            cabinet = cabinets.get(village.pk)
            if cabinet is None:
                cabinet, _ = _get_or_create(Cabinet, by, {"village": village}, {"room": rooms[town.pk], "code": code})
                cabinets[village.pk] = cabinet
            else:
                result.renamed += _save_code(cabinet, code, by)

        # Boxes, locked: bag numbers are allocated from them.
        cabinet_ids = [c.pk for c in cabinets.values()]
        boxes: dict[tuple[int, int], Box] = {
            (b.cabinet_id, b.number): b
            for b in Box.objects.select_for_update().filter(cabinet_id__in=cabinet_ids).order_by("pk")
        }
        renamed_boxes = []
        cabinets_by_id = {c.pk: c for c in cabinets.values()}
        for (cabinet_id, number), box in boxes.items():
            code = box_code(cabinets_by_id[cabinet_id].code, number)
            if box.code != code:
                box.code = code
                renamed_boxes.append(box)
        if renamed_boxes:
            bulk_update_with_history(renamed_boxes, Box, ["code"], default_user=by, default_change_reason="编码更新")
            result.renamed += len(renamed_boxes)
        for village_id, number in set(wanted.values()):
            cabinet = cabinets[village_id]
            if (cabinet.pk, number) not in boxes:
                box, _ = _get_or_create(
                    Box, by, {"cabinet": cabinet, "number": number}, {"code": box_code(cabinet.code, number)}
                )
                # Lock it like the others (a concurrent sync may have made it).
                boxes[(cabinet.pk, number)] = Box.objects.select_for_update().get(pk=box.pk)

        # Bags.
        bags = {b.household_id: b for b in Bag.objects.filter(household_id__in=wanted.keys())}
        boxes_by_id = {b.pk: b for b in boxes.values()}
        new_bags, changed_bags, used_boxes = [], [], set()
        for household_id, (village_id, number) in sorted(wanted.items()):
            box = boxes[(cabinets[village_id].pk, number)]
            bag = bags.get(household_id)
            if bag is None or bag.box_id != box.pk:
                bag_number = box.next_bag_number
                box.next_bag_number += 1
                used_boxes.add(box.pk)
                if bag is None:
                    new_bags.append(
                        Bag(household_id=household_id, box=box, number=bag_number, code=bag_code(box.code, bag_number))
                    )
                    result.created += 1
                    continue
                bag.box, bag.number = box, bag_number
                result.moved += 1
                changed_bags.append(bag)
            elif bag.code != bag_code(box.code, bag.number):
                result.renamed += 1
                changed_bags.append(bag)
            bag.code = bag_code(box.code, bag.number)
        if used_boxes:
            bulk_update_with_history([boxes_by_id[pk] for pk in used_boxes], Box, ["next_bag_number"], default_user=by)
        if changed_bags:
            bulk_update_with_history(
                changed_bags,
                Bag,
                ["box", "number", "code"],
                default_user=by,
                default_change_reason="档案袋随户迁移或更名",
            )
        if new_bags:
            bulk_create_with_history(new_bags, Bag, default_user=by, default_change_reason="建立档案袋")
    return result


def bag_for(*, household: Household, by: AbstractBaseUser | None = None) -> Bag:
    """The household's bag, brought in step first (pages call this: they heal what the registry changed)."""
    locations_sync(household_ids=[household.pk], by=by)
    return Bag.objects.select_related("box__cabinet__room").get(household=household)
