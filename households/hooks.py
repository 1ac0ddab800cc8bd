"""How later apps react to registry changes: explicit calls, not model signals.

`households` may not import `review` or `archives` (layering), yet they must
react when households change: the near-relatives register rematches, archive
bags follow a household that moved. They register a listener here from their
AppConfig.ready(); every service that writes households or members calls
`households_changed` once, after its writes. Listeners run after the commit,
so a rolled-back change triggers nothing, and a bulk writer (import,
generator) triggers one call, not one per row.
"""

from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

# listener(*, household_ids: frozenset[int] | None, by) -> None; None means "any household".
Listener = Callable[..., None]
_listeners: list[Listener] = []


def on_households_changed(listener: Listener) -> Listener:
    """Register a listener (idempotent; usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def households_changed(*, household_ids: Iterable[int] | None, by: AbstractBaseUser | None) -> None:
    """Tell the listeners, once the current transaction commits, that these households changed."""
    ids = None if household_ids is None else frozenset(household_ids)
    if ids is not None and not ids:
        return

    def notify() -> None:
        for listener in list(_listeners):
            listener(household_ids=ids, by=by)

    transaction.on_commit(notify)
