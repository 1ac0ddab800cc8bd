"""Cross-matching external rosters (外部名单比对) against members by ID number (DOMAIN §1, §5).

A roster from another department (deaths, pensions, provident fund, vehicles,
property, business registration, public payroll) is loaded, normalised, into
RosterRow, then matched in ONE set-based statement: an UPDATE … FROM joining
the roster's rows with the members of the households the uploader may see
(the members of `villages_visible_to`, so scoping has a single source of
truth). Each match whose name agrees raises the corresponding key-review flag
with source_key ``roster:<id>:row:<n>``; a re-upload of the same file and kind
reuses the first upload's id, so a flag is never raised twice from the same
source, and a member who already has an open flag of that kind from a roster
gets a note on it rather than a second flag (see `raise_flags`). A match whose
name differs is reported as a possible mismatch and raises nothing: a person
must look at it.
"""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from households import idcard
from households.ledger import format as fmt
from households.ledger.format import ROSTER_COLUMNS, CellError, UploadRefused
from households.ledger.importer import sha256_of
from households.models import Household, Member, ReviewFlag, Roster, RosterRow
from households.selectors import villages_changeable_by, villages_visible_to
from households.towns.selectors import accounts_of_towns
from kanjia import roles
from kanjia.history import insert_history
from kanjia.xlsx import SheetSpec, write_xlsx

MAX_ROWS = 1_000_000
BATCH = 5000
SHOWN = 500  # rows per list on the result page; the download has them all

FLAG_FOR_KIND: dict[str, tuple[int, str]] = {
    Roster.Kind.DEATH: (ReviewFlag.Kind.DECEASED, "死亡/火化名单显示此人已死亡"),
    Roster.Kind.PENSION: (ReviewFlag.Kind.PENSION, "养老金领取名单显示此人领取养老金"),
    Roster.Kind.UNEMPLOYMENT: (ReviewFlag.Kind.UNEMPLOYMENT, "失业保险金领取名单显示此人领取失业保险金"),
    Roster.Kind.PROVIDENT_FUND: (ReviewFlag.Kind.PROVIDENT_FUND, "住房公积金缴存名单显示此人缴存公积金"),
    Roster.Kind.VEHICLE: (ReviewFlag.Kind.VEHICLE, "机动车登记名单显示此人名下有机动车"),
    Roster.Kind.PROPERTY: (ReviewFlag.Kind.PROPERTY, "不动产登记名单显示此人名下有不动产"),
    # Business registration and public payroll have no category of their own:
    # a registered business is "other", a public salary is income (category 8).
    Roster.Kind.BUSINESS: (ReviewFlag.Kind.OTHER, "工商登记名单显示此人登记有经营主体"),
    Roster.Kind.PUBLIC_PAYROLL: (ReviewFlag.Kind.INCOME, "财政供养人员名单显示此人由财政发放工资"),
}


def may_raise_roster_flags(user: AbstractBaseUser) -> bool:
    """Only the town office turns roster matches into key-review flags (issue 16). Anyone else who may
    match (the district, a team) gets a report; the town office raises its flags from the roster's page.
    Each flag is further held by the household page's rule (`households.flags.may_raise_flag`)."""
    return roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user)


def may_match(user: AbstractBaseUser) -> bool:
    """Anyone who sees villages and may write (inspectors only read)."""
    return not roles.is_read_only(user) and villages_visible_to(user=user).exists()


def rosters_visible_to(*, user: AbstractBaseUser) -> QuerySet[Roster]:
    """The uploader's own rosters; town-wide roles see all (results are still cut to their villages)."""
    if not user.is_authenticated:
        return Roster.objects.none()
    if roles.has_role(user, *roles.TOWN_WIDE_READERS):
        # Their own towns' staff's rosters, and the district's (a district roster is a report to every
        # town; what each sees of it is cut to its villages) (issue 19).
        accounts = accounts_of_towns(user=user)
        if accounts is None:
            return Roster.objects.all()
        district = Q(uploaded_by__groups__name__in=roles.DISTRICT_LEVEL)
        return Roster.objects.filter(
            Q(uploaded_by__in=accounts) | Q(pk__in=Roster.objects.filter(district).values("pk"))
        )
    return Roster.objects.filter(uploaded_by=user)


