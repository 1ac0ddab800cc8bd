"""Record the neutral duplicate-ID answers, and their resolution by the town office (issue 16, finding 2)."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from households.conflicts.selectors import IdCheck
from households.models import IdConflict
from kanjia import roles


def id_conflicts_record(
    *, check: IdCheck, user: AbstractBaseUser | None, source: str, village_id: int | None = None
) -> int:
    """One row per number answered NEUTRAL (or withheld by the limit). Call it outside the
    transaction of a refused save, so that the refusal does not roll the record back."""
    if user is None or not (check.hidden or check.withheld):
        return 0
    rows = [
        IdConflict(user=user, source=source, id_number=n, holder=m, village_id=village_id)
        for n, m in check.hidden.items()
    ] + [
        IdConflict(user=user, source=source, id_number=n, registered=False, throttled=True, village_id=village_id)
        for n in check.withheld
    ]
    for row in rows:
        row._history_user = user
        row.save()
    return len(rows)


def id_conflict_resolve(*, conflict: IdConflict, by: AbstractBaseUser, resolution: str) -> IdConflict:
    if not (roles.has_role(by, roles.TOWN_OFFICE) and not roles.is_read_only(by)):
        raise PermissionDenied("只有镇民政办可以处理重复登记线索。")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": "请填写处理情况。"})
    with transaction.atomic():
        conflict = IdConflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.resolved_at is not None:
            raise ValidationError("此线索已处理。")
        conflict.resolved_at, conflict.resolved_by, conflict.resolution = timezone.now(), by, resolution[:300]
        conflict._history_user = by
        conflict.save()
    return conflict
