"""How the archive files a phone's visit photos: explicit calls, no signals.

`review` does not import `archives`. `archives` registers a filer from its
AppConfig.ready() that re-encodes each photo without metadata and files it in
the household's bag (一户一袋) as 入户调查照片 or 抽查走访照片. It runs inside the
transaction that applies the phone's form, so the form and its photos are saved
together or not at all. A filer returns the number of photos filed, or raises
ValidationError (the whole form is refused).
"""

from collections.abc import Callable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

# filer(*, kind: "入户调查"|"听查看访", household, case, files, note, by) -> int
PhotoFiler = Callable[..., int]
_filers: list[PhotoFiler] = []


def on_visit_photos(filer: PhotoFiler) -> PhotoFiler:
    """Register the filer (idempotent; usable as a decorator)."""
    if filer not in _filers:
        _filers.append(filer)
    return filer


def visit_photos_file(*, kind: str, household, case, files: Sequence, note: str, by: AbstractBaseUser) -> int:
    if not files:
        return 0
    if not _filers:
        raise ValidationError("系统未启用档案管理，照片无法归档。")
    return sum(
        filer(kind=kind, household=household, case=case, files=list(files), note=note, by=by) for filer in _filers
    )
