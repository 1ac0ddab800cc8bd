"""Files of review's records, kept by the archive: a registry filled by `ArchivesConfig.ready()`.

Campaigns, meetings and outreach records are review's; their files (the
campaign's 综合档案 with its checklist per phase, a meeting's minutes, an
outreach photo) are kept by `archives.records`, with its upload checks, access
logging, retention and box codes. `review` never imports `archives`: the archive
registers three functions here, and review's pages and services call them.
Without a registration (review alone) the pages show no files and the forms no
file field.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import models

__all__ = [
    "CampaignFile",
    "FileItem",
    "FiledFile",
    "PhaseFile",
    "attach",
    "campaign_file",
    "can_attach",
    "files_of",
    "register_filing",
]

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class FiledFile:
    """One filed document as a page shows it: the URL is the archive's scoped, logged download."""

    kind: str
    title: str
    name: str
    url: str
    uploaded_at: datetime
    uploaded_by: str


@dataclass
class FileItem:
    kind: str
    expected: bool
    files: list[FiledFile] = field(default_factory=list)
    note: str = ""

    @property
    def present(self) -> bool:
        return bool(self.files)


@dataclass
class PhaseFile:
    phase: str
    items: list[FileItem]

    @property
    def missing(self) -> list[FileItem]:
        return [i for i in self.items if i.expected and not i.present]


@dataclass
class CampaignFile:
    """A campaign's 综合档案: what each phase should hold (seed 五) and what it holds."""

    phases: list[PhaseFile]
    financial: list[FileItem]
    url: str  # the archive's page of this file
    boxes: list[str]  # 室-柜-盒 codes of the boxes that hold it

    @property
    def financial_missing(self) -> list[FileItem]:
        return [i for i in self.financial if i.expected and not i.present]

    @property
    def missing_count(self) -> int:
        return sum(len(p.missing) for p in self.phases) + len(self.financial_missing)


# campaign_file(*, campaign, user) -> CampaignFile | None (None: the user may not see the town's file)
# files_of(*, user, meetings, outreach) -> {("meeting", pk) | ("outreach", pk): [FiledFile]}
# attach(*, obj, file, by) -> FiledFile (a meeting's minutes or an outreach photo; ValidationError in Chinese)
_registry: dict[str, Callable] = {}


def register_filing(*, campaign_file: Callable, files_of: Callable, attach: Callable) -> None:
    _registry.update(campaign_file=campaign_file, files_of=files_of, attach=attach)


def campaign_file(*, campaign: models.Model, user: User) -> CampaignFile | None:
    provider = _registry.get("campaign_file")
    return provider(campaign=campaign, user=user) if provider else None


def files_of(
    *, user: User, meetings: Iterable[models.Model] = (), outreach: Iterable[models.Model] = ()
) -> dict[tuple[str, int], list[FiledFile]]:
    provider = _registry.get("files_of")
    return provider(user=user, meetings=list(meetings), outreach=list(outreach)) if provider else {}


def can_attach() -> bool:
    return "attach" in _registry


def attach(*, obj: models.Model, file: UploadedFile, by: AbstractBaseUser) -> FiledFile:
    return _registry["attach"](obj=obj, file=file, by=by)
