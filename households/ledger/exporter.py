"""Ledger export (台账导出): the import layout, so that an export re-imports unchanged.

Three sheets: 成员台账 (one row per member, the import columns), 户汇总 (one row
per household) and 合计 (totals per village). Rows stream from the database
into openpyxl's write-only mode through `kanjia.xlsx`, which writes every user
string as a string cell (never a formula). Exports run as Celery tasks with a
progress bar; the file is served only to the user who asked for it, and every
download is logged.

Full ID and bank account numbers go only to users who hold
`households.reveal_id_number`; others get masked numbers (such a file cannot be
re-imported, which the export page says).
"""

import random
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

from households import idcard
from households.benefit import is_co_resident, member_supplement, per_person_in_effect, qualifying_categories
from households.ledger.format import LEDGER_HEADERS
from households.models import Category, ExportJob, Household, Member, MemberCategory, Town, Village
from households.selectors import households_visible_to, members_visible_to, villages_visible_to
from households.towns.selectors import accounts_of_towns, is_district_wide, towns_visible_to
from kanjia import roles
from kanjia.xlsx import SheetSpec, _cell, write_xlsx

PROGRESS_EVERY = 5000
MAX_SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
MEMBER_FIELDS = (
    "household__village__town__name",
    "household__village__name",
    "household__group__number",
    "household__group__name",
    "household__head_name",
    "household__head__id_number",
    "name",
    "id_number",
    "relation",
    "sex",
    "birth_date",
    "health",
    "disability",
    "disability_grade",
    "household__area",
    "household__category__name",
    "household__covered_persons",
    "household__base_amount",
    "household__extra_amount",
    "household__start_month",
    "household__phone",
    "household__bank_name",
    "household__bank_account",
    # Not written: what the member's 分类施保 category is decided from.
    "pk",
    "household__village__town_id",
    "covered",
    "died_on",
    "moved_out_on",
)
HOUSEHOLD_HEADERS = (
    "乡镇(街道)",
    "村(社区)",
    "组",
    "户主姓名",
    "户主身份证号码",
    "保障状态",
    "城乡类别",
    "保障类别",
    "家庭人数",
    "保障人数",
    "月保障金额",
    "分类施保金额",
    "月发放合计",
    "纳入保障年月",
    "联系电话",
)
TOTAL_HEADERS = ("村(社区)", "户数", "家庭人数", "保障人数", "月保障金额合计", "分类施保金额合计", "月发放合计")


def may_see_full_numbers(user: AbstractBaseUser) -> bool:
    return user.has_perm("households.reveal_id_number")


def _group_label(number: int | None, name: str | None) -> str | None:
    if number is None:
        return None
    return name or f"{number}组"


def _month(value: date | None) -> str | None:
    return f"{value:%Y-%m}" if value else None


class _MemberCategories:
    """保障类别 per member row: where per-person 分类施保 is in effect, the categories paid for
    that member this month (covered, co-resident, meets the criteria); before, the household's."""

    def __init__(self, members: QuerySet[Member]) -> None:
        self.month = timezone.localdate().replace(day=1)
        everything = list(Category.objects.all())
        self.by_town = {
            t: cs
            for t in {c.town_id for c in everything}
            if per_person_in_effect(cs := [c for c in everything if c.town_id == t])
        }
        self.rules = dict(Town.objects.values_list("pk", "supplement_rule"))
        self.manual = (
            set(MemberCategory.objects.filter(member__in=members.order_by()).values_list("member_id", "category_id"))
            if self.by_town
            else set()
        )

    def name(self, *, town_id: int, household_category: str | None, **member) -> str | None:
        categories = self.by_town.get(town_id)
        if categories is None:
            return household_category
        person = SimpleNamespace(**member)
        if not person.covered or not is_co_resident(person, month=self.month):
            return None
        chosen, _amount = member_supplement(
            qualifying_categories(person, categories=categories, manual=self.manual, month=self.month),
            rule=self.rules[town_id],
        )
        return "、".join(c.name for c in chosen) or None