def roster_start(*, user: AbstractBaseUser, kind: str, upload: File) -> Roster:
    from households.ledger.tasks import roster_match

    if not may_match(user):
        raise PermissionDenied("您没有可以比对的村(社区)。")
    if kind not in Roster.Kind.values:
        raise UploadRefused("请选择名单类别。")
    fmt.check_upload(upload, size=upload.size)
    digest = sha256_of(upload)
    first = Roster.objects.filter(kind=kind, sha256=digest).order_by("pk").first()
    name = (getattr(upload, "name", "") or "名单.xlsx").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        roster = Roster(kind=kind, uploaded_by=user, file_name=name, sha256=digest)
        roster.same_as_id = first.source_id if first else None
        roster.file.save("roster.xlsx", upload, save=False)
        roster.save()
        roster_match.delay_on_commit(roster.pk)
    return roster


# --- Loading ------------------------------------------------------------------------------------


def _optional(convert, raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return convert(raw)
    except CellError:
        return None


def parse_roster(file, *, roster_id: int, progress=None) -> Iterator[RosterRow]:
    sheet = fmt.open_rows(file, columns=ROSTER_COLUMNS)
    total = sheet.max_row or 0
    try:
        for count, (number, cells) in enumerate(sheet.rows, start=1):
            if count > MAX_ROWS:
                raise UploadRefused(f"名单超过 {MAX_ROWS:,} 行上限，请拆分后上传。")
            if progress and count % 20000 == 0:
                progress(count, total)
            raw = fmt.cell(cells, sheet.columns, "id_number")
            row = RosterRow(roster_id=roster_id, row_number=number)
            row.id_raw = str(raw if raw is not None else "")[:64]
            try:
                if raw is None:
                    raise CellError("身份证号码为空。")
                row.id_number = fmt.id_number(raw).number
            except CellError as exc:
                row.problem = str(exc)[:300]
            row.name = _optional(lambda v: fmt.text(v, max_length=50), fmt.cell(cells, sheet.columns, "name")) or ""
            row.date = _optional(lambda v: fmt.excel_date(v)[0], fmt.cell(cells, sheet.columns, "date"))
            row.amount = _optional(fmt.money, fmt.cell(cells, sheet.columns, "amount"))
            row.note = _optional(lambda v: fmt.text(v, max_length=200), fmt.cell(cells, sheet.columns, "note")) or ""
            yield row
    finally:
        sheet.close()


COPY_COLUMNS = (
    "roster_id",
    "row_number",
    "id_raw",
    "id_number",
    "name",
    "date",
    "amount",
    "note",
    "problem",
    "name_mismatch",
)


def load_rows(rows: Iterator[RosterRow]) -> int:
    """Insert the rows: COPY on PostgreSQL (a million rows in seconds), batched INSERTs elsewhere.

    RosterRow is not a history-tracked model; it is a work table of the match.
    """
    count = 0
    if connection.vendor == "postgresql":
        table = RosterRow._meta.db_table
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.roster_id,
                        row.row_number,
                        row.id_raw,
                        row.id_number,
                        row.name,
                        row.date,
                        row.amount,
                        row.note,
                        row.problem,
                        False,
                    )
                )
                count += 1
        return count
    batch: list[RosterRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            RosterRow.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    RosterRow.objects.bulk_create(batch)
    return count + len(batch)


# --- Matching -----------------------------------------------------------------------------------


def match_roster(roster: Roster, *, user: AbstractBaseUser) -> int:
    """ONE statement joins the roster with the members the user may see (after one read of the
    user's village ids); returns rows matched."""
    # The user's villages as a literal list (`_scope_ids`) and no ORDER BY (Member's Meta ordering),
    # so PostgreSQL flattens the members into the join and estimates the scope from real ids: with
    # the permission subquery and the ordering it sorted every member in scope before joining
    # (10,000 rows × 250,000 members: 0.94 s, now 0.29–0.37 s in EXPLAIN ANALYZE).
    members = (
        Member.objects.filter(
            household__village_id__in=_scope_ids(villages_visible_to(user=user)), moved_out_on__isnull=True
        )
        .order_by()
        .values("id", "id_number", "name")
    )
    members_sql, params = members.query.sql_with_params()
    table = RosterRow._meta.db_table
    # The inner query is Django's own compiled SQL with its parameters; nothing user-typed is formatted in.
    sql = (
        f"UPDATE {table} AS r SET member_id = m.id, name_mismatch = (r.name <> '' AND r.name <> m.name) "  # noqa: S608
        f"FROM ({members_sql}) AS m "
        f"WHERE r.roster_id = %s AND r.id_number <> '' AND r.id_number = m.id_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, roster.pk))
        return cursor.rowcount


def _scope_ids(villages: QuerySet) -> list[int]:
    """The ids of a scoped village queryset, read once (at most a district's few hundred villages)."""
    return list(villages.values_list("pk", flat=True))


def roster_flags_raise(*, roster: Roster, by: AbstractBaseUser) -> int:
    """The town office turns a finished roster's report into flags (the district's or a team's roster).
    Idempotent: a flag is never raised twice from the same source (see `raise_flags`)."""
    if not may_raise_roster_flags(by):
        raise PermissionDenied("只有镇民政办可以根据比对名单登记重点复核标记。")
    with transaction.atomic():
        roster = Roster.objects.select_for_update().get(pk=roster.pk)
        if roster.status != Roster.Status.DONE:
            raise PermissionDenied("比对尚未完成。")
        raised = raise_flags(roster, user=by)
        roster.flags_raised += raised
        roster.flags_by, roster.flags_at = by, timezone.now()
        roster.save(update_fields=["flags_raised", "flags_by", "flags_at"])
    return raised


def raise_flags(roster: Roster, *, user: AbstractBaseUser) -> int:
    """Raise the roster's flags: one per member and kind, never a duplicate of an open one; returns new flags.

    A roster's source is its first upload (``source_id``): a byte-identical
    re-upload is the same source, a corrected file is a new one. For each
    matched member (the first of its rows in the roster; a person listed twice
    is one finding):
    - if a flag of this kind from a roster already records this source for the
      member (its source_key, or a note added to its reason), nothing happens;
    - else if the member has an open (待核实) roster flag of this kind, the new
      source is noted in that flag's reason (a history row records the change)
      and no second flag is raised: staff see one question per member and kind;
    - else a new flag is raised. This includes a member whose earlier roster flag
      was disposed: as in ``flags.evaluate_flags`` a flag is identified by its
      source, a disposed flag is never reopened or re-raised from the same
      source, and a new source raises a new flag (a fresh roster is fresh
      evidence that someone has to look at).
    Set-based, a fixed number of statements whatever the roster's size: the notes
    (members with an open flag, usually few) are planned in Python, then the new
    flags are ONE INSERT … SELECT over the matched rows and their history rows ONE
    INSERT … SELECT (`kanjia.history`), with the importing user as history user.
    """
    kind, why = FLAG_FOR_KIND[roster.kind]
    prefix = f"roster:{roster.source_id}:row:"
    tag = f"名单（编号 {roster.source_id}）"  # marks this source in a note added to another flag's reason
    # The household page's rule, per household: only villages the user may change (may_raise_flag).
    # Read once as ids: as a subquery it was planned as a permission join per matched row.
    changeable = _scope_ids(villages_changeable_by(user=user))
    if not changeable:
        return 0
    matched = RosterRow.objects.filter(
        roster=roster, member__isnull=False, name_mismatch=False, member__household__village_id__in=changeable
    )
    _note_open_flags(roster, matched, kind=kind, prefix=prefix, tag=tag, user=user)
    ids = _insert_new_flags(roster, changeable, kind=kind, why=why, prefix=prefix, tag=tag, user=user)
    insert_history(ReviewFlag, ids=ids, history_type="+", user=user)
    return len(ids)


def _recorded(kind: int, prefix: str, tag: str) -> Q:
    """Roster flags of this kind that already record this source, or are open (noted instead)."""
    return Q(kind=kind, source=ReviewFlag.Source.ROSTER) & (
        Q(disposition=ReviewFlag.Disposition.PENDING) | Q(source_key__startswith=prefix) | Q(reason__contains=tag)
    )


def _note_open_flags(roster: Roster, matched: QuerySet[RosterRow], *, kind: int, prefix: str, tag: str, user) -> None:
    """Members who already have an open roster flag of this kind get the source noted on it."""
    open_flag = ReviewFlag.objects.filter(
        member_id=OuterRef("member_id"),
        household_id=OuterRef("member__household_id"),
        kind=kind,
        source=ReviewFlag.Source.ROSTER,
        disposition=ReviewFlag.Disposition.PENDING,
    )
    candidates = matched.filter(Exists(open_flag))
    flags = ReviewFlag.objects.filter(
        _recorded(kind, prefix, tag), member_id__in=candidates.values("member_id")
    ).order_by("pk")
    done: set[tuple[int, int]] = set()  # (household, member) already flagged from this source
    open_flags: dict[tuple[int, int], ReviewFlag] = {}
    for flag in flags:
        who = (flag.household_id, flag.member_id)
        if flag.source_key.startswith(prefix) or tag in flag.reason:
            done.add(who)
        if flag.is_open:
            open_flags.setdefault(who, flag)  # the oldest open one, should duplicates exist from before
    if not open_flags:
        return
    noted: dict[int, ReviewFlag] = {}
    rows = candidates.order_by("row_number").values_list(
        "row_number", "member_id", "member__household_id", "date", "amount"
    )
    for row_number, member_id, household_id, when, amount in rows.iterator(chunk_size=BATCH):
        who = (household_id, member_id)
        flag = open_flags.get(who)
        if who in done or flag is None:
            continue
        done.add(who)
        detail = "".join(
            [
                f"，日期 {when:%Y-%m-%d}" if when else "",
                f"，金额 {amount} 元" if amount is not None else "",
            ]
        )
        # The reason holds 300 characters: the full note if it fits, else a short one, else the
        # roster's result page alone shows the match.
        for note in (
            f"另见{roster.kind}{tag}「{roster.file_name}」第 {row_number} 行{detail}。",
            f"另见{roster.kind}{tag}第 {row_number} 行。",
        ):
            if len(flag.reason) + len(note) <= 300:
                flag.reason += note
                noted[flag.pk] = flag
                break
    if noted:
        bulk_update_with_history(
            list(noted.values()),
            ReviewFlag,
            ["reason"],
            batch_size=1000,
            default_user=user,
            default_change_reason="外部名单再次比中",
        )


def _insert_new_flags(
    roster: Roster, village_ids: list[int], *, kind: int, why: str, prefix: str, tag: str, user
) -> list[int]:
    """ONE INSERT … SELECT: a flag for each member's first matched row, unless `_recorded` has one.

    The reason is the one a person would write, built by the database:
    "<why>（<name>；<kind>名单「<file>」第 <n> 行，日期 <d>，金额 <a> 元）。" cut to 300 characters.
    Returns the new flags' ids.
    """
    qn = connection.ops.quote_name
    rows, members, households, flags = (qn(m._meta.db_table) for m in (RosterRow, Member, Household, ReviewFlag))
    villages_sql = ", ".join(["%s"] * len(village_ids))
    if connection.vendor == "postgresql":
        day, money = "to_char(r.date, 'YYYY-MM-DD')", "r.amount::text"
    else:  # SQLite keeps dates as ISO text and decimals as numbers
        day, money = "r.date", "printf('%%.2f', r.amount)"
    # Uncorrelated, so PostgreSQL reads it once into a hash ("hashed SubPlan"). The correlated
    # NOT EXISTS it replaces was planned as a scan of the flag table per matched row when that table
    # was small (a new deployment's first roster), and that scan also read the pages this very
    # INSERT was filling: 20,000 flags took 6.8 s of an 8.6 s match (bench.ledger, auto_explain).
    recorded = (
        f"SELECT f.member_id, f.household_id FROM {flags} f WHERE f.member_id IS NOT NULL "  # noqa: S608
        "AND f.kind = %s AND f.source = %s AND (f.disposition = %s OR f.source_key LIKE %s OR f.reason LIKE %s)"
    )
    # Names come from the models; every value, the user's file name included, is a parameter.
    sql = (
        f"INSERT INTO {flags} (household_id, member_id, kind, source, source_key, reason, disposition, note, "  # noqa: S608
        "raised_at, raised_by_id) "
        "SELECT m.household_id, r.member_id, %s, %s, %s || CAST(r.row_number AS text), "
        "SUBSTR(%s || m.name || %s || CAST(r.row_number AS text) || %s"
        f" || CASE WHEN r.date IS NULL THEN '' ELSE %s || {day} END"
        f" || CASE WHEN r.amount IS NULL THEN '' ELSE %s || {money} || %s END || %s, 1, 300), "
        "%s, '', %s, %s "
        f"FROM {rows} r JOIN {members} m ON m.id = r.member_id JOIN {households} h ON h.id = m.household_id "
        # `member_id IS NOT NULL` although the join implies it: the statistics read before the match say
        # every row's member is NULL, and without it the planner walked the whole roster in member
        # order, the MIN below once per row (1,000,000 times: 1.1 s of a 20,000-flag roster, now 0.6 s).
        "WHERE r.roster_id = %s AND r.member_id IS NOT NULL AND r.name_mismatch = %s "
        f"AND h.village_id IN ({villages_sql}) "
        f"AND r.row_number = (SELECT MIN(r2.row_number) FROM {rows} r2 WHERE r2.roster_id = r.roster_id "
        "AND r2.member_id = r.member_id AND r2.name_mismatch = %s) "
        f"AND (r.member_id, m.household_id) NOT IN ({recorded}) "
        "RETURNING id"
    )
    pending = ReviewFlag.Disposition.PENDING
    params = [
        kind,
        ReviewFlag.Source.ROSTER,
        prefix,
        f"{why}（",
        f"；{roster.kind}名单「{roster.file_name}」第 ",
        " 行",
        "，日期 ",
        "，金额 ",
        " 元",
        "）。",
        pending,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        user.pk,
        roster.pk,
        False,
        *village_ids,
        False,
        kind,
        ReviewFlag.Source.ROSTER,
        pending,
        _like_prefix(prefix),
        f"%{_like_escape(tag)}%",
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _like_escape(text: str) -> str:
    # Neither a source key prefix nor the tag holds % or _ (digits, letters, colons, CJK): refuse otherwise.
    if "%" in text or "_" in text or "\\" in text:
        raise ValueError(text)
    return text


def _like_prefix(prefix: str) -> str:
    return f"{_like_escape(prefix)}%"


def run_roster(*, roster_id: int) -> None:
    with transaction.atomic():
        roster = Roster.objects.select_for_update(of=("self",)).select_related("uploaded_by").get(pk=roster_id)
        if roster.status != Roster.Status.QUEUED:
            return  # a second delivery: the first one owns it
        roster.status = Roster.Status.LOADING
        roster.save(update_fields=["status"])

    def progress(count: int, total: int) -> None:
        percent = min(70, 70 * count // total) if total else 35
        Roster.objects.filter(pk=roster.pk).update(progress=percent)

    try:
        with transaction.atomic(), roster.file.open("rb") as file:
            RosterRow.objects.filter(roster=roster).delete()
            roster.rows = load_rows(parse_roster(file, roster_id=roster.pk, progress=progress))
    except UploadRefused as exc:
        roster.status, roster.error = Roster.Status.FAILED, str(exc)[:500]
        roster.save(update_fields=["status", "error"])
        return
    Roster.objects.filter(pk=roster.pk).update(status=Roster.Status.MATCHING, progress=75, rows=roster.rows)
    user = roster.uploaded_by
    with transaction.atomic():
        match_roster(roster, user=user)
        if may_raise_roster_flags(user):
            roster.flags_raised = raise_flags(roster, user=user)
            roster.flags_by, roster.flags_at = user, timezone.now()
    counts = RosterRow.objects.filter(roster=roster).aggregate(
        invalid=Count("pk", filter=~Q(problem="")),
        matched=Count("pk", filter=Q(member__isnull=False, name_mismatch=False)),
        mismatched=Count("pk", filter=Q(member__isnull=False, name_mismatch=True)),
    )
    roster.invalid_rows, roster.matched, roster.mismatched = counts["invalid"], counts["matched"], counts["mismatched"]
    roster.status, roster.progress, roster.matched_at = Roster.Status.DONE, 100, timezone.now()
    roster.save()


# --- Results ------------------------------------------------------------------------------------


def _rows(roster: Roster, *, user: AbstractBaseUser) -> dict[str, QuerySet[RosterRow]]:
    """The result lists, cut to the viewer's villages (a town officer may open a team's roster)."""
    visible = villages_visible_to(user=user)
    rows = RosterRow.objects.filter(roster=roster).order_by("row_number")
    matched = rows.filter(member__isnull=False, member__household__village__in=visible).select_related(
        "member__household__village"
    )
    own = roster.uploaded_by_id == user.pk or roles.has_role(user, *roles.TOWN_WIDE_READERS)
    return {
        "matched": matched.filter(name_mismatch=False),
        "mismatched": matched.filter(name_mismatch=True),
        # Unmatched and invalid rows are the other department's data: only for the uploader and town-wide roles.
        "unmatched": rows.filter(member__isnull=True, problem="") if own else rows.none(),
        "invalid": rows.exclude(problem="") if own else rows.none(),
    }


def roster_result(roster: Roster, *, user: AbstractBaseUser) -> dict:
    lists = _rows(roster, user=user)
    return {
        "by_village": _by_village(roster, user=user),
        "counts": {name: qs.count() for name, qs in lists.items()},
        **{name: qs[:SHOWN] for name, qs in lists.items()},
        "flag_kind": ReviewFlag.Kind(FLAG_FOR_KIND[roster.kind][0]).label,
    }


def _by_village(roster: Roster, *, user: AbstractBaseUser) -> list[dict]:
    visible = villages_visible_to(user=user)
    return list(
        RosterRow.objects.filter(roster=roster, member__household__village__in=visible)
        .values("member__household__village__name", "member__household__village__order")
        .annotate(
            matched=Count("pk", filter=Q(name_mismatch=False)),
            mismatched=Count("pk", filter=Q(name_mismatch=True)),
        )
        .order_by("member__household__village__order", "member__household__village__name")
    )


def _shown_id(number: str, full: bool) -> str:
    return number if full or not number else idcard.mask(number)


def result_workbook(roster: Roster, *, user: AbstractBaseUser) -> bytes:
    lists = _rows(roster, user=user)
    full = user.has_perm("households.reveal_id_number")
    flag_label = ReviewFlag.Kind(FLAG_FOR_KIND[roster.kind][0]).label

    def matched_rows(qs) -> Iterator[list]:
        for r in qs.iterator(chunk_size=BATCH):
            household = r.member.household
            yield [
                r.row_number,
                household.village.name,
                household.head_name,
                r.member.name,
                r.name,
                _shown_id(r.id_number, full),
                r.date,
                r.amount,
                r.note,
            ]

    def other_rows(qs) -> Iterator[list]:
        for r in qs.iterator(chunk_size=BATCH):
            shown = _shown_id(r.id_number, full) or (r.id_raw if full else idcard.mask(r.id_raw))
            yield [r.row_number, r.name, shown, r.date, r.amount, r.problem]

    summary = [
        [v["member__household__village__name"], flag_label, v["matched"], v["mismatched"]]
        for v in _by_village(roster, user=user)
    ]
    matched_header = ("名单行号", "村(社区)", "户主姓名", "成员姓名", "名单姓名", "身份证号码", "日期", "金额", "说明")
    other_header = ("名单行号", "名单姓名", "身份证号码", "日期", "金额", "问题")
    return write_xlsx(
        [
            SheetSpec("按村汇总", ("村(社区)", "复核类别", "比中", "姓名不一致"), summary),
            SheetSpec("比中", matched_header, matched_rows(lists["matched"])),
            SheetSpec("姓名不一致(待人工核对)", matched_header, matched_rows(lists["mismatched"])),
            SheetSpec("未比中", other_header, other_rows(lists["unmatched"])),
            SheetSpec("身份证号码无效", other_header, other_rows(lists["invalid"])),
        ]
    )
