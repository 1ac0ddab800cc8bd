"""Retention beats housekeeping: which sealed audit rows the purge may delete, per household (issue 15).

Change history is also the archive (ARC, DOMAIN §7): past payment rolls and 月上报
are rebuilt from `Household.history.as_of`, and a household's approval records
must be kept while aid continues and 3 years after it stops, its routine records
5 years. So the purge decides per household, never per sealed block:

- every audit row is traced to its household (`household_lookup`: the history
  table's own `household`/`case`/... foreign keys, followed up to three steps);
- a household's rows may go only when its retention has ended: not in care, not
  applying, no open case, no grace period in force, 3 years since its aid stopped
  (`archives.documents.services.aid_stopped_on`, read from its history) and 5 years
  since its last routine record (members, assets, income, flags, documents…);
- a row of a household table whose household cannot be traced is kept;
- rows that belong to no household (users, teams, campaigns, the access log…)
  follow the age rule alone;
- nothing younger than the retention days (never below 180) is deleted, whatever.

Each purged block gets an `AuditPurge` row naming exactly the deleted row ids and
why (the households and their retention dates, or the age rule), bound to the
seal's digest; verification accepts exactly those rows as gone.
"""

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from archives.audit.seals import AuditTable, audit_tables, retention_days, table_by_name
from archives.documents.services import APPROVAL_YEARS, ROUTINE_YEARS, add_years, aid_stopped_on
from archives.models import AuditPurge, AuditSeal
from households.models import Household

# Tables whose rows are the approval record of a household's cases (kept 3 years after aid stops);
# every other household table is a routine record (kept 5 years from the row).
APPROVAL_MODELS = {
    "households.household",
    "review.case",
    "review.casestep",
    "review.acceptance",
    "review.investigation",
    "review.investigationitem",
    "review.economiccheck",
    "review.appraisal",
    "review.registrationform",
    "review.townreview",
    "review.districtapproval",
    "review.decisionnotice",
    "review.complaint",
    "review.graceperiod",
    "review.periodicrecheck",
    "review.spotcheck",
    "publicity.roundcase",
    "publicity.objection",
}
CHUNK = 500


def _base_label(model: type[models.Model]) -> str:
    """`app.model` of the tracked model a history table records (its own label for other tables)."""
    tracked = getattr(model, "instance_type", None)
    if tracked is None and hasattr(model, "history"):
        parent = model._meta.get_field("history").related_model
        tracked = getattr(parent, "instance_type", None)
    return (tracked or model)._meta.label_lower


def _fks(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey)
        and f.name not in ("history_user", "history_relation")
        and f.related_model is not None
        and f.related_model._meta.label_lower != "auth.user"
    ]


def household_lookup(model: type[models.Model]) -> str | None:
    """The ORM lookup from a history (or other audit) row to its household id, or None (no household)."""
    if getattr(model, "instance_type", None) is Household:
        return "id"
    # Breadth first over foreign keys (at most three steps): the nearest household wins.
    queue = deque([(model, "", 0)])
    while queue:
        current, prefix, depth = queue.popleft()
        for fk in _fks(current):
            target = fk.related_model
            path = f"{prefix}{fk.name}"
            if target is Household:
                return f"{path}_id" if not prefix else f"{path}__id"
            if depth < 2:
                queue.append((target, f"{path}__", depth + 1))
    return None


@dataclass
class HouseholdRetention:
    household_id: int
    ended: bool
    until: date | None  # None: aid continues (kept indefinitely)
    why: str


def _open_case_ids() -> set[int]:
    from review.models import Case
    from review.models.cases import FINAL_STATUSES

    return set(Case.objects.exclude(status__in=FINAL_STATUSES).values_list("household_id", flat=True))


def _graces_in_force(today: date) -> set[int]:
    from review.models import GracePeriod

    month = today.replace(day=1)
    return set(
        GracePeriod.objects.filter(ended_on__isnull=True, end_month__gte=month).values_list("household_id", flat=True)
    )


def last_routine_records(*, household_ids: set[int], tables: list[AuditTable]) -> dict[int, datetime]:
    """Per household, the time of its newest routine (non-approval) audit row."""
    newest: dict[int, datetime] = {}
    if not household_ids:
        return newest
    for table in tables:
        lookup = household_lookup(table.model)
        if lookup is None or _base_label(table.model) in APPROVAL_MODELS:
            continue
        rows = (
            table.model._default_manager.filter(**{f"{lookup}__in": household_ids})
            .values(lookup)
            .annotate(last=Max(table.time_field))
            .values_list(lookup, "last")
        )
        for household_id, last in rows:
            if last is not None and (household_id not in newest or last > newest[household_id]):
                newest[household_id] = last
    return newest