def member_rows(members: QuerySet[Member], *, full: bool, tick: Callable[[], None]) -> Iterator[list]:
    """One list per member in LEDGER_HEADERS order, as the import reads them back."""
    hide = (lambda v: v) if full else (lambda v: idcard.mask(v) if v else v)
    categories = _MemberCategories(members)
    for (
        town,
        village,
        group_number,
        group_name,
        head_name,
        head_id,
        name,
        id_number,
        relation,
        sex,
        birth_date,
        health,
        disability,
        grade,
        area,
        category,
        covered,
        base,
        extra,
        start,
        phone,
        bank_name,
        bank_account,
        pk,
        town_id,
        member_covered,
        died_on,
        moved_out_on,
    ) in members.values_list(*MEMBER_FIELDS).iterator(chunk_size=5000):
        tick()
        category = categories.name(
            town_id=town_id,
            household_category=category,
            pk=pk,
            birth_date=birth_date,
            health=health,
            disability=disability,
            disability_grade=grade,
            covered=member_covered,
            died_on=died_on,
            moved_out_on=moved_out_on,
        )
        yield [
            town,
            village,
            _group_label(group_number, group_name),
            head_name,
            hide(head_id),
            name,
            hide(id_number),
            relation,
            sex,
            f"{birth_date:%Y-%m-%d}",
            health,
            disability or None,
            grade,
            area,
            category,
            covered,
            base,
            extra,
            _month(start),
            phone or None,
            bank_name or None,
            hide(bank_account) or None,
        ]


def household_rows(households: QuerySet[Household], *, full: bool, tick: Callable[[], None]) -> Iterator[list]:
    qs = households.annotate(size=Count("members", filter=Q(members__moved_out_on__isnull=True))).values_list(
        "village__town__name",
        "village__name",
        "group__number",
        "group__name",
        "head_name",
        "head__id_number",
        "status",
        "area",
        "category__name",
        "size",
        "covered_persons",
        "base_amount",
        "extra_amount",
        "start_month",
        "phone",
    )
    for (
        town,
        village,
        number,
        gname,
        head_name,
        head_id,
        status,
        area,
        cat,
        size,
        covered,
        base,
        extra,
        start,
        phone,
    ) in qs.iterator(chunk_size=5000):
        tick()
        shown_id = head_id if full or not head_id else idcard.mask(head_id)
        yield [
            town,
            village,
            _group_label(number, gname),
            head_name,
            shown_id,
            status,
            area,
            cat,
            size,
            covered,
            base,
            extra,
            base + extra,
            _month(start),
            phone or None,
        ]


def total_rows(households: QuerySet[Household], *, by_town: bool = False) -> Iterator[list]:
    """One row per village and the grand total; `by_town` (district-wide) names each village's town
    and orders by town."""
    figures = (
        households.values("village__name", "village__order", "village_id", "village__town__name", "village__town__code")
        .annotate(
            households=Count("id", distinct=True),
            base=Sum("base_amount"),
            extra=Sum("extra_amount"),
            covered=Sum("covered_persons"),
        )
        .order_by(*(("village__town__code",) if by_town else ()), "village__order", "village_id")
    )
    sizes = dict(
        Member.objects.filter(household__in=households, moved_out_on__isnull=True)
        .values("household__village_id")
        .annotate(n=Count("id"))
        .values_list("household__village_id", "n")
    )
    grand = [0, 0, 0, Decimal("0"), Decimal("0")]
    for f in figures:
        size = sizes.get(f["village_id"], 0)
        base, extra = f["base"] or Decimal("0"), f["extra"] or Decimal("0")
        grand = [
            grand[0] + f["households"],
            grand[1] + size,
            grand[2] + (f["covered"] or 0),
            grand[3] + base,
            grand[4] + extra,
        ]
        name = f"{f['village__town__name']} {f['village__name']}" if by_town else f["village__name"]
        yield [name, f["households"], size, f["covered"] or 0, base, extra, base + extra]
    yield ["合计", *grand, grand[3] + grand[4]]


def _scope(*, user: AbstractBaseUser, village: Village | None, status: str) -> tuple[QuerySet, QuerySet]:
    households = households_visible_to(user=user)
    if village is not None:
        households = households.filter(village=village)
    if status:
        households = households.filter(status=status)
    members = (
        members_visible_to(user=user)
        .filter(household__in=households, moved_out_on__isnull=True)
        .order_by("household__village__order", "household__village_id", "household_id", "id")
    )
    return households.order_by("village__order", "village_id", "id"), members


