"""Checklists and completeness: which required documents a case (or a household's bag) has and lacks.

Requirements are rows (`ChecklistRequirement`: case kind, stage, document
kind). A document counts for a case when it is filed against that case or
against the household with no case (ID copies and the like serve every case).
A household's bag is checked against its latest case; a household without a
case against the application checklist (every recipient was admitted once).

A 民主评议 meeting's minutes are filed once, in the campaign file
(`archives.records`): for every case whose appraisal is linked to that meeting
they count as the household document their kind stands for
(`RecordKind.satisfies`, the 民主评议记录), so nobody files them in each bag.

Pipeline gate (registered from ArchivesConfig.ready): leaving a stage needs the
documents of the stages before it. The town review goes ahead with a recorded
warning; the district approval is refused while documents that block approval
are missing, unless settings.ARCHIVES_APPROVAL_GATE is False.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Max, QuerySet
from django.urls import reverse

from archives.models import ChecklistRequirement, ChecklistWarning, Document, DocumentKind, RecordDocument
from archives.models.documents import STAGES
from households.models import Household
from households.selectors import households_visible_to
from kanjia.xlsx import SheetSpec, write_xlsx
from review.cases.workflow import Reason
from review.models import Case

STAGE_ORDER = [value for value, _ in STAGES]
APPLICATION = "新申请"
APPRAISAL = "民主评议"
TOWN_REVIEW = "镇审核"
DISTRICT_APPROVAL = "区审批"
# Transitions the gate watches: the stage they leave.
GATED = {"town_review": TOWN_REVIEW, "approve": DISTRICT_APPROVAL}


@dataclass
class Item:
    kind: DocumentKind
    stage: str
    required_now: bool  # the case has reached (or passed) the stage
    blocks_approval: bool
    documents: list[Document] = field(default_factory=list)
    # The minutes of the 民主评议 meeting the case was heard in (filed once, in the campaign file).
    shared: list[RecordDocument] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return bool(self.documents or self.shared)


@dataclass
class Checklist:
    household_id: int
    case: Case | None
    items: list[Item]

    @property
    def due(self) -> list[Item]:
        return [i for i in self.items if i.required_now]

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.due if not i.present]

    @property
    def present_count(self) -> int:
        return sum(1 for i in self.due if i.present)

    @property
    def percent(self) -> int:
        return 100 if not self.due else round(100 * self.present_count / len(self.due))

    @property
    def complete(self) -> bool:
        return not self.missing


def _stage_index(status: str) -> int:
    """Index of the case's current stage; closed cases have passed every stage."""
    return STAGE_ORDER.index(status) if status in STAGE_ORDER else len(STAGE_ORDER)


def _requirements() -> list[ChecklistRequirement]:
    rows = ChecklistRequirement.objects.filter(active=True, kind__active=True).select_related("kind")
    return sorted(rows, key=lambda r: (STAGE_ORDER.index(r.stage), r.kind.order, r.kind_id))


def _build(
    *,
    household_id: int,
    case: Case | None,
    requirements: list[ChecklistRequirement],
    documents: Iterable[Document],
    appraisal_required: bool | None = None,
    shared: dict[int, list[RecordDocument]] | None = None,
) -> Checklist:
    case_kind = case.kind if case is not None else APPLICATION
    reached = _stage_index(case.status) if case is not None else len(STAGE_ORDER)
    if appraisal_required is None:
        appraisal_required = case.appraisal_required if case is not None else True
    by_kind: dict[int, list[Document]] = defaultdict(list)
    for document in documents:
        if case is None or document.case_id in (None, case.pk):
            by_kind[document.kind_id].append(document)
    items: dict[int, Item] = {}
    for row in requirements:
        if row.case_kind not in ("", case_kind):
            continue
        if row.stage == APPRAISAL and not appraisal_required:
            continue
        now = STAGE_ORDER.index(row.stage) <= reached
        item = items.get(row.kind_id)
        if item is None:
            items[row.kind_id] = Item(
                row.kind,
                row.stage,
                now,
                row.blocks_approval,
                by_kind.get(row.kind_id, []),
                (shared or {}).get(row.kind_id, []),
            )
        else:  # the same kind required twice (any-kind row + kind row): the earlier stage wins
            item.required_now |= now
            item.blocks_approval |= row.blocks_approval
    return Checklist(household_id=household_id, case=case, items=list(items.values()))


