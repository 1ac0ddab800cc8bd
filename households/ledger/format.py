"""The Excel layouts the office exchanges (台账 and external rosters), and how to read them safely.

Real files come from the district's system and from other departments, edited
by hand in Excel or WPS. They carry title rows above the header, merged cells,
blank lines, ID numbers typed as numbers (Excel keeps 15 significant digits,
so an 18-digit number has already lost its last digits), full-width digits,
lowercase x, and dates in every form. This module turns cells into clean
values and says, in Chinese, what is wrong with a cell it cannot read.

Nothing here touches the database: `households.ledger.importer` and
`households.ledger.rosters` resolve villages, members and households.
"""

import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from households import idcard
from households.models import Area, Member

MAX_FILE_BYTES = 20 * 1024 * 1024
# An .xlsx is a zip. Check its directory before any XML is parsed: a zip bomb
# declares gigabytes of content in a few kilobytes. The declared sizes bound
# what zipfile will inflate (it stops at file_size), so checking them suffices.
MAX_ZIP_ENTRIES = 500
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
MAX_RATIO = 100  # unpacked / packed, over the whole archive (real ledgers: 5–30)
RATIO_FREE_BYTES = 10 * 1024 * 1024  # tiny archives may compress very well
HEADER_SEARCH_ROWS = 20


class UploadRefused(Exception):
    """The file is refused as a whole; the message is Chinese and shown to the user."""


class CellError(Exception):
    """One cell cannot be read; the message is Chinese and says how to fix it."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    row: int  # Excel row number (1-based); 0 for the file as a whole
    column: str  # Chinese header, or "" for the whole row
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


# --- The ledger (台账): one row per member; household columns repeat per member. ---
LEDGER_COLUMNS: tuple[Column, ...] = (
    Column("town", "乡镇(街道)", aliases=("乡镇", "镇(街道)", "乡镇街道")),
    Column("village", "村(社区)", required=True, aliases=("村", "村(居)", "村(居委会)", "村社区", "村名")),
    Column("group", "组", aliases=("村民小组", "组别", "社")),
    Column("head_name", "户主姓名", required=True, aliases=("户主",)),
    Column("head_id", "户主身份证号码", required=True, aliases=("户主身份证号", "户主公民身份号码")),
    Column("name", "成员姓名", required=True, aliases=("姓名", "家庭成员姓名")),
    Column("id_number", "身份证号码", required=True, aliases=("身份证号", "公民身份号码", "成员身份证号码")),
    Column("relation", "与户主关系", aliases=("关系",)),
    Column("sex", "性别"),
    Column("birth_date", "出生日期", aliases=("出生年月",)),
    Column("health", "健康状况", aliases=("健康",)),
    Column("disability", "残疾类别", aliases=("残疾类型",)),
    Column("disability_grade", "残疾等级", aliases=("残疾级别",)),
    Column("area", "城乡类别", aliases=("城乡",)),
    # Per member row: that member's 分类施保 category (or empty); see households.ledger.importer.
    Column("category", "保障类别", aliases=("分类施保类别", "类别")),
    Column("covered_persons", "保障人数", aliases=("享受人数",)),
    Column("base_amount", "月保障金额", aliases=("月保障金", "保障金额")),
    Column("extra_amount", "分类施保金额", aliases=("分类施保金",)),
    Column("start_month", "纳入保障年月", aliases=("纳入保障时间", "享受起始年月")),
    Column("phone", "联系电话", aliases=("电话", "手机号码")),
    Column("bank_name", "开户银行", aliases=("开户行",)),
    Column("bank_account", "银行账号", aliases=("银行卡号", "账号")),
)
LEDGER_HEADERS: tuple[str, ...] = tuple(c.header for c in LEDGER_COLUMNS)
HOUSEHOLD_KEYS = (
    "town",
    "village",
    "group",
    "head_name",
    "area",
    "covered_persons",
    "base_amount",
    "extra_amount",
    "start_month",
    "phone",
    "bank_name",
    "bank_account",
)

# --- External rosters (外部比对名单) ---
ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("id_number", "身份证号码", required=True, aliases=("身份证号", "公民身份号码", "证件号码", "身份证")),
    Column("name", "姓名", aliases=("人员姓名", "成员姓名")),
    Column("date", "日期", aliases=("死亡日期", "火化日期", "登记日期", "发放日期", "缴存日期", "领取日期")),
    Column("amount", "金额", aliases=("月领取金额", "发放金额", "缴存金额", "领取金额")),
    Column("note", "说明", aliases=("备注",)),
)


def clean_header(value: Any) -> str:
    """Full-width brackets to ASCII, all whitespace (including line breaks) removed."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


