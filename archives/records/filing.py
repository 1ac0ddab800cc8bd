"""What the archive registers with `review.filing` (from ArchivesConfig.ready()): review's pages show
the campaign's file, a meeting's minutes and an outreach photo, and review's services file them, without
importing archives."""

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q

from archives.records import checklist, selectors, services
from review.filing import CampaignFile, FiledFile, register_filing
from review.models import Campaign, Meeting, Outreach

User = AbstractBaseUser | AnonymousUser


def campaign_file(*, campaign: Campaign, user: User) -> CampaignFile | None:
    if not selectors.can_read_records(user=user):
        return None  # the town's 综合档案 is never shown to a team member
    return checklist.campaign_checklist(campaign=campaign)


def files_of(
    *, user: User, meetings: list[Meeting], outreach: list[Outreach]
) -> dict[tuple[str, int], list[FiledFile]]:
    if not meetings and not outreach:
        return {}
    documents = (
        selectors.record_documents_visible_to(user=user)
        .filter(Q(meeting__in=[m.pk for m in meetings]) | Q(outreach__in=[o.pk for o in outreach]))
        .select_related("kind", "uploaded_by")
        .order_by("uploaded_at", "id")
    )
    found: dict[tuple[str, int], list[FiledFile]] = defaultdict(list)
    for document in documents:
        key = ("meeting", document.meeting_id) if document.meeting_id else ("outreach", document.outreach_id)
        found[key].append(checklist.filed(document))
    return dict(found)


def attach(*, obj: Meeting | Outreach, file: UploadedFile, by: AbstractBaseUser) -> FiledFile:
    return checklist.filed(services.record_attach(obj=obj, file=file, by=by))


def register() -> None:
    register_filing(campaign_file=campaign_file, files_of=files_of, attach=attach)
