"""Ledger import (台账导入): parse the workbook, plan the changes (dry run), commit all or nothing.

Households are identified by the head's ID number and members by their own ID
number, so importing the same file twice changes nothing and a corrected file
updates in place. Only the columns present in the file are compared and
written, and a household or member that did not change is not saved (no
history row). Every row that cannot be imported is a problem with its row
number, column and a Chinese message; the commit writes nothing while any
problem remains.

Writes are the ORM's bulk operations, and their history rows are written set-based
(`kanjia.history`, one INSERT … SELECT per model) with the importing user as history
user: a 100,000-row ledger saved object by object would take many minutes.
Imported columns never feed the automatic review flags (those come from
deaths, moves, employment, incomes and assets), so no flags are re-evaluated.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import load_workbook
from simple_history.utils import bulk_create_with_history

from households import idcard
from households.benefit import per_person_in_effect
from households.conflicts.selectors import NEUTRAL, THROTTLED, IdCheck, recent_conflicts
from households.conflicts.services import id_conflicts_record
from households.hooks import households_changed
from households.ledger import format as fmt
from households.ledger.format import LEDGER_COLUMNS, CellError, Problem, UploadRefused
from households.models import (
    Category,
    Household,
    IdConflict,
    ImportBatch,
    Member,
    MemberCategory,
    Village,
    VillageGroup,
)
from households.selectors import villages_changeable_by, villages_visible_to
from households.towns.selectors import accounts_of_towns
from kanjia import roles
from kanjia.history import insert_history
from kanjia.xlsx import SheetSpec, write_xlsx

MAX_ROWS = 100_000
SHOWN_CHANGES = 1000  # rows of the preview kept for display; counts are always complete
SHOWN_PROBLEMS = 2000
CHUNK = 5000
WITHHELD_RECORDED = 20  # numbers of a file refused by the hourly limit kept in the conflicts list
HEADER = {c.key: c.header for c in LEDGER_COLUMNS}
ProgressFn = Callable[[int, str], None]


# --- Parsing (no database) --------------------------------------------------------------


@dataclass
class MemberIn:
    row: int
    name: str
    info: idcard.IdInfo
    values: dict[str, Any]  # relation, health, disability, disability_grade (columns present)
    category: tuple[str, int] | None = None  # 保障类别 of this member's row, and the row


@dataclass
class HouseholdIn:
    head_id: str
    rows: list[int] = field(default_factory=list)
    # key -> (value, row it came from); blank cells (merged in many ledgers) give nothing.
    values: dict[str, tuple[Any, int]] = field(default_factory=dict)
    members: list[MemberIn] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0]


@dataclass
class ParsedLedger:
    sheet_title: str
    header_row: int
    present: set[str]
    households: dict[str, HouseholdIn]
    problems: list[Problem]
    rows: int


def _household_value(key: str, raw: Any) -> Any:
    if key in {"town", "village", "head_name"}:
        return fmt.text(raw, max_length=50)
    if key in {"group", "category"}:
        return fmt.text(raw, max_length=50)
    if key == "area":
        return fmt.choice(raw, options=fmt.AREAS, what="城乡类别")
    if key == "covered_persons":
        return fmt.small_int(raw, low=0, high=99, what="保障人数")
    if key in {"base_amount", "extra_amount"}:
        return fmt.money(raw)
    if key == "start_month":
        return fmt.month(raw)
    if key == "phone":
        return fmt.text(raw, max_length=20)
    if key == "bank_name":
        return fmt.text(raw, max_length=50)
    if key == "bank_account":
        account = fmt.digits_as_text(raw, what="银行账号")
        if len(account) > 32:
            raise CellError("银行账号过长（最多 32 位）。")
        return account
    raise KeyError(key)


def parse_ledger(file: IO[bytes], *, progress: ProgressFn | None = None) -> ParsedLedger:
    """Read every row into households and members; collect every problem (never stop at the first)."""
    sheet = fmt.open_rows(file, columns=LEDGER_COLUMNS)
    problems: list[Problem] = []
    households: dict[str, HouseholdIn] = {}
    seen_ids: dict[str, int] = {}
    present = set(sheet.columns)
    rows = 0
    try:
        for number, cells in sheet.rows:
            get = lambda key, cells=cells: fmt.cell(cells, sheet.columns, key)  # noqa: E731
            # A footer such as "制表人：" or "合计" has no person in it: not a member row.
            if get("name") is None and get("id_number") is None and get("head_id") is None:
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise UploadRefused(f"成员行数超过 {MAX_ROWS:,} 行上限。请按村拆分后分批导入。")
            if progress and rows % 2000 == 0:
                progress(rows, f"已读取 {rows:,} 行")
            _parse_row(number, get, sheet.columns, households, seen_ids, problems)
    finally:
        sheet.close()
    for household in households.values():
        _check_household(household, problems)
    problems.sort(key=lambda p: (p.row, p.column))
    return ParsedLedger(sheet.sheet_title, sheet.header_row, present, households, problems, rows)


def _parse_row(number, get, columns, households, seen_ids, problems) -> None:
    def problem(key: str, message: str) -> None:
        problems.append(Problem(number, HEADER.get(key, ""), message))

    head_id = info = None
    try:
        if get("head_id") is None:
            raise CellError("请填写户主身份证号码。")
        head_id = fmt.id_number(get("head_id")).number
    except CellError as exc:
        problem("head_id", str(exc))
    try:
        if get("id_number") is None:
            raise CellError("请填写身份证号码。")
        info = fmt.id_number(get("id_number"))
    except CellError as exc:
        problem("id_number", str(exc))
    name = ""
    try:
        name = fmt.text(get("name"), max_length=50)
        if not name:
            raise CellError("请填写成员姓名。")
    except CellError as exc:
        problem("name", str(exc))

    values: dict[str, Any] = {}
    if info is not None:
        if info.number in seen_ids:
            problem("id_number", f"身份证号码与第 {seen_ids[info.number]} 行重复。")
            info = None
        else:
            seen_ids[info.number] = number
    if info is not None:
        try:
            if "relation" in columns:
                raw = get("relation")
                if raw is None:
                    if info.number != head_id:
                        raise CellError("请填写与户主关系。")
                    values["relation"] = Member.Relation.HEAD
                else:
                    values["relation"] = fmt.choice(raw, options=fmt.RELATIONS, what="与户主关系")
        except CellError as exc:
            problem("relation", str(exc))
        _check_derived(info, get, problem)
    for key, options, what in (("health", fmt.HEALTH, "健康状况"), ("disability", fmt.DISABILITY, "残疾类别")):
        if key in columns:
            try:
                values[key] = fmt.choice(get(key), options=options, what=what)
            except CellError as exc:
                problem(key, str(exc))
    if "disability_grade" in columns:
        try:
            raw = get("disability_grade")
            values["disability_grade"] = None if raw is None else fmt.small_int(raw, low=1, high=4, what="残疾等级")
            if values["disability_grade"] and "disability" in values and not values["disability"]:
                raise CellError("填写了残疾等级，但残疾类别为空。")
        except CellError as exc:
            problem("disability_grade", str(exc))

    household_values = {}
    for key in fmt.HOUSEHOLD_KEYS:
        raw = get(key)
        if key not in columns or raw is None:
            continue
        try:
            household_values[key] = _household_value(key, raw)
        except CellError as exc:
            problem(key, str(exc))
    if head_id is None or info is None or not name:
        return
    household = households.setdefault(head_id, HouseholdIn(head_id=head_id))
    household.rows.append(number)
    category = None
    if "category" in columns and get("category") is not None:
        try:
            category = (fmt.text(get("category"), max_length=50), number)
        except CellError as exc:
            problem("category", str(exc))
    household.members.append(MemberIn(row=number, name=name, info=info, values=values, category=category))
    for key, value in household_values.items():
        if key in household.values and household.values[key][0] != value:
            first, first_row = household.values[key]
            problem(
                key,
                f"同一户（户主{household.values.get('head_name', ('', 0))[0] or ''}）各行的「{HEADER[key]}」不一致："
                f"第 {first_row} 行为「{first}」，本行为「{value}」。",
            )
        else:
            household.values.setdefault(key, (value, number))


def _check_derived(info: idcard.IdInfo, get, problem) -> None:
    """性别 and 出生日期 are derived from the ID number; a different value means a typo somewhere."""
    try:
        raw = get("sex")
        if raw is not None and fmt.choice(raw, options=fmt.SEXES, what="性别") != info.sex:
            raise CellError(f"性别与身份证号码不符（按身份证号码应为{info.sex}）。")
    except CellError as exc:
        problem("sex", str(exc))
    try:
        raw = get("birth_date")
        if raw is not None:
            born, has_day = fmt.excel_date(raw)
            same = born == info.birth_date if has_day else born.replace(day=1) == info.birth_date.replace(day=1)
            if not same:
                raise CellError(f"出生日期与身份证号码不符（按身份证号码应为 {info.birth_date:%Y-%m-%d}）。")
    except CellError as exc:
        problem("birth_date", str(exc))


def _check_household(household: HouseholdIn, problems: list[Problem]) -> None:
    head = next((m for m in household.members if m.info.number == household.head_id), None)
    if head is None:
        problems.append(
            Problem(
                household.first_row,
                HEADER["head_id"],
                "户主本人须作为一名成员列出（有一行的身份证号码等于户主身份证号码）。",
            )
        )
        return
    if head.values.get("relation", Member.Relation.HEAD) != Member.Relation.HEAD:
        problems.append(Problem(head.row, HEADER["relation"], "此人是户主，与户主关系应填「户主」。"))
    for member in household.members:
        if member is not head and member.values.get("relation") == Member.Relation.HEAD:
            problems.append(
                Problem(member.row, HEADER["relation"], "与户主关系填了「户主」，但身份证号码与户主身份证号码不同。")
            )
    head_name = household.values.get("head_name")
    if head_name and head_name[0] != head.name:
        problems.append(
            Problem(head_name[1], HEADER["head_name"], f"户主姓名「{head_name[0]}」与户主的姓名「{head.name}」不同。")
        )


# --- Planning (reads the database; writes nothing) -------------------------------------

HOUSEHOLD_LABELS = {
    "village": "村(社区)",
    "group": "组",
    "head_name": "户主姓名",
    "head": "户主",
    "area": "城乡类别",
    "category": "保障类别",
    "covered_persons": "保障人数",
    "base_amount": "月保障金额",
    "extra_amount": "分类施保金额",
    "start_month": "纳入保障年月",
    "phone": "联系电话",
    "bank_name": "开户银行",
    "bank_account": "银行账号",
}
MEMBER_LABELS = {
    "name": "成员姓名",
    "relation": "与户主关系",
    "health": "健康状况",
    "disability": "残疾类别",
    "disability_grade": "残疾等级",
}
# Written when the column is present but every row of the household left it blank.
BLANK = {"group": None, "category": None, "start_month": None, "phone": "", "bank_name": "", "bank_account": ""}


@dataclass
class Plan:
    problems: list[Problem] = field(default_factory=list)
    new_households: list[Household] = field(default_factory=list)
    changed_households: list[Household] = field(default_factory=list)
    household_fields: set[str] = field(default_factory=set)
    new_members: list[Member] = field(default_factory=list)
    changed_members: list[Member] = field(default_factory=list)
    member_fields: set[str] = field(default_factory=set)
    # Household -> the head's ID number, resolved to a member id once members exist.
    heads: list[tuple[Household, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changes: list[dict] = field(default_factory=list)
    # 人工认定 分类施保 read from member rows: (ID number, category), recorded after members exist.
    grants: list[tuple[str, Category]] = field(default_factory=list)
    # Numbers held in villages the importer cannot see: answered NEUTRAL, recorded after planning.
    id_check: IdCheck = field(default_factory=IdCheck)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Places:
    """Villages, groups and categories by the names a ledger uses (three queries)."""

    def __init__(self) -> None:
        villages = list(Village.objects.select_related("town"))
        self.by_town = {(v.town.name, v.name): v for v in villages}
        self.by_name: dict[str, list[Village]] = defaultdict(list)
        for v in villages:
            self.by_name[v.name].append(v)
        self.towns = {v.town.name for v in villages}
        self.groups: dict[tuple[int, Any], VillageGroup] = {}
        for g in VillageGroup.objects.all():
            self.groups[(g.village_id, g.number)] = g
            if g.name:
                self.groups[(g.village_id, g.name)] = g
        self.categories: dict[tuple[int, str], Category] = {}
        everything = list(Category.objects.all())
        self.per_person_towns = {
            t for t in {c.town_id for c in everything} if per_person_in_effect(c for c in everything if c.town_id == t)
        }
        for c in everything:
            self.categories[(c.town_id, c.name)] = c
            short = c.name.split("(")[0].split("（")[0]
            self.categories.setdefault((c.town_id, short), c)

    def village(self, town: str | None, name: str, *, own_towns: frozenset[int] = frozenset()) -> Village:
        """The 乡镇(街道) column routes the row (issue 19); without it, a village name is looked up in
        the importer's own towns first, then in the whole district (it must be unique there)."""
        if town:
            if town not in self.towns:
                raise CellError(f"系统中没有乡镇(街道)「{town}」。")
            found = self.by_town.get((town, name))
            if found is None:
                raise CellError(f"{town}没有村(社区)「{name}」。")
            return found
        candidates = self.by_name.get(name, [])
        own = [v for v in candidates if v.town_id in own_towns]
        if len(own) == 1:
            return own[0]
        if len(candidates) != 1:
            if candidates:
                raise CellError(f"多个乡镇都有「{name}」，请填写乡镇(街道)。")
            raise CellError(f"系统中没有村(社区)「{name}」。")
        return candidates[0]

    def group(self, village: Village, raw: str) -> VillageGroup:
        found = self.groups.get((village.pk, raw))
        if found is None:
            try:
                found = self.groups.get((village.pk, fmt.group_number(raw)))
            except CellError:
                found = None
        if found is None:
            raise CellError(f"{village.name}没有「{raw}」，请核对组号，或先在系统中添加该组。")
        return found

    def per_person(self, town_id: int) -> bool:
        return town_id in self.per_person_towns

    def category(self, village: Village, raw: str) -> Category:
        found = self.categories.get((village.town_id, raw))
        if found is None:
            raise CellError(f"没有保障类别「{raw}」，请按系统中的分类施保类别填写。")
        return found