# --- Guards: run before openpyxl sees the file ---------------------------------------


def check_upload(file: IO[bytes], *, size: int | None = None) -> None:
    """Refuse oversized files, non-xlsx files and zip bombs, without parsing any XML."""
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    file.seek(0)
    if size > MAX_FILE_BYTES:
        raise UploadRefused(f"文件过大（{size / 1024 / 1024:.1f} MB），上限为 20 MB。请按村拆分后分批导入。")
    if size == 0:
        raise UploadRefused("文件是空的。")
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRefused(
            "文件不是 Excel 2007 及以上版本的 .xlsx 格式。"
            "若是 .xls 或 .et 文件，请在 Excel/WPS 中另存为 .xlsx 后再上传。"
        ) from None
    finally:
        file.seek(0)
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(f"文件内部结构异常（包含 {len(entries)} 个部件），已拒绝处理。")
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries) or 1
    if unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FREE_BYTES and unpacked / packed > MAX_RATIO):
        raise UploadRefused("文件解压后体积异常（疑似压缩炸弹），已拒绝处理。请上传正常导出的 Excel 文件。")
    if not any(e.filename.startswith("xl/worksheets/") for e in entries):
        raise UploadRefused("文件中没有工作表，不是有效的 Excel 文件。")


# --- Reading rows ------------------------------------------------------------------------


@dataclass
class SheetRows:
    """The rows of the first sheet that has the expected header row."""

    sheet_title: str
    header_row: int
    columns: dict[str, int]  # key -> 0-based column index
    rows: Iterator[tuple[int, tuple]]  # (Excel row number, raw cell values) after the header
    max_row: int | None  # as the sheet declares it (for progress bars); None if unknown
    workbook: Any = None

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()


def _match_columns(cells: Sequence[Any], columns: Sequence[Column]) -> dict[str, int]:
    lookup: dict[str, str] = {}
    for col in columns:
        lookup[clean_header(col.header)] = col.key
        for alias in col.aliases:
            lookup.setdefault(clean_header(alias), col.key)
    found: dict[str, int] = {}
    for index, value in enumerate(cells):
        key = lookup.get(clean_header(value))
        if key and key not in found:
            found[key] = index
    return found


def open_rows(file: IO[bytes], *, columns: Sequence[Column]) -> SheetRows:
    """Find the header row (possibly below title rows) and stream the rows after it.

    Read-only mode streams the sheet XML (openpyxl otherwise keeps ~50× the file
    size in memory); data_only reads cached formula results, never formulas.
    """
    check_upload(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a malformed package
        raise UploadRefused(
            "无法读取该 Excel 文件（文件可能已损坏或加密）。请在 Excel/WPS 中打开后另存为 .xlsx 再试。"
        ) from None
    required = [c for c in columns if c.required]
    best: tuple[int, str] | None = None
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(min_row=1, values_only=True)
        for number, cells in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            found = _match_columns(cells, columns)
            if all(c.key in found for c in required):
                declared = sheet.max_row if isinstance(sheet.max_row, int) else None
                return SheetRows(sheet.title, number, found, _data_rows(rows, number), declared, workbook)
            if len(found) >= 2 and (best is None or len(found) > best[0]):
                missing = "、".join(c.header for c in required if c.key not in found)
                best = (len(found), f"工作表「{sheet.title}」第 {number} 行像是表头，但缺少必需的列：{missing}。")
    workbook.close()
    if best:
        raise UploadRefused(best[1])
    headers = "、".join(c.header for c in required)
    raise UploadRefused(f"在前 {HEADER_SEARCH_ROWS} 行中找不到表头。表头须包含：{headers}。可下载模板对照。")


def _data_rows(rows: Iterator[tuple], header_row: int) -> Iterator[tuple[int, tuple]]:
    for number, cells in enumerate(rows, start=header_row + 1):
        # Blank lines (and rows of empty strings left by deleted content) are skipped.
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in cells):
            yield number, cells