def write_ledger(
    out: IO[bytes],
    *,
    user: AbstractBaseUser,
    village: Village | None = None,
    status: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the three sheets to `out`; returns the number of member rows."""
    households, members = _scope(user=user, village=village, status=status)
    full = may_see_full_numbers(user)
    total = (members.count() + households.count()) or 1
    done = [0, 0]  # rows written, member rows

    def tick(member: bool = False) -> None:
        done[0] += 1
        done[1] += member
        if progress and done[0] % PROGRESS_EVERY == 0:
            progress(min(99, done[0] * 100 // total))

    def member() -> None:
        tick(True)

    if village is None and is_district_wide(user=user):
        # District-wide: each town on its own sheets (issue 19), the totals by town and village.
        sheets = []
        for town in towns_visible_to(user=user).order_by("code", "pk"):
            town_members = members.filter(household__village__town=town)
            town_households = households.filter(village__town=town)
            if not town_households.exists():
                continue
            sheets += [
                SheetSpec(f"成员台账-{town.name}", LEDGER_HEADERS, member_rows(town_members, full=full, tick=member)),
                SheetSpec(
                    f"户汇总-{town.name}", HOUSEHOLD_HEADERS, household_rows(town_households, full=full, tick=tick)
                ),
            ]
        sheets.append(SheetSpec("合计", TOTAL_HEADERS, total_rows(households.order_by(), by_town=True)))
    else:
        sheets = [
            SheetSpec("成员台账", LEDGER_HEADERS, member_rows(members, full=full, tick=member)),
            SheetSpec("户汇总", HOUSEHOLD_HEADERS, household_rows(households, full=full, tick=tick)),
            SheetSpec("合计", TOTAL_HEADERS, total_rows(households.order_by())),
        ]
    write_streamed(sheets, out=out)
    return done[1]


def _sheet_title(title: str, part: int) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\; continuation sheets numbered."""
    clean = title.translate({ord(c): "_" for c in "[]:*?/\\"})
    suffix = f"({part})" if part > 1 else ""
    return clean[: 31 - len(suffix)] + suffix


def write_streamed(sheets: list[SheetSpec], *, out: IO[bytes]) -> None:
    """`kanjia.xlsx.write_xlsx`'s formula safety at the speed of a bare write-only loop.

    openpyxl only turns a string into a formula when it starts with "=", into an
    error cell when it is an error code, and refuses control characters. Only
    such strings (rare) go through kanjia.xlsx's explicit string cells; every
    other value is handed to openpyxl as it is, which types it as plain text,
    number or date. Exporting 250,000 members spends its time here.
    """
    workbook = Workbook(write_only=True)
    limit = MAX_SHEET_ROWS
    for spec in sheets:
        part = 1
        ws = workbook.create_sheet(title=_sheet_title(spec.title, part))
        ws.append([_cell(ws, h, bold=True) for h in spec.header])
        used = 1
        for row in spec.rows:
            if used >= limit:  # Excel shows no row beyond 1,048,576: go on in 「…(2)」 with the header again
                part += 1
                ws = workbook.create_sheet(title=_sheet_title(spec.title, part))
                ws.append([_cell(ws, h, bold=True) for h in spec.header])
                used = 1
            # One search over the row's strings says whether any cell needs a look (almost never);
            # a check per cell was 8 µs of Python per row, the row's search about 4.
            if _RISKY_ROW.search("\n".join([v for v in row if isinstance(v, str)])):
                row = [_cell(ws, v) if isinstance(v, str) and _risky(v) else v for v in row]
            ws.append(row)
            used += 1
    workbook.save(out)


def _risky(text: str) -> bool:
    return text[:1] == "=" or text in ERROR_CODES or ILLEGAL_CHARACTERS_RE.search(text) is not None


# Over a row's strings joined by newlines: a cell starting with "=", a cell that is an error code, or
# a control character openpyxl refuses anywhere. A newline inside a cell can only add false alarms
# (the row is then checked cell by cell), never hide a risky cell.
_ERROR_CODES = "|".join(re.escape(code) for code in ERROR_CODES)
_RISKY_ROW = re.compile(rf"(?:^|\n)(?:=|(?:{_ERROR_CODES})(?:\n|$))|{ILLEGAL_CHARACTERS_RE.pattern}")


# --- Jobs ------------------------------------------------------------------------------------


def export_start(*, user: AbstractBaseUser, village: Village | None, status: str = "") -> ExportJob:
    from households.ledger.tasks import ledger_export

    if village is not None and not villages_visible_to(user=user).filter(pk=village.pk).exists():
        raise PermissionDenied("您无权导出该村(社区)的台账。")
    if village is None and not villages_visible_to(user=user).exists():
        raise PermissionDenied("您没有可以导出的村(社区)。")
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, village=village, status_filter=status)
        ledger_export.delay_on_commit(job.pk)
    return job