def shared_minutes(*, case_ids: list[int]) -> dict[int, dict[int, list[RecordDocument]]]:
    """case id → household document kind id → the minutes of the 民主评议 meeting the case was heard in (1 query)."""
    if not case_ids:
        return {}
    found: dict[int, dict[int, list[RecordDocument]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        RecordDocument.objects.filter(meeting__links__appraisal__case_id__in=case_ids, kind__satisfies__isnull=False)
        .annotate(for_case=F("meeting__links__appraisal__case_id"))
        .select_related("kind", "meeting")
        .order_by("uploaded_at", "id")
    )
    for document in rows:
        found[document.for_case][document.kind.satisfies_id].append(document)
    return found


def case_checklist(*, case: Case) -> Checklist:
    documents = Document.objects.filter(household_id=case.household_id).select_related("kind")
    shared = shared_minutes(case_ids=[case.pk]).get(case.pk)
    return _build(
        household_id=case.household_id, case=case, requirements=_requirements(), documents=documents, shared=shared
    )


def household_checklist(*, household: Household) -> Checklist:
    case = Case.objects.filter(household=household).select_related("campaign").order_by("-id").first()
    documents = Document.objects.filter(household=household).select_related("kind", "uploaded_by")
    shared = shared_minutes(case_ids=[case.pk]).get(case.pk) if case is not None else None
    return _build(
        household_id=household.pk, case=case, requirements=_requirements(), documents=documents, shared=shared
    )


def missing_before(*, case: Case, stage: str, blocking_only: bool = False) -> list[str]:
    """Names of required documents of the stages before `stage` that the case lacks."""
    limit = STAGE_ORDER.index(stage)
    checklist = case_checklist(case=case)
    return [
        item.kind.name
        for item in checklist.items
        if STAGE_ORDER.index(item.stage) < limit and not item.present and (item.blocks_approval or not blocking_only)
    ]


# --- The pipeline gate -------------------------------------------------------------------


def approval_gate(*, case: Case, action: str, transition, by: AbstractBaseUser, data: dict | None) -> str | None:
    """Workflow guard: warn at the town review, refuse the district approval, while documents are missing."""
    stage = GATED.get(action)
    if stage is None or case.status != stage:
        return None
    gate_on = getattr(settings, "ARCHIVES_APPROVAL_GATE", True)
    bag = reverse("archives:bag", args=[case.household_id])
    if action == "town_review":
        # The town does not forward what the district will refuse: the same switch, the same list.
        missing = missing_before(case=case, stage=DISTRICT_APPROVAL, blocking_only=True)
        if missing and gate_on:
            return Reason(
                f"档案材料不全，不能报区审批（区民政局会因此拒绝审批）。缺少：{'、'.join(missing)}。"
                "请先在该户档案袋中上传。",
                url=bag,
                link="到档案袋上传",
            )
        missing = missing_before(case=case, stage=stage)
        if missing:
            # Recorded in the same transaction: kept only if the review goes through.
            ChecklistWarning.objects.create(case=case, action=action, missing="、".join(missing), by=by)
        return None
    if not gate_on:
        return None
    missing = missing_before(case=case, stage=stage, blocking_only=True)
    if missing:
        return Reason(
            f"档案材料不全，不能审批。缺少：{'、'.join(missing)}。请先在该户档案袋中上传。",
            url=bag,
            link="到档案袋上传",
        )
    return None


def missing_notice(*, case: Case) -> list[str]:
    """review.cases.workflow case notice: at 镇审核 and 区审批, the documents the district approval will need."""
    if case.status not in (TOWN_REVIEW, DISTRICT_APPROVAL):
        return []
    # The archive checklist the district approval will check, shown from the town review on.
    limit = STAGE_ORDER.index(DISTRICT_APPROVAL)
    due = [item for item in case_checklist(case=case).items if STAGE_ORDER.index(item.stage) < limit]
    missing = [item.kind.name for item in due if not item.present]
    bag = reverse("archives:bag", args=[case.household_id])
    if not missing:
        present = "、".join(item.kind.name for item in due)
        return [Reason(f"档案清单（区审批前须齐备）：{present or '无'}，均已上传。", url=bag, link="查看档案袋")]
    blocking = [item for item in due if not item.present and item.blocks_approval]
    gate_on = getattr(settings, "ARCHIVES_APPROVAL_GATE", True)
    then = "报区审批前必须补齐" if blocking and gate_on else "请尽快补齐"
    have = [item.kind.name for item in due if item.present]
    text = f"档案材料缺项：{'、'.join(missing)}。{then}（在该户档案袋中上传）。已有：{'、'.join(have) or '无'}。"
    return [Reason(text, url=bag, link="到档案袋上传")]


# --- Completeness report -------------------------------------------------------------------


@dataclass
class HouseholdRow:
    household_id: int
    village_id: int
    village: str
    group: int | None
    head_name: str
    status: str
    checklist: Checklist


@dataclass
class VillageRow:
    village_id: int
    name: str
    households: int = 0
    complete: int = 0
    due: int = 0
    present: int = 0

    @property
    def percent(self) -> int:
        return 100 if not self.due else round(100 * self.present / self.due)


@dataclass
class Report:
    households: list[HouseholdRow]
    villages: list[VillageRow]
    total: VillageRow


def completeness_report(*, user: AbstractBaseUser, village_id: int | None = None, town_id: int | None = None) -> Report:
    """Completeness of every visible household's bag (of one village, or one town), by village and in
    all. Five queries, and a row per household: about 0.8 s for a town of 5,000 households, so the
    pages ask an account that sees several towns to pick one."""
    households = households_visible_to(user=user)
    if village_id:
        households = households.filter(village_id=village_id)
    if town_id:
        households = households.filter(village__town_id=town_id)
    rows = list(
        households.order_by("village__order", "village_id", "group__number", "id").values_list(
            "id", "village_id", "village__name", "group__number", "head_name", "status"
        )
    )
    ids = [r[0] for r in rows]
    latest = dict(
        Case.objects.filter(household_id__in=ids)
        .values("household_id")
        .annotate(last=Max("id"))
        .values_list("household_id", "last")
    )
    cases = {c.pk: c for c in Case.objects.filter(pk__in=latest.values()).select_related("campaign")}
    minutes = shared_minutes(case_ids=list(cases))
    documents: dict[int, list[Document]] = defaultdict(list)
    for document in Document.objects.filter(household_id__in=ids).only("id", "household_id", "case_id", "kind_id"):
        documents[document.household_id].append(document)
    requirements = _requirements()
    result, villages = [], {}
    total = VillageRow(0, "合计")
    for pk, vid, vname, group, head, status in rows:
        case = cases.get(latest.get(pk))
        checklist = _build(
            household_id=pk,
            case=case,
            requirements=requirements,
            documents=documents[pk],
            shared=minutes.get(case.pk) if case is not None else None,
        )
        result.append(HouseholdRow(pk, vid, vname, group, head, status, checklist))
        village = villages.setdefault(vid, VillageRow(vid, vname))
        for row in (village, total):
            row.households += 1
            row.complete += checklist.complete
            row.due += len(checklist.due)
            row.present += checklist.present_count
    return Report(households=result, villages=list(villages.values()), total=total)


def completeness_xlsx(*, report: Report) -> bytes:
    summary = SheetSpec(
        "完整率汇总",
        ["村(社区)", "户数", "资料齐全户数", "应有材料", "已有材料", "完整率(%)"],
        [[v.name, v.households, v.complete, v.due, v.present, v.percent] for v in [*report.villages, report.total]],
    )
    details = SheetSpec(
        "缺项明细",
        ["村(社区)", "组", "户主", "保障状态", "案件", "应有", "已有", "完整率(%)", "缺少的材料"],
        [
            [
                h.village,
                h.group or "",
                h.head_name,
                h.status,
                f"{h.checklist.case.kind}#{h.checklist.case.pk}（{h.checklist.case.status}）"
                if h.checklist.case
                else "",
                len(h.checklist.due),
                h.checklist.present_count,
                h.checklist.percent,
                "、".join(i.kind.name for i in h.checklist.missing),
            ]
            for h in report.households
        ],
    )
    return write_xlsx([summary, details])


def cases_missing_documents(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The case list's filter 档案缺项: cases lacking a document their stage already needs (4 queries)."""
    rows = list(cases.select_related("campaign").order_by())
    if not rows:
        return cases.none()
    requirements = _requirements()
    documents: dict[int, list[Document]] = defaultdict(list)
    for document in Document.objects.filter(household_id__in={c.household_id for c in rows}):
        documents[document.household_id].append(document)
    shared = shared_minutes(case_ids=[c.pk for c in rows])
    missing = [
        case.pk
        for case in rows
        if _build(
            household_id=case.household_id,
            case=case,
            requirements=requirements,
            documents=documents.get(case.household_id, []),
            shared=shared.get(case.pk),
        ).missing
    ]
    return cases.filter(pk__in=missing)