def cell(cells: tuple, columns: dict[str, int], key: str) -> Any:
    index = columns.get(key)
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# --- Cell normalisers: each returns a clean value or raises CellError -------------------

_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def text(value: Any, *, max_length: int = 200) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = _CJK_SPACE.sub("", re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip())
    if len(result) > max_length:
        raise CellError(f"内容过长（{len(result)} 个字），最多 {max_length} 个字。")
    return result


def _excel_number_text(value: float) -> str:
    """How Excel shows a large number in a General cell: 5.12002E+17."""
    mantissa, exponent = f"{value:.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E+{int(exponent):02d}"


def digits_as_text(value: Any, *, what: str) -> str:
    """A long digit string (ID, bank account) that must have been typed into a text cell."""
    if isinstance(value, bool):
        raise CellError(f"{what}格式不正确。")
    if isinstance(value, int | float):
        digits = str(int(value)) if float(value).is_integer() else ""
        if isinstance(value, float) or len(digits) > 15:
            shown = _excel_number_text(float(value)) if abs(value) >= 1e11 else str(value)
            raise CellError(
                f"{what}被存成了数字（读到 {shown}），Excel 只保留 15 位有效数字，后几位已经丢失。"
                f"请把该列设置为「文本」格式后重新录入完整的{what}。"
            )
        return digits
    return idcard.normalize(value)


def id_number(value: Any) -> idcard.IdInfo:
    number = digits_as_text(value, what="身份证号码")
    try:
        return idcard.parse(number)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None


def _to_date(year: int, month: int, day: int = 1) -> date:
    try:
        result = date(year, month, day)
    except ValueError:
        raise CellError(f"日期 {year}年{month}月{day}日 不存在。") from None
    if not 1900 <= year <= 2100:
        raise CellError(f"年份 {year} 不合理。")
    return result


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(?:(\d{1,2})\s*日?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def excel_date(value: Any) -> tuple[date, bool]:
    """A date from a datetime cell, an Excel serial number or text. Returns (date, has_day)."""
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    if isinstance(value, bool):
        raise CellError("日期格式不正确。")
    if isinstance(value, int | float):
        number = int(value)
        compact = _COMPACT.match(str(number))
        if compact and 1900 <= int(compact.group(1)) <= 2100:
            year, month, day = compact.groups()
            return _to_date(int(year), int(month), int(day or 1)), day is not None
        if 1 <= number <= 80000:  # Excel serial (1900 date system; 80000 is in 2119)
            return date(1899, 12, 30) + timedelta(days=number), True
        raise CellError(f"无法识别的日期 {value}。请写成 2021-05 或 2021年5月 这样的格式。")
    raw = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE_TEXT.match(raw) or _COMPACT.match(raw)
    if not match:
        raise CellError(f"无法识别的日期「{raw}」。请写成 2021-05、2021年5月、202105 或 2021-05-18 这样的格式。")
    year, month, day = match.groups()
    return _to_date(int(year), int(month), int(day or 1)), day is not None


def month(value: Any) -> date:
    return excel_date(value)[0].replace(day=1)


def money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError("金额格式不正确。")
    if isinstance(value, int | float | Decimal):
        # repr of a float is the shortest text that reads back the same: 123.45, not 123.4500000001.
        raw = repr(value) if isinstance(value, float) else str(value)
    else:
        raw = re.sub(r"[\s,，元￥¥]", "", unicodedata.normalize("NFKC", str(value)))
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"金额「{value}」不是数字。") from None
    if not amount.is_finite():
        raise CellError(f"金额「{value}」不是数字。")
    if amount < 0:
        raise CellError("金额不能为负数。")
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded != amount:
        raise CellError(f"金额 {value} 超过两位小数（分）。")
    if rounded >= Decimal("10000000000"):
        raise CellError(f"金额 {value} 过大。")
    return rounded


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def small_int(value: Any, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool):
        raise CellError(f"{what}格式不正确。")
    if isinstance(value, int | float):
        if not float(value).is_integer():
            raise CellError(f"{what}应为整数。")
        number = int(value)
    else:
        raw = unicodedata.normalize("NFKC", str(value)).strip()
        raw = re.sub(r"^第|[级人组户名个]$", "", raw)
        if raw.isdigit():
            number = int(raw)
        elif raw in _CN_DIGITS:
            number = _CN_DIGITS[raw]
        else:
            raise CellError(f"{what}「{value}」不是整数。")
    if not low <= number <= high:
        raise CellError(f"{what}应在 {low} 到 {high} 之间。")
    return number