def run_export(*, job_id: int) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update(of=("self",)).select_related("user", "village").get(pk=job_id)
        if job.status != ExportJob.Status.QUEUED:
            return  # delivered twice: the first delivery owns it
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status"])

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(progress=percent)

    try:
        with tempfile.TemporaryFile() as tmp:
            job.rows = write_ledger(
                tmp, user=job.user, village=job.village, status=job.status_filter, progress=progress
            )
            tmp.seek(0)
            job.file.save("ledger-export.xlsx", File(tmp), save=False)
    except Exception as exc:  # the user needs to know it failed; the worker log has the traceback
        job.status, job.error = ExportJob.Status.FAILED, f"导出失败：{type(exc).__name__}"
        job.save(update_fields=["status", "error"])
        raise
    job.status, job.progress, job.finished_at = ExportJob.Status.DONE, 100, timezone.now()
    job.save()


def download_name(job: ExportJob) -> str:
    where = job.village.name if job.village else "全部村"
    return f"低保台账_{where}_{timezone.localtime(job.created_at):%Y%m%d%H%M}.xlsx"


# --- The template ------------------------------------------------------------------------------

TEMPLATE_NOTES = (
    (
        "身份证号码、户主身份证号码、银行账号",
        "请设置为「文本」格式再录入：数字格式只保留 15 位，后几位会丢失。末位 x 大小写均可。",
    ),
    (
        "户主",
        "每户按成员逐行填写，户主本人也占一行；户级各列（村、组、金额、电话等）每行相同，或只填第一行（合并单元格）。",
    ),
    (
        "与户主关系",
        "户主、配偶、子女、父母、兄弟姐妹、祖父母/外祖父母、孙子女/外孙子女、其他（也可写妻、子、女儿等）。",
    ),
    ("出生日期、性别", "可不填；若填写，须与身份证号码一致。"),
    ("纳入保障年月", "2021-05、2021年5月、202105 或日期格式均可。"),
    ("健康状况", "健康、慢性病、重病。残疾类别：视力、听力、言语、肢体、智力、精神、多重；残疾等级 1–4。"),
    ("城乡类别", "城市 或 农村。保障类别按系统中的分类施保类别名称填写。"),
    ("重复导入", "再次导入同一文件不会产生任何变化；修改后的文件按身份证号码更新。"),
)


def template_workbook() -> bytes:
    example = idcard.generate(born=date(1958, 4, 12), male=True, rng=random.Random(7))  # noqa: S311 - synthetic
    row = [
        "堪嘉镇",
        "陡岩村",
        "1组",
        "张三",
        example,
        "张三",
        example,
        "户主",
        "男",
        "1958-04-12",
        "慢性病",
        None,
        None,
        "农村",
        "三类(一般)",
        1,
        Decimal("300.00"),
        Decimal("0.00"),
        "2021-05",
        "13800000000",
        "雁江农商银行",
        "6228480000000000000",
    ]
    return write_xlsx(
        [
            SheetSpec("成员台账", LEDGER_HEADERS, [row]),
            SheetSpec("填写说明", ("项目", "说明"), TEMPLATE_NOTES),
        ]
    )


def export_jobs_visible_to(*, user: AbstractBaseUser) -> QuerySet[ExportJob]:
    """The requester's own exports; town-wide roles (who see every village anyway) see all, for audit."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    if roles.has_role(user, *roles.TOWN_WIDE_READERS):
        accounts = accounts_of_towns(user=user)  # their own towns' staff's exports (issue 19)
        return ExportJob.objects.all() if accounts is None else ExportJob.objects.filter(user__in=accounts)
    return ExportJob.objects.filter(user=user)
