"""How later apps react to a round's posting photo: explicit calls, not model signals.

`publicity` does not import `archives` (archives files documents of every app
and registers with publicity, as it does with review.cases.workflow). `archives`
registers a listener from its AppConfig.ready() that files the posting photo
as a 公示照片 document in the bag of every household the round lists.

Listeners run inside the transaction that records the posting, so the posting
and the filed documents are saved together or not at all. Each returns an
optional note for the officer (e.g. how many bags received the photo).
"""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser

# listener(*, round: PublicityRound, by) -> str | None
Listener = Callable[..., str | None]
_listeners: list[Listener] = []


def on_posting_photo(listener: Listener) -> Listener:
    """Register a listener (idempotent; usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def posting_photo_recorded(*, round, by: AbstractBaseUser) -> list[str]:
    """Tell the listeners that `round.posted_photo` was just saved; returns their notes."""
    notes = [listener(round=round, by=by) for listener in list(_listeners)]
    return [note for note in notes if note]
