"""A campaign's 综合档案 checked against what the seed expects of each phase (五: 方法和步骤).

准备: the plan, the leadership group, the teams, the 培训动员大会, policy outreach;
清理实施: the 民主评议 minutes; 抽查审批: the district's spot-check report;
总结: the summary, the 通报, the 目标考核 material. Which kinds are expected is
office data (`RecordKind.expected`, `.phase`). The 民主评议 minutes are expected
only when the campaign requires appraisal, and their item says how many of the
campaign's appraisals sit in a meeting whose minutes are filed.
"""

from collections import defaultdict

from django.urls import reverse

from archives.models import RecordBox, RecordDocument, RecordFile, RecordKind
from archives.models.records import PHASES
from review.filing import CampaignFile, FiledFile, FileItem, PhaseFile
from review.models import Appraisal, Campaign, Meeting


def filed(document: RecordDocument) -> FiledFile:
    by = document.uploaded_by
    return FiledFile(
        kind=document.kind.name,
        title=document.title,
        name=document.original_name,
        url=reverse("archives:record_download", args=[document.pk]),
        uploaded_at=document.uploaded_at,
        uploaded_by=by.get_full_name() or by.username,
    )


def _appraisal_note(campaign: Campaign, kind: RecordKind) -> str:
    appraisals = Appraisal.objects.filter(case__campaign=campaign)
    total = appraisals.count()
    if not total:
        return "本行动尚无案件完成民主评议记录。"
    covered = appraisals.filter(meeting_link__meeting__record_documents__kind=kind).distinct().count()
    gap = f"；{total - covered} 件尚待关联到已上传会议记录的评议会议" if covered < total else ""
    return f"已有 {total} 件案件填写民主评议记录，其中 {covered} 件的评议会议已上传会议记录{gap}。"


def is_expected(kind: RecordKind, campaign: Campaign) -> bool:
    """Whether every campaign like this one should have a document of this kind (office data)."""
    if not (kind.active and kind.expected):
        return False
    return not (kind.meeting_kind == Meeting.Kind.APPRAISAL and not campaign.appraisal_required)


def campaign_overview(*, campaigns: list[Campaign]) -> list[tuple[Campaign, list[str], list[str]]]:
    """(campaign, names of the expected kinds it lacks, its box codes) for a list of campaigns, in 3 queries."""
    expected = list(RecordKind.objects.filter(active=True, expected=True).order_by("order", "id"))
    filed = set(RecordDocument.objects.filter(campaign__in=campaigns).values_list("campaign_id", "kind_id").distinct())
    boxes: dict[int, list[str]] = defaultdict(list)
    for campaign_id, code in (
        RecordBox.objects.filter(campaign__in=campaigns).order_by("code").values_list("campaign_id", "code")
    ):
        boxes[campaign_id].append(code)
    return [
        (
            campaign,
            [k.name for k in expected if is_expected(k, campaign) and (campaign.pk, k.pk) not in filed],
            boxes[campaign.pk],
        )
        for campaign in campaigns
    ]


def campaign_checklist(*, campaign: Campaign) -> CampaignFile:
    """The campaign's file per phase: expected kinds (present or missing) and any other kind filed."""
    documents = (
        RecordDocument.objects.filter(campaign=campaign)
        .select_related("kind", "uploaded_by", "box")
        .order_by("kind__order", "uploaded_at", "id")
    )
    by_kind: dict[int, list[RecordDocument]] = defaultdict(list)
    boxes: dict[str, None] = {}
    for document in documents:
        by_kind[document.kind_id].append(document)
        boxes[document.box.code] = None
    phases, financial = [], []
    kinds = list(RecordKind.objects.filter(active=True).order_by("order", "id"))
    kinds += [d.kind for docs in by_kind.values() for d in docs[:1] if not d.kind.active]
    items_by_phase: dict[str, list[FileItem]] = {value: [] for value, _ in PHASES}
    general_other: list[FileItem] = []
    for kind in kinds:
        expected = is_expected(kind, campaign)
        files = [filed(d) for d in by_kind.get(kind.pk, [])]
        if not expected and not files and kind.file == RecordFile.GENERAL:
            continue
        note = _appraisal_note(campaign, kind) if kind.meeting_kind == Meeting.Kind.APPRAISAL and expected else ""
        item = FileItem(kind=kind.name, expected=expected, files=files, note=note)
        if kind.file == RecordFile.FINANCIAL:
            financial.append(item)
        elif kind.phase in items_by_phase:
            items_by_phase[kind.phase].append(item)
        else:
            general_other.append(item)
    for value, _ in PHASES:
        phases.append(PhaseFile(phase=value, items=items_by_phase[value]))
    if general_other:
        phases.append(PhaseFile(phase="其他", items=general_other))
    return CampaignFile(
        phases=phases,
        financial=financial,
        url=reverse("archives:records_campaign", args=[campaign.pk]),
        boxes=list(boxes),
    )