def household_retention(*, today: date | None = None, tables: list[AuditTable] | None = None) -> dict:
    """Every household's retention: whether it has ended, until when, and why (in Chinese)."""
    today = today or timezone.localdate()
    tables = tables or audit_tables()
    kept: dict[int, HouseholdRetention] = {}
    in_care = Q(status__in=[Household.Status.ACTIVE, Household.Status.APPLYING])
    for household_id in Household.objects.filter(in_care).values_list("pk", flat=True):
        kept[household_id] = HouseholdRetention(household_id, False, None, "在保或申请中：审批材料保管至停保后满3年")
    busy = _open_case_ids() | _graces_in_force(today)
    candidates = list(Household.objects.exclude(in_care).only("pk", "status", "head_name"))
    newest = last_routine_records(household_ids={h.pk for h in candidates}, tables=tables)
    for household in candidates:
        if household.pk in busy:
            kept[household.pk] = HouseholdRetention(household.pk, False, None, "有正在办理的案件或渐退期未满")
            continue
        stopped = aid_stopped_on(household=household)
        approval_until = add_years(stopped, APPROVAL_YEARS)
        last = newest.get(household.pk)
        routine_until = add_years(timezone.localtime(last).date(), ROUTINE_YEARS) if last else approval_until
        until = max(approval_until, routine_until)
        why = (
            f"{household.status}（{stopped:%Y-%m-%d}停止保障）：审批材料保管至{approval_until:%Y-%m-%d}，"
            f"日常管理记录保管至{routine_until:%Y-%m-%d}"
        )
        kept[household.pk] = HouseholdRetention(household.pk, today > until, until, why)
    return kept


@dataclass
class PurgeResult:
    deleted: int = 0
    cutoff: datetime | None = None
    by_table: dict[str, int] = field(default_factory=dict)
    households_purged: set[int] = field(default_factory=set)
    households_kept: int = 0

    @property
    def message(self) -> str:
        if not self.deleted:
            return (
                f"没有可清理的审计记录：{self.cutoff:%Y-%m-%d} 以前的已封存记录中，既没有档案保管期已满的低保户的记录，"
                f"也没有可按期限清理的其他记录（仍在档案保管期内的低保户 {self.households_kept} 户）。"
            )
        tables = "、".join(f"{name} {count} 行" for name, count in sorted(self.by_table.items()))
        return f"已删除 {self.deleted} 行（{tables}），其中涉及保管期满的低保户 {len(self.households_purged)} 户。"


def purge_digest(*, seal: AuditSeal, row_ids: list[int] | None, reasons: list) -> str:
    text = json.dumps([seal.digest, row_ids, reasons], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def purged_rows() -> dict[int, set[int] | None]:
    """Seal id → the row ids purged on purpose (None: the whole block, purges before issue 15)."""
    found: dict[int, set[int] | None] = {}
    for seal_id, row_ids in AuditPurge.objects.values_list("seal_id", "row_ids"):
        if row_ids is None or found.get(seal_id, set()) is None:
            found[seal_id] = None
        else:
            found.setdefault(seal_id, set()).update(row_ids)
    return found


def purge_record_problems() -> list[tuple[int, str]]:
    """(seal number, text) for every purge record whose digest no longer matches what it lists."""
    problems = []
    for purge in AuditPurge.objects.exclude(digest="").select_related("seal").order_by("pk"):
        if purge_digest(seal=purge.seal, row_ids=purge.row_ids, reasons=purge.reasons) != purge.digest:
            problems.append((purge.seal.number, f"封存#{purge.seal.number}：清理记录#{purge.pk}被改动"))
    return problems


def purge_audit_rows(*, days: int | None = None, today: date | None = None) -> PurgeResult:
    """Delete the sealed audit rows no retention rule needs any more (see the module docstring)."""
    keep = max(days or 0, retention_days())
    cutoff = timezone.now() - timedelta(days=keep)
    result = PurgeResult(cutoff=cutoff)
    tables = audit_tables()
    by_name = table_by_name()
    retention = household_retention(today=today, tables=tables)
    result.households_kept = sum(1 for r in retention.values() if not r.ended)
    done = purged_rows()
    seals = list(AuditSeal.objects.order_by("number").only("pk", "number", "table", "first_id", "last_id", "digest"))
    # m2m history rows first: they point at the historical rows purged afterwards.
    seals.sort(key=lambda s: "__" not in getattr(by_name.get(s.table), "time_field", ""))
    for seal in seals:
        table = by_name.get(seal.table)
        if table is None or (seal.pk in done and done[seal.pk] is None):
            continue
        lookup = household_lookup(table.model)
        block = table.model._default_manager.filter(
            **{f"{table.pk}__gte": seal.first_id, f"{table.pk}__lte": seal.last_id, f"{table.time_field}__lt": cutoff}
        )
        rows = (
            block.values_list(table.pk, lookup)
            if lookup
            else [(pk, None) for pk in block.values_list(table.pk, flat=True)]
        )
        deletable, households = [], set()
        for row_id, household_id in rows:
            if lookup is None:
                deletable.append(row_id)
            elif household_id is not None and household_id in retention and retention[household_id].ended:
                deletable.append(row_id)
                households.add(household_id)
        if not deletable:
            continue
        reasons = [
            {"household": h, "until": f"{retention[h].until:%Y-%m-%d}", "why": retention[h].why}
            for h in sorted(households)
        ] or [{"rule": f"不属于任何低保户的记录，超过 {keep} 天"}]
        deletable.sort()
        with transaction.atomic():
            count = 0
            for start in range(0, len(deletable), CHUNK):
                count += table.model._default_manager.filter(
                    **{f"{table.pk}__in": deletable[start : start + CHUNK], f"{table.time_field}__lt": cutoff}
                )._raw_delete(table.model._default_manager.db)
            AuditPurge.objects.create(
                seal=seal,
                cutoff=cutoff,
                rows_deleted=count,
                row_ids=deletable,
                reasons=reasons,
                digest=purge_digest(seal=seal, row_ids=deletable, reasons=reasons),
            )
        result.deleted += count
        result.by_table[seal.table] = result.by_table.get(seal.table, 0) + count
        result.households_purged |= households
    return result
