"""What later apps tell dynamic management, without `review` importing them.

`publicity` builds on `review`, so `review` never imports it. Instead publicity
registers, from its AppConfig.ready(), the two things dynamic management needs
to know of it:

- trigger sources: callables `(*, today) -> list[RecheckTrigger]` (unsaved rows)
  whose triggers `collect_triggers` records with its own (objections against a
  finished case on the long-term board);
- objection readers: callables `(*, case_ids) -> iterable of (case_id, result)`,
  with result one of OBJECTION_UPHELD / OBJECTION_REJECTED / OBJECTION_OPEN, read
  by the campaign summary.
"""

from collections.abc import Callable, Iterable
from datetime import date

OBJECTION_UPHELD = "upheld"
OBJECTION_REJECTED = "rejected"
OBJECTION_OPEN = "open"

TriggerSource = Callable[..., list]
ObjectionReader = Callable[..., Iterable[tuple[int, str]]]

_trigger_sources: list[TriggerSource] = []
_objection_readers: list[ObjectionReader] = []


def register_trigger_source(source: TriggerSource) -> TriggerSource:
    """Register a trigger source (idempotent; usable as a decorator)."""
    if source not in _trigger_sources:
        _trigger_sources.append(source)
    return source


def register_objection_reader(reader: ObjectionReader) -> ObjectionReader:
    """Register an objection reader (idempotent; usable as a decorator)."""
    if reader not in _objection_readers:
        _objection_readers.append(reader)
    return reader


def registered_triggers(*, today: date) -> list:
    return [row for source in list(_trigger_sources) for row in source(today=today)]


def objection_results(*, case_ids: Iterable[int]) -> list[tuple[int, str]]:
    ids = list(case_ids)
    return [item for reader in list(_objection_readers) for item in reader(case_ids=ids)]