LEDGER_GRANT_REASON = "台账导入：区系统台账登记该成员为此类别"


def _plan_categories(item: HouseholdIn, village: Village, present, places, target: dict, problem) -> list:
    """保障类别 is per member row (that member's category, or empty).

    Once every active category of the town has its criteria (per-person 分类施保), a
    criteria category is derived from the member's own data and the column is only checked;
    a 人工认定 category is recorded for that member (reason: the ledger). Before that, the
    household keeps one category (the old rule): the first member row that names one.
    """
    if "category" not in present:
        return []
    named = []
    for m in item.members:
        if m.category and m.category[0]:
            try:
                named.append((m, places.category(village, m.category[0])))
            except CellError as exc:
                problem(m.category[1], "category", str(exc))
    if places.per_person(village.town_id):
        return [(m.info.number, c) for m, c in named if c.manual]
    target["category_id"] = named[0][1].pk if named else None
    return []


def _existing_members(numbers: list[str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        qs = Member.objects.filter(id_number__in=chunk, moved_out_on__isnull=True)
        found.update((m.id_number, m) for m in qs)
    return found


def _existing_households(ids: set[int], *, lock: bool) -> dict[int, Household]:
    found: dict[int, Household] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        qs = Household.objects.filter(pk__in=ordered[start : start + CHUNK]).select_related("village")
        if lock:
            qs = qs.select_for_update(of=("self",))
        found.update((h.pk, h) for h in qs)
    return found


def plan_import(parsed: ParsedLedger, *, user: AbstractBaseUser, lock: bool = False) -> Plan:
    """Compare the file with the registry. `lock` (commit only) locks the households to update."""
    plan = Plan(problems=list(parsed.problems))
    changeable = dict(villages_changeable_by(user=user).values_list("pk", "town_id"))
    places = _Places()
    numbers = [m.info.number for h in parsed.households.values() for m in h.members]
    existing = _existing_members(numbers)
    households = _existing_households({m.household_id for m in existing.values()}, lock=lock)
    if _withhold(plan, user=user, numbers=numbers, existing=existing, households=households):
        return plan
    for item in parsed.households.values():
        _plan_household(item, parsed.present, places, changeable, existing, households, plan)
    plan.problems.sort(key=lambda p: (p.row, p.column))
    return plan


def _withhold(plan: Plan, *, user, numbers: list[str], existing: dict, households: dict) -> bool:
    """Split holders by what the importer may see (issue 16). Numbers held outside the user's villages
    are answered only "registered in the town", within the hourly limit; beyond it the whole file is
    refused without a row-by-row answer. True when the file is refused."""
    if roles.reads_whole_town(user):
        return False
    visible = set(villages_visible_to(user=user).values_list("pk", flat=True))
    hidden = {n: m for n, m in existing.items() if households[m.household_id].village_id not in visible}
    plan.id_check = IdCheck(hidden=hidden)
    remaining = settings.ID_CONFLICT_LIMIT_PER_HOUR - recent_conflicts(user=user)
    unseen = [n for n in dict.fromkeys(numbers) if n not in existing or n in hidden]
    if remaining <= 0 and unseen:
        plan.id_check = IdCheck(throttled=True, withheld=unseen[:WITHHELD_RECORDED])
    elif len(hidden) > remaining:
        plan.id_check = IdCheck(hidden=hidden, throttled=True)
    else:
        return False
    plan.problems.append(Problem(0, "", THROTTLED))
    return True


def _plan_household(item: HouseholdIn, present, places, changeable, existing, households, plan: Plan) -> None:
    problems_before = len(plan.problems)

    def problem(row: int, key: str, message: str) -> None:
        plan.problems.append(Problem(row, HEADER.get(key, ""), message))

    value = {key: v for key, (v, _row) in item.values.items()}
    row_of = {key: r for key, (_v, r) in item.values.items()}
    own_towns = frozenset(changeable.values())
    try:
        village = places.village(value.get("town"), value.get("village") or "", own_towns=own_towns)
    except CellError as exc:
        problem(row_of.get("village", item.first_row), "village", str(exc))
        return
    if village.town_id not in own_towns:
        # Another town's row: its own office imports it (issue 19). Every such row is listed, none dropped.
        ours = "、".join(sorted({v.town.name for v in places.by_town.values() if v.town_id in own_towns}))
        problem(
            row_of.get("town", row_of["village"]),
            "town" if "town" in row_of else "village",
            f"此行属于「{village.town.name}」，您只能导入{ours or '本镇'}的数据；"
            f"请将此行交由{village.town.name}民政办导入。",
        )
        return
    if village.pk not in changeable:
        problem(row_of["village"], "village", f"您无权导入到「{village.name}」（不在您负责的村）。")
        return
    target: dict[str, Any] = {"village_id": village.pk, "head_name": value.get("head_name", "")}
    grants = _plan_categories(item, village, present, places, target, problem)
    for key in ("group",):
        if key in present:
            target[f"{key}_id"] = None
            if value.get(key):
                try:
                    target[f"{key}_id"] = getattr(places, key)(village, value[key]).pk
                except CellError as exc:
                    problem(row_of[key], key, str(exc))
    for key in ("area", "covered_persons", "base_amount", "extra_amount", "start_month", "phone", "bank_name"):
        if key in value:
            target[key] = value[key]
        elif key in present and key in BLANK:
            target[key] = BLANK[key]
        elif key in present and key in {"base_amount", "extra_amount"}:
            target[key] = fmt.money(0)
    if "bank_account" in present:
        target["bank_account"] = value.get("bank_account", "")

    found = {m.info.number: existing[m.info.number] for m in item.members if m.info.number in existing}
    # The household is the head's. Members found elsewhere are never moved by an import.
    household_id = found[item.head_id].household_id if item.head_id in found else None
    household = households.get(household_id) if household_id else None
    if household_id and household is None:
        problem(item.first_row, "head_id", "本户在导入过程中被删除，请重新导入。")
        return
    hidden = plan.id_check.hidden
    if household is not None and item.head_id in hidden:
        problem(item.first_row, "head_id", NEUTRAL)  # outside the importer's villages: no village named
        return
    if household is not None and household.village_id not in changeable:
        problem(item.first_row, "head_id", f"本户目前登记在「{household.village.name}」，您无权修改该村的数据。")
        return
    for m in item.members:
        other = found.get(m.info.number)
        if other is not None and m.info.number in hidden:
            problem(m.row, "id_number", NEUTRAL)
        elif other is not None and other.household_id != household_id:
            problem(m.row, "id_number", "此人已是其他户的在册成员（一人只能属于一户）。如需迁户，请先办理迁出。")
    if len(plan.problems) > problems_before:
        return

    label = f"{village.name} {target['head_name']}户（{idcard.mask(item.head_id)}）"
    rows = f"{item.first_row}" if len(item.rows) == 1 else f"{item.first_row}–{item.rows[-1]}"
    if household is None:
        target.setdefault("covered_persons", len(item.members))
        household = Household(status=Household.Status.ACTIVE, **target)
        plan.new_households.append(household)
        plan.counts["households_created"] += 1
        _note(plan, "户", "新增", label, rows, [])
    else:
        changed = [k for k, v in target.items() if getattr(household, k) != v]
        if changed:
            for key in changed:
                setattr(household, key, target[key])
            plan.household_fields.update(k.removesuffix("_id") for k in changed)
        household._changed = [HOUSEHOLD_LABELS[k.removesuffix("_id")] for k in changed]
    plan.heads.append((household, item.head_id))
    plan.grants.extend(grants)
    for m in item.members:
        _plan_member(m, household, found.get(m.info.number), plan)
    if household.pk is not None:
        # A new head among existing members is found when heads are resolved (see apply).
        head = found.get(item.head_id)
        if head is None or head.pk != household.head_id:
            household._changed.append("户主")
        if household._changed:
            plan.changed_households.append(household)
            plan.counts["households_updated"] += 1
            _note(plan, "户", "更新", label, rows, household._changed)
        else:
            plan.counts["households_unchanged"] += 1


def _plan_member(m: MemberIn, household: Household, member: Member | None, plan: Plan) -> None:
    label = f"{m.name}（{idcard.mask(m.info.number)}）"
    if member is None:
        plan.new_members.append(
            Member(
                household=household,
                name=m.name,
                id_number=m.info.number,
                sex=m.info.sex,
                birth_date=m.info.birth_date,
                **m.values,
            )
        )
        plan.counts["members_created"] += 1
        _note(plan, "成员", "新增", label, str(m.row), [])
        return
    target = {"name": m.name, **m.values}
    changed = [k for k, v in target.items() if getattr(member, k) != v]
    if not changed:
        plan.counts["members_unchanged"] += 1
        return
    for key in changed:
        setattr(member, key, target[key])
    plan.member_fields.update(changed)
    plan.changed_members.append(member)
    plan.counts["members_updated"] += 1
    _note(plan, "成员", "更新", label, str(m.row), [MEMBER_LABELS[k] for k in changed])


def _note(plan: Plan, level: str, action: str, label: str, rows: str, fields: list[str]) -> None:
    if len(plan.changes) < SHOWN_CHANGES:
        plan.changes.append({"level": level, "action": action, "label": label, "rows": rows, "fields": fields})


# --- Writing ------------------------------------------------------------------------------


def apply_plan(plan: Plan, *, user: AbstractBaseUser) -> None:
    """Write the plan (the caller holds the transaction). Bulk writes; history rows set-based.

    The rows are written with the ORM's bulk operations and their history rows by one
    INSERT … SELECT per model (`kanjia.history`) in the same transaction, with the
    importing user as history user: simple-history's own bulk helpers build a Python
    object per history row, which was most of the commit's time (issue 19). A new
    household gets one history row ("+"), written once its head is linked.
    """
    if not plan.ok:
        raise ValueError("a plan with problems is never applied")
    now = timezone.now()
    Household.objects.bulk_create(plan.new_households, batch_size=1000)  # history once the head is set, below
    for member in plan.new_members:
        member.household_id = member.household.pk  # the household got its pk just now
    Member.objects.bulk_create(plan.new_members, batch_size=1000)
    insert_history(Member, ids=[m.pk for m in plan.new_members], history_type="+", user=user, when=now)
    if plan.changed_members:
        Member.objects.bulk_update(plan.changed_members, sorted(plan.member_fields), batch_size=1000)
        insert_history(Member, ids=[m.pk for m in plan.changed_members], history_type="~", user=user, when=now)
    # Heads are members, so they are linked once every member has a primary key.
    created = {m.id_number: m.pk for m in plan.new_members}
    head_ids = created | _head_ids([number for _h, number in plan.heads if number not in created])
    fresh = {id(h) for h in plan.new_households}
    new_heads: list[Household] = []
    to_update = {id(h): h for h in plan.changed_households}
    for household, number in plan.heads:
        if household.head_id != head_ids[number]:
            household.head_id = head_ids[number]
            if id(household) in fresh:
                new_heads.append(household)
            else:
                to_update[id(household)] = household
    _link_heads(new_heads)
    insert_history(Household, ids=[h.pk for h in plan.new_households], history_type="+", user=user, when=now)
    if to_update:
        for household in plan.changed_households:
            household.version += 1
        for household in to_update.values():
            household.updated_at = now
        fields = sorted(plan.household_fields | {"head", "updated_at", "version"})
        changed = list(to_update.values())
        Household.objects.bulk_update(changed, fields, batch_size=1000)
        insert_history(Household, ids=[h.pk for h in changed], history_type="~", user=user, when=now)
    _apply_grants(plan.grants, user=user)


def _apply_grants(grants: list[tuple[str, Category]], *, user: AbstractBaseUser) -> None:
    """人工认定 categories named in the ledger, for members who do not have them yet."""
    if not grants:
        return
    ids = _head_ids(sorted({number for number, _c in grants}))
    existing = set(MemberCategory.objects.filter(member_id__in=ids.values()).values_list("member_id", "category_id"))
    fresh = {
        (ids[number], c.pk): MemberCategory(
            member_id=ids[number], category=c, reason=LEDGER_GRANT_REASON, granted_by=user
        )
        for number, c in grants
        if number in ids and (ids[number], c.pk) not in existing
    }
    if fresh:
        bulk_create_with_history(list(fresh.values()), MemberCategory, batch_size=1000, default_user=user)


def _link_heads(households: list[Household]) -> None:
    """Set the head of households created in this transaction (their history row follows).

    PostgreSQL: one UPDATE … FROM unnest() per 50,000 households; Django's bulk_update
    (a CASE per row) elsewhere.
    """
    if not households:
        return
    if connection.vendor != "postgresql":
        Household.objects.bulk_update(households, ["head"], batch_size=1000)
        return
    table = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(households), 50_000):
            chunk = households[start : start + 50_000]
            cursor.execute(
                f"UPDATE {table} AS h SET head_id = v.head "  # noqa: S608 - the table name is the model's
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, head) WHERE h.id = v.id",
                [[h.pk for h in chunk], [h.head_id for h in chunk]],
            )


