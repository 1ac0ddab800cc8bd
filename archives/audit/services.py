"""Reads for the audit viewer: one timeline over every history table, the access log and logins;
household and user trails; anomaly reports.

The timeline is a k-way merge: each source returns its newest `limit` entries
older than the cursor (one or two queries per source, previous versions fetched
in bulk for the diffs), the merge keeps the newest `limit` overall. Filters are
pushed down into each source; a source that cannot be tied to a village or
household drops out when such a filter is set.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from axes.models import AccessAttempt
from axes.models import AccessLog as LoginLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractHour
from django.utils import timezone

from archives.audit.seals import audit_tables
from archives.models import Clue
from households import idcard
from households.models import Household, Member, ReviewFlag
from kanjia import labels
from kanjia.models import AccessLog
from review.leadership.selectors import person_name
from review.models import (
    Acceptance,
    Case,
    CaseStep,
    DistrictApproval,
    Investigation,
    RelativeFiling,
    TownReview,
)

SKIP = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "history_user_id"}
MASKED_WORDS = ("id_number", "bank_account")
CHANGE_KINDS = {"+": "新增", "~": "修改", "-": "删除", "access": "敏感信息访问", "login": "登录"}
PAGE = 50


@dataclass
class Diff:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    kind: str  # +, ~, -, access, login
    source: str  # model verbose name, 敏感信息访问, 登录
    label: str
    user_id: int | None = None
    user: str = ""
    ip: str = ""
    reason: str = ""
    diffs: list[Diff] = field(default_factory=list)
    key: str = ""  # a stable id: table:row

    @property
    def kind_display(self) -> str:
        return CHANGE_KINDS.get(self.kind, self.kind)


@dataclass
class Filters:
    user_id: int | None = None
    username: str = ""
    since: datetime | None = None
    until: datetime | None = None
    village_id: int | None = None
    household_id: int | None = None
    object_kind: str = ""  # a history table name, "access" or "login"
    change: str = ""  # +, ~, -, access, login
    before: datetime | None = None  # the page cursor


# --- Sources ------------------------------------------------------------------------------------


# Sealed like every history table, but never on the shared timeline (the town office reads it):
# a clue's history is shown on the clue's own page to those who may see the clue (archives.clues).
PRIVATE_SOURCES = (Clue,)


def history_sources() -> list:
    """(historical model, source model) for every simple-history table except m2m and private ones."""
    out = []
    for table in audit_tables():
        model = table.model
        if getattr(model, "instance_type", None) is None or table.time_field != "history_date":
            continue
        if issubclass(model.instance_type, PRIVATE_SOURCES):
            continue
        out.append(model)
    return out


def object_kinds() -> list[tuple[str, str]]:
    kinds = [(m._meta.db_table, str(m.instance_type._meta.verbose_name)) for m in history_sources()]
    return [*sorted(kinds, key=lambda k: k[1]), ("access", "敏感信息访问"), ("login", "登录")]


def _scope(model, f: Filters) -> Q | None:
    """The Q tying a historical model to a household/village; None when it cannot be tied."""
    source = model.instance_type
    names = {x.name for x in source._meta.concrete_fields}
    q = Q()
    if f.household_id is not None:
        if source is Household:
            q &= Q(id=f.household_id)
        elif "household" in names:
            q &= Q(household_id=f.household_id)
        elif "case" in names:
            q &= Q(case_id__in=Case.objects.filter(household_id=f.household_id).values("pk"))
        else:
            return None
    if f.village_id is not None:
        if "village" in names:
            q &= Q(village_id=f.village_id)
        elif source is Household or "household" in names:
            field_name = "id" if source is Household else "household_id"
            q &= Q(**{f"{field_name}__in": Household.objects.filter(village_id=f.village_id).values("pk")})
        elif "case" in names:
            q &= Q(case_id__in=Case.objects.filter(household__village_id=f.village_id).values("pk"))
        else:
            return None
    return q


@dataclass
class Names:
    """What a page of entries refers to, looked up in bulk: users, and every other foreign key by model."""

    users: dict[int, str] = field(default_factory=dict)
    objects: dict = field(default_factory=dict)  # model -> {pk: label}

    def of(self, model, pk) -> str:
        if model is get_user_model():
            return self.users.get(pk) or labels.labels_for(model, [pk]).get(pk, "（空）")
        found = self.objects.get(model, {})
        if pk not in found:  # not gathered beforehand (e.g. an m2m list): look it up now
            found.update(labels.labels_for(model, [pk]))
            self.objects[model] = found
        return found.get(pk, "（空）")


def _gather(source, rows: list, names: Names) -> None:
    """Collect every foreign key value in `rows` and label them: one query per related model."""
    wanted: dict = {}
    for f in source._meta.concrete_fields:
        if not f.is_relation or f.related_model is get_user_model() or f.attname in SKIP:
            continue
        for row in rows:
            value = getattr(row, f.attname, None)
            if value is not None:
                wanted.setdefault(f.related_model, set()).add(value)
    for model, pks in wanted.items():
        missing = pks - set(names.objects.get(model, {}))
        if missing:
            names.objects.setdefault(model, {}).update(labels.labels_for(model, missing))


def _display(model, name: str, value, names: Names) -> str:
    if value is None or value == "":
        return "（空）"
    if any(word in name for word in MASKED_WORDS):
        return idcard.mask(str(value))
    try:
        f = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field renamed since: show the value as it is
        return labels.plain(value)
    if f.many_to_many and isinstance(value, list):
        # A tracked m2m field (e.g. 调查人员): diff_against gives the through rows as dicts.
        ids = [row.get(f.m2m_reverse_field_name()) for row in value]
        if f.related_model is get_user_model():
            names.users.update(_user_names(i for i in ids if i not in names.users))
        return "、".join(names.of(f.related_model, i) for i in ids) or "（空）"
    if f.is_relation:
        return names.of(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    coded = labels.code_label(model, name, value)
    if coded is not None:
        return coded
    if isinstance(value, dict | list):
        return "；".join(f"{k}：{v}" if k else v for k, v in labels.structured(value))
    return labels.plain(value)


def _diffs(model, name: str, old, new, names: Names) -> list[Diff]:
    """One line per changed field; a structured field (月上报 figures, a flag's source) as labelled lines."""
    title = labels.field_name(model, name)
    formatter = labels.formatter_for(model, name)
    if formatter is None:
        before_text = "" if old is _NEW else _display(model, name, old, names)
        return [Diff(title, before_text, _display(model, name, new, names))]
    before = dict(formatter(old)) if old not in (_NEW, None, "") else {}
    after = dict(formatter(new)) if new not in (None, "") else {}
    out = []
    for key in [*after, *(k for k in before if k not in after)]:
        if before.get(key) != after.get(key):
            line = f"{title}·{key}" if key else title
            out.append(Diff(line, before.get(key, "" if old is _NEW else "（空）"), after.get(key, "（空）")))
    return out


_NEW = object()  # "no previous value": a creation shows new values only


def _history_entries(model, f: Filters, limit: int) -> list[Entry]:
    if f.object_kind and f.object_kind != model._meta.db_table:
        return []
    if f.change and f.change not in "+~-":
        return []
    scope = _scope(model, f)
    if scope is None:
        return []
    qs = model.objects.filter(scope)
    if f.user_id is not None:
        qs = qs.filter(history_user_id=f.user_id)
    if f.since:
        qs = qs.filter(history_date__gte=f.since)
    if f.until:
        qs = qs.filter(history_date__lt=f.until)
    if f.before:
        qs = qs.filter(history_date__lt=f.before)
    if f.change:
        qs = qs.filter(history_type=f.change)
    rows = list(with_previous(model, qs).order_by("-history_date", "-history_id")[:limit])
    return history_to_entries(model, rows)


def with_previous(model, qs: QuerySet) -> QuerySet:
    """Annotate each history row with the history_id of the same object's previous version."""
    pk = model.instance_type._meta.pk.attname
    earlier = model.objects.filter(**{pk: OuterRef(pk)}, history_id__lt=OuterRef("history_id"))
    return qs.annotate(prev_hid=Subquery(earlier.order_by("-history_id").values("history_id")[:1]))


def history_to_entries(model, rows: list) -> list[Entry]:
    """Entries with field-level diffs against each row's previous version (rows from `with_previous`)."""
    if not rows:
        return []
    source = model.instance_type
    prev_ids = {r.prev_hid for r in rows if r.history_type == "~" and getattr(r, "prev_hid", None)}
    older = model.objects.in_bulk(prev_ids) if prev_ids else {}
    previous = {r.history_id: older[r.prev_hid] for r in rows if getattr(r, "prev_hid", None) in older}
    user_ids = {r.history_user_id for r in rows if r.history_user_id}
    names = Names(users=_user_names(user_ids | _user_fk_values(source, rows, previous)))
    _gather(source, [*rows, *previous.values()], names)
    objects = _object_labels(source, rows)
    fields = [f for f in source._meta.concrete_fields if f.attname not in SKIP and f.name not in SKIP]
    entries = []
    for row in rows:
        diffs: list[Diff] = []
        if row.history_type == "~" and row.history_id in previous:
            delta = row.diff_against(previous[row.history_id], foreign_keys_are_objs=False)
            for change in delta.changes:
                if change.field in ("updated_at", "version"):
                    continue
                diffs += _diffs(source, change.field, change.old, change.new, names)
        elif row.history_type == "+":
            for f in fields:
                value = getattr(row, f.attname)
                if value not in (None, "", False) and f.name not in ("id", "created_at", "updated_at"):
                    diffs += _diffs(source, f.name, _NEW, value, names)
        entries.append(
            Entry(
                when=row.history_date,
                kind=row.history_type,
                source=str(source._meta.verbose_name),
                label=objects.get(row.history_id) or labels.label_of(row),
                user_id=row.history_user_id,
                user=names.users.get(row.history_user_id, "系统") if row.history_user_id else "系统",
                reason=row.history_change_reason or "",
                diffs=diffs,
                key=f"{model._meta.db_table}:{row.history_id}",
            )
        )
    return entries


def _user_fk_values(source, rows, previous) -> set[int]:
    user_fields = [
        f.attname for f in source._meta.concrete_fields if f.is_relation and f.related_model is get_user_model()
    ]
    values = set()
    for row in [*rows, *previous.values()]:
        for name in user_fields:
            value = getattr(row, name, None)
            if value:
                values.add(value)
    return values


def _user_names(ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    return {u.pk: (u.get_full_name() or u.username) for u in users}


def _object_labels(source, rows: list) -> dict[int, str]:
    """{history_id: the object's name}: from the live object (bulk), else from the row itself (deleted)."""
    pk = source._meta.pk.attname
    live = labels.labels_for(source, {getattr(r, pk) for r in rows})
    out = {}
    for row in rows:
        text = live.get(getattr(row, pk), "")
        if row.history_type == "-" or text.startswith(f"{labels.verbose(source)}（已删除"):
            text = labels.label_of(row)  # the object is gone: name it as it was
        out[row.history_id] = text
    return out


def _access_entries(f: Filters, limit: int) -> list[Entry]:
    if (f.object_kind and f.object_kind != "access") or (f.change and f.change != "access"):
        return []
    qs = AccessLog.objects.select_related("user")
    if f.household_id is not None:
        members = [str(pk) for pk in Member.objects.filter(household_id=f.household_id).values_list("pk", flat=True)]
        qs = qs.filter(
            Q(object_type="households.household", object_id=str(f.household_id))
            | Q(object_type="households.member", object_id__in=members)
        )
    if f.village_id is not None:
        qs = qs.filter(village_id=f.village_id)
    if f.user_id is not None:
        qs = qs.filter(user_id=f.user_id)
    if f.since:
        qs = qs.filter(at__gte=f.since)
    if f.until:
        qs = qs.filter(at__lt=f.until)
    if f.before:
        qs = qs.filter(at__lt=f.before)
    logs = list(qs.order_by("-at", "-id")[:limit])
    return [
        Entry(
            when=a.at,
            kind="access",
            source="敏感信息访问",
            label=label,
            user_id=a.user_id,
            user=a.user.get_full_name() or a.user.username,
            ip=a.ip,
            reason=a.detail,
            key=f"{AccessLog._meta.db_table}:{a.pk}",
        )
        for a, label in zip(logs, _access_labels(logs), strict=True)
    ]


def _access_labels(logs: list[AccessLog]) -> list[str]:
    """查看完整身份证号：成员 张三（胡石桥村 3组）; a log naming no object says what was done (导出 …)."""
    wanted: dict = {}
    for a in logs:
        model = labels.model_for(a.object_type)
        if model is not None and a.object_id:
            wanted.setdefault(model, set()).add(a.object_id)
    found = {model: labels.labels_for(model, ids) for model, ids in wanted.items()}
    out = []
    for a in logs:
        model = labels.model_for(a.object_type)
        name = ""
        if model is not None and a.object_id:
            objects = found.get(model, {})
            name = next((text for pk, text in objects.items() if str(pk) == a.object_id), "")
        elif a.object_type:
            name = a.object_type
        action = a.get_action_display()
        out.append(f"{action}：{name}" if name else (f"{action}：{a.detail}" if a.detail else action))
    return out


def _login_entries(f: Filters, limit: int) -> list[Entry]:
    if (f.object_kind and f.object_kind != "login") or (f.change and f.change != "login"):
        return []
    if f.household_id is not None or f.village_id is not None:
        return []
    qs = LoginLog.objects.all()
    if f.username:
        qs = qs.filter(username=f.username)
    elif f.user_id is not None:
        return []
    if f.since:
        qs = qs.filter(attempt_time__gte=f.since)
    if f.until:
        qs = qs.filter(attempt_time__lt=f.until)
    if f.before:
        qs = qs.filter(attempt_time__lt=f.before)
    logins = list(qs.order_by("-attempt_time", "-id")[:limit])
    users = get_user_model().objects.filter(username__in={r.username for r in logins})
    people = {u.get_username(): labels.user_label(u) for u in users.only("username", "first_name", "last_name")}
    return [
        Entry(
            when=r.attempt_time,
            kind="login",
            source="登录",
            label=f"登录 {people.get(r.username, r.username)}"
            + (f"（{timezone.localtime(r.logout_time):%H:%M} 退出）" if r.logout_time else ""),
            user=people.get(r.username, r.username),
            ip=r.ip_address or "",
            key=f"axes_accesslog:{r.pk}",
        )
        for r in logins
    ]


def timeline(f: Filters, *, limit: int = PAGE) -> list[Entry]:
    """The newest `limit` entries matching `f` (older than f.before), across every source."""
    if f.user_id is not None and not f.username:
        f.username = get_user_model().objects.filter(pk=f.user_id).values_list("username", flat=True).first() or ""
    entries: list[Entry] = []
    for model in history_sources():
        entries += _history_entries(model, f, limit)
    entries += _access_entries(f, limit)
    entries += _login_entries(f, limit)
    entries.sort(key=lambda e: (e.when, e.key), reverse=True)
    return entries[:limit]


# --- Anomaly reports --------------------------------------------------------------------------------


ANOMALIES = {
    "near-relatives": "近亲属备案案件",
    "flags-without-note": "核实无误但无说明的重点复核标记",
    "two-levels": "同一人在同一案件中参与两个决策层级",
    "amounts-outside-pipeline": "未经审批流程的保障金变动",
    "unusual-hours": "非工作时间登录",
    "lockouts": "被锁定的账号",
    "special-cases": "办结期限延长至45个工作日的特殊情况",
    "computation-deviations": "与系统计算或保障条件不符的审核审批决定",
}


def near_relative_cases() -> QuerySet[RelativeFiling]:
    return RelativeFiling.objects.select_related("household", "village", "user").order_by("-created_at")


def cases_of_filings(filings: Iterable[RelativeFiling]) -> dict[int, list[Case]]:
    out: dict[int, list[Case]] = {}
    for case in Case.objects.filter(household_id__in={f.household_id for f in filings}).order_by("-id"):
        out.setdefault(case.household_id, []).append(case)
    return out


def flags_without_note() -> QuerySet[ReviewFlag]:
    """Closed as 核实无误 with no written note (the only evidence the register holds)."""
    return (
        ReviewFlag.objects.filter(disposition=ReviewFlag.Disposition.CONFIRMED_OK)
        .filter(Q(note="") | Q(note__regex=r"^\s*$"))
        .select_related("household__village", "disposed_by")
        .order_by("-disposed_at")
    )


@dataclass
class TwoLevels:
    case_id: int
    user_id: int
    user: str
    levels: list[str]


def two_level_actors() -> list[TwoLevels]:
    """(case, person) pairs acting at two or more of: investigation, town review, district approval.

    A level counts a person who took a step at it (CaseStep from that stage, 终止
    excluded), wrote its record (updated_by), or, for the investigation, is listed
    among the investigators. The pipeline forbids this (separation of duties), so
    an empty report is the proof.
    """
    levels: dict[str, set[tuple[int, int]]] = {"入户调查": set(), "镇审核": set(), "区审批": set()}
    steps = CaseStep.objects.exclude(action="terminate").values_list("case_id", "actor_id", "from_status")
    for case_id, actor_id, stage in steps:
        if stage in ("入户调查", "民主评议"):
            levels["入户调查"].add((case_id, actor_id))
        elif stage in levels:
            levels[stage].add((case_id, actor_id))
    through = Investigation.investigators.through
    levels["入户调查"] |= set(through.objects.values_list("investigation__case_id", "user_id"))
    levels["入户调查"] |= set(Investigation.objects.values_list("case_id", "updated_by_id"))
    levels["镇审核"] |= set(TownReview.objects.values_list("case_id", "updated_by_id"))
    levels["区审批"] |= set(DistrictApproval.objects.values_list("case_id", "updated_by_id"))
    found: dict[tuple[int, int], list[str]] = {}
    for name, pairs in levels.items():
        for pair in pairs:
            found.setdefault(pair, []).append(name)
    hits = {pair: names for pair, names in found.items() if len(names) > 1}
    names = _user_names({user for _, user in hits})
    return [TwoLevels(c, u, names.get(u, f"#{u}"), ls) for (c, u), ls in sorted(hits.items(), reverse=True)]


@dataclass
class AmountChange:
    household_id: int
    head_name: str
    village_id: int
    when: datetime
    user: str
    old: str
    new: str
    reason: str
    user_id: int | None = None


APPROVAL_WINDOW = timedelta(minutes=2)


def amounts_outside_pipeline(*, limit: int = 500) -> list[AmountChange]:
    """Household history rows that changed base_amount or extra_amount with no district approval behind them.

    Definition: a "~" row of a household whose base or extra amount differs from
    the household's previous version, and for which no CaseStep with action
    "approve" on a case of that household, by the same user, lies within two
    minutes of the change (`_apply_outcome` writes both in one transaction).
    Creations and ledger-import rows are changes too: an import that alters
    amounts is outside the pipeline and is listed.
    """
    model = Household.history.model
    changed = []
    last: dict[int, tuple] = {}
    rows = model.objects.order_by("id", "history_id").values_list(
        "id",
        "history_id",
        "history_type",
        "history_date",
        "history_user_id",
        "base_amount",
        "extra_amount",
        "head_name",
        "village_id",
        "history_change_reason",
    )
    for hid, _, kind, when, user_id, base, extra, head, village, reason in rows.iterator(chunk_size=2000):
        before = last.get(hid)
        last[hid] = (base, extra)
        if kind == "~" and before is not None and before != (base, extra):
            changed.append((hid, when, user_id, before, (base, extra), head, village, reason))
    if not changed:
        return []
    approvals: dict[int, list[tuple[datetime, int]]] = {}
    for household_id, at, actor in CaseStep.objects.filter(
        action="approve", case__household_id__in={c[0] for c in changed}
    ).values_list("case__household_id", "at", "actor_id"):
        approvals.setdefault(household_id, []).append((at, actor))
    out = []
    for hid, when, user_id, before, after, head, village, reason in changed:
        backed = any(abs(at - when) <= APPROVAL_WINDOW and actor == user_id for at, actor in approvals.get(hid, []))
        if not backed:
            out.append((hid, when, user_id, before, after, head, village, reason))
    names = _user_names({c[2] for c in out if c[2]})
    out.sort(key=lambda c: c[1], reverse=True)
    return [
        AmountChange(
            hid,
            head,
            village,
            when,
            names.get(user_id, "系统") if user_id else "系统",
            f"{before[0]} + {before[1]}",
            f"{after[0]} + {after[1]}",
            reason or "",
            user_id,
        )
        for hid, when, user_id, before, after, head, village, reason in out[:limit]
    ]


def special_cases() -> QuerySet[Acceptance]:
    """Cases given 45 working days instead of 30 (S21§22), with the reason the acceptance recorded."""
    return (
        Acceptance.objects.filter(special_case=True)
        .select_related("case__household__village", "updated_by")
        .order_by("-accepted_on", "-id")
    )


@dataclass(frozen=True)
class Deviation:
    """One 镇审核 or 区审批 that departed from the computation or the eligibility rules."""

    stage: str
    case_id: int
    household_id: int
    head_name: str
    village: str
    on: date
    outcome: str
    decided: str
    computed: str
    deviation: str
    reason: str
    by_id: int | None
    by: str


def _deviation(stage: str, r, *, on: date, outcome: str, decided: str, computed: str) -> Deviation:
    household = r.case.household
    return Deviation(
        stage,
        r.case_id,
        household.pk,
        household.head_name,
        household.village.name,
        on,
        outcome,
        decided,
        computed,
        r.deviation,
        r.special_reason,
        r.updated_by_id,
        person_name(r.updated_by) if r.updated_by else "系统",
    )


def computation_deviations(*, limit: int = 500) -> list[Deviation]:
    """Every recorded decision with a departure from the computation, its 特殊情形说明 and who made it."""
    related = ("case__household__village", "updated_by__staff")
    reviews = TownReview.objects.exclude(deviation="").select_related(*related).order_by("-reviewed_on", "-id")
    approvals = DistrictApproval.objects.exclude(deviation="").select_related(*related)
    rows = [
        *(
            _deviation(
                "镇审核",
                r,
                on=r.reviewed_on,
                outcome=r.proposed_outcome,
                decided=f"{r.proposed_amount or '—'}",
                computed=f"{(r.computed_base or 0) + (r.computed_extra or 0)}",
            )
            for r in reviews[:limit]
        ),
        *(
            _deviation(
                "区审批",
                r,
                on=r.decided_on,
                outcome=r.outcome,
                decided=f"{r.base_amount} + {r.extra_amount}",
                computed=f"{r.computed_base} + {r.computed_extra}",
            )
            for r in approvals.order_by("-decided_on", "-id")[:limit]
        ),
    ]
    rows.sort(key=lambda d: (d.on, d.case_id), reverse=True)
    return rows[:limit]


def unusual_hour_logins() -> QuerySet[LoginLog]:
    """Successful logins between AUDIT_UNUSUAL_HOURS (default 22:00–06:00, Asia/Shanghai)."""
    start, end = getattr(settings, "AUDIT_UNUSUAL_HOURS", (22, 6))
    hour = ExtractHour("attempt_time", tzinfo=ZoneInfo(settings.TIME_ZONE))
    qs = LoginLog.objects.annotate(local_hour=hour)
    window = (
        Q(local_hour__gte=start) | Q(local_hour__lt=end)
        if start > end
        else Q(local_hour__gte=start, local_hour__lt=end)
    )
    return qs.filter(window).order_by("-attempt_time")


def lockouts() -> QuerySet[AccessAttempt]:
    limit = getattr(settings, "AXES_FAILURE_LIMIT", 5)
    return AccessAttempt.objects.filter(failures_since_start__gte=limit).order_by("-attempt_time")
