"""How a later app files a delivered notice's scanned receipt (送达回证): explicit calls, no signals.

`review` does not import `archives`. `archives` registers a listener from its
AppConfig.ready() that files the scan in the household's bag (一户一袋) as a
document of the notice's case; it runs inside the transaction that records the
delivery, so the delivery and the filed scan are saved together or not at all.
A listener returns a note for the officer, or raises ValidationError (the scan
is refused and nothing is recorded).
"""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser

# listener(*, notice: DecisionNotice, file, by) -> str | None
ScanListener = Callable[..., str | None]
_listeners: list[ScanListener] = []


def on_notice_scan(listener: ScanListener) -> ScanListener:
    """Register a listener (idempotent; usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def has_scan_listeners() -> bool:
    return bool(_listeners)


def notice_scan_received(*, notice, file, by: AbstractBaseUser) -> list[str]:
    """Hand the uploaded scan to every listener; returns their notes."""
    notes = [listener(notice=notice, file=file, by=by) for listener in list(_listeners)]
    return [note for note in notes if note]