def choice(value: Any, *, options: dict[str, str], what: str) -> str:
    raw = text(value)
    try:
        return options[raw]
    except KeyError:
        allowed = "、".join(dict.fromkeys(k for k in options if k))
        raise CellError(f"{what}「{raw}」无法识别，可填：{allowed}。") from None


def _choices_with_aliases(choices: Any, aliases: dict[str, str]) -> dict[str, str]:
    options = {}
    for value, label in choices:
        options[value] = value
        options[label] = value
    options.update(aliases)
    return options


RELATIONS = _choices_with_aliases(
    Member.Relation.choices,
    {
        "本人": "户主",
        "户主本人": "户主",
        "妻": "配偶",
        "妻子": "配偶",
        "夫": "配偶",
        "丈夫": "配偶",
        "子": "子女",
        "女": "子女",
        "儿子": "子女",
        "女儿": "子女",
        "长子": "子女",
        "次子": "子女",
        "长女": "子女",
        "次女": "子女",
        "养子": "子女",
        "养女": "子女",
        "继子": "子女",
        "继女": "子女",
        "父亲": "父母",
        "母亲": "父母",
        "父": "父母",
        "母": "父母",
        "兄": "兄弟姐妹",
        "弟": "兄弟姐妹",
        "姐": "兄弟姐妹",
        "妹": "兄弟姐妹",
        "哥哥": "兄弟姐妹",
        "弟弟": "兄弟姐妹",
        "姐姐": "兄弟姐妹",
        "妹妹": "兄弟姐妹",
        "祖父": "祖父母/外祖父母",
        "祖母": "祖父母/外祖父母",
        "外祖父": "祖父母/外祖父母",
        "外祖母": "祖父母/外祖父母",
        "爷爷": "祖父母/外祖父母",
        "奶奶": "祖父母/外祖父母",
        "孙子": "孙子女/外孙子女",
        "孙女": "孙子女/外孙子女",
        "外孙": "孙子女/外孙子女",
        "外孙子": "孙子女/外孙子女",
        "外孙女": "孙子女/外孙子女",
        "儿媳": "其他",
        "女婿": "其他",
    },
)
HEALTH = _choices_with_aliases(
    Member.Health.choices,
    {
        "": "健康",
        "良好": "健康",
        "一般": "健康",
        "长期慢性病": "慢性病",
        "患病": "慢性病",
        "大病": "重病",
        "重特大疾病": "重病",
    },
)
DISABILITY = _choices_with_aliases(Member.Disability.choices, {"无残疾": "", "否": ""})
AREAS = _choices_with_aliases(Area.choices, {"城镇": "城市", "城市低保": "城市", "农村低保": "农村", "乡村": "农村"})
SEXES = {"男": "男", "女": "女", "男性": "男", "女性": "女"}


def group_number(value: Any) -> int:
    """组: "3", 3, "3组", "第3组", "三组" → 3."""
    return small_int(value, low=1, high=999, what="组号")