def _head_ids(numbers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        qs = Member.objects.filter(id_number__in=numbers[start : start + CHUNK], moved_out_on__isnull=True)
        found.update(qs.values_list("id_number", "pk"))
    return found


# --- Batches: what the views and the Celery tasks call ------------------------------------


def sha256_of(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for block in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(block)
    file.seek(0)
    return digest.hexdigest()


def import_start(*, user: AbstractBaseUser, upload: File) -> ImportBatch:
    """Keep the upload as a batch and queue its dry run. Refuses bad files at once (UploadRefused)."""
    from households.ledger.tasks import ledger_dry_run

    if not villages_changeable_by(user=user).exists():
        raise UploadRefused("您没有可以导入数据的村(社区)。")
    fmt.check_upload(upload, size=upload.size)
    name = (getattr(upload, "name", "") or "台账.xlsx").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        batch = ImportBatch(user=user, file_name=name, sha256=sha256_of(upload), size=upload.size)
        batch.file.save("ledger.xlsx", upload, save=False)
        batch.stage = "等待预检"
        batch.save()
        ledger_dry_run.delay_on_commit(batch.pk)
    return batch


def _progress(batch: ImportBatch, *, start: int, span: int) -> ProgressFn:
    """Progress of the reading phase, written outside any transaction so the page sees it."""
    total = max(batch.rows, 1)

    def report(rows: int, stage: str) -> None:
        hint = total if batch.rows else max(rows * 2, 1)
        percent = start + min(span, span * rows // hint)
        ImportBatch.objects.filter(pk=batch.pk).update(progress=percent, stage=stage[:100])

    return report


def _fail(batch: ImportBatch, message: str) -> None:
    batch.status = ImportBatch.Status.FAILED
    batch.error = message[:500]
    batch.stage = ""
    batch.save(update_fields=["status", "error", "stage"])


def _store_plan(batch: ImportBatch, parsed: ParsedLedger, plan: Plan) -> None:
    batch.rows = parsed.rows
    for key in (
        "households_created",
        "households_updated",
        "households_unchanged",
        "members_created",
        "members_updated",
        "members_unchanged",
    ):
        setattr(batch, key, plan.counts.get(key, 0))
    batch.problem_count = len(plan.problems)
    batch.summary = {
        "sheet": parsed.sheet_title,
        "header_row": parsed.header_row,
        "changes": plan.changes,
        "problems": [p.as_dict() for p in plan.problems[:SHOWN_PROBLEMS]],
    }


def run_dry_run(*, batch_id: int) -> None:
    """Parse and plan; keep the preview and, if there are problems, the error workbook."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportBatch.Status.QUEUED:
            return  # a second delivery of the same task: already done or running
        batch.status, batch.stage = ImportBatch.Status.CHECKING, "正在读取文件"
        batch.save(update_fields=["status", "stage"])
    try:
        with batch.file.open("rb") as file:
            parsed = parse_ledger(file, progress=_progress(batch, start=0, span=80))
        ImportBatch.objects.filter(pk=batch.pk).update(progress=85, stage="正在与系统数据比对")
        plan = plan_import(parsed, user=batch.user)
    except UploadRefused as exc:
        _fail(batch, str(exc))
        return
    id_conflicts_record(check=plan.id_check, user=batch.user, source=IdConflict.Source.IMPORT)
    _store_plan(batch, parsed, plan)
    if plan.problems:
        with batch.file.open("rb") as file:
            content = error_workbook(file, plan.problems)
        batch.error_file.save("错误说明.xlsx", ContentFile(content), save=False)
    batch.status, batch.progress, batch.stage = ImportBatch.Status.CHECKED, 100, ""
    batch.checked_at = timezone.now()
    batch.save()


def import_commit_request(*, batch: ImportBatch, user: AbstractBaseUser) -> ImportBatch:
    """Queue the commit of a checked batch without problems (its importer only)."""
    from households.ledger.tasks import ledger_commit

    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.user_id != user.pk:
            raise UploadRefused("只有上传此文件的人可以确认导入。")
        if batch.status != ImportBatch.Status.CHECKED:
            raise UploadRefused(f"此批次当前状态为「{batch.get_status_display()}」，不能导入。")
        if batch.problem_count:
            raise UploadRefused("预检发现问题，不能导入。请下载错误说明，修改后重新上传。")
        batch.status, batch.progress, batch.stage = ImportBatch.Status.COMMIT_QUEUED, 0, "等待导入"
        batch.save(update_fields=["status", "progress", "stage"])
        ledger_commit.delay_on_commit(batch.pk)
    return batch


def run_commit(*, batch_id: int) -> None:
    """Parse again, re-plan under lock and write everything, or nothing if any problem appears."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).select_related("user").get(pk=batch_id)
        if batch.status != ImportBatch.Status.COMMIT_QUEUED:
            return
        batch.status, batch.stage = ImportBatch.Status.COMMITTING, "正在读取文件"
        batch.save(update_fields=["status", "stage"])
    try:
        with batch.file.open("rb") as file:
            parsed = parse_ledger(file, progress=_progress(batch, start=0, span=60))
        ImportBatch.objects.filter(pk=batch.pk).update(progress=65, stage="正在写入数据库")
        with transaction.atomic():
            # The registry may have changed since the dry run: plan again under lock.
            plan = plan_import(parsed, user=batch.user, lock=True)
            if plan.ok:
                apply_plan(plan, user=batch.user)
                # Which households an import touched is spread over the plan: say "any".
                households_changed(household_ids=None, by=batch.user)
    except UploadRefused as exc:
        _fail(batch, str(exc))
        return
    except IntegrityError:
        _fail(batch, "导入时有人同时登记了相同身份证号码的成员，本次未写入任何数据。请重新上传预检。")
        return
    id_conflicts_record(check=plan.id_check, user=batch.user, source=IdConflict.Source.IMPORT)
    _store_plan(batch, parsed, plan)
    if not plan.ok:
        _fail(batch, "导入前系统数据已发生变化，重新比对时发现问题，本次未写入任何数据。请重新上传预检。")
        ImportBatch.objects.filter(pk=batch.pk).update(summary=batch.summary, problem_count=batch.problem_count)
        return
    batch.status, batch.progress, batch.stage = ImportBatch.Status.COMMITTED, 100, ""
    batch.committed_at = timezone.now()
    batch.save()


# --- The error workbook ---------------------------------------------------------------------


def error_workbook(file: IO[bytes], problems: list[Problem]) -> bytes:
    """The uploaded sheet, row for row, with an added 错误说明 column (user text never becomes a formula)."""
    sheet = fmt.open_rows(file, columns=LEDGER_COLUMNS)
    title, header_row = sheet.sheet_title, sheet.header_row
    sheet.close()
    by_row: dict[int, list[str]] = defaultdict(list)
    for p in problems:
        by_row[p.row].append(f"{p.column}：{p.message}" if p.column else p.message)
    file.seek(0)
    workbook = load_workbook(file, read_only=True, data_only=True)
    ws = workbook[title]
    rows = ws.iter_rows(min_row=1, values_only=True)
    above = [next(rows) for _ in range(header_row)]  # title rows, then the header row
    width = max([len(cells) for cells in above] + [ws.max_column if isinstance(ws.max_column, int) else 0])

    def padded(cells: tuple, note: str) -> list:
        return [*cells[:width], *[None] * (width - len(cells)), note]

    def everything() -> Iterator[list]:
        for cells in above[:-1]:
            yield padded(cells, "")
        yield padded(above[-1], "错误说明")
        for number, cells in enumerate(rows, start=header_row + 1):
            yield padded(cells, "；".join(by_row.get(number, [])))

    try:
        out = everything()
        first = next(out)  # write_xlsx writes its first row in bold
        return write_xlsx([SheetSpec(title, first, out)])
    finally:
        workbook.close()


def batches_visible_to(*, user: AbstractBaseUser) -> QuerySet[ImportBatch]:
    """The importer's own batches; town-wide roles (office, district, inspectors) see every batch."""
    if not user.is_authenticated:
        return ImportBatch.objects.none()
    if roles.has_role(user, *roles.TOWN_WIDE_READERS):
        accounts = accounts_of_towns(user=user)  # the batches of their own towns' staff (issue 19)
        return ImportBatch.objects.all() if accounts is None else ImportBatch.objects.filter(user__in=accounts)
    return ImportBatch.objects.filter(user=user)
