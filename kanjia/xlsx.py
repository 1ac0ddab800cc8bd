"""Write Excel files safely and in constant memory.

openpyxl turns any string starting with "=" into a formula. Spreadsheet
injection (=HYPERLINK(...), =cmd|...) is a real risk when a ledger holds text
typed by the public, so every user string is written as an explicit string
cell, never inferred.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_TYPES = (int, float, Decimal, date, datetime)


def _cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    if value is None:
        cell.value = None
    elif isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif isinstance(value, SAFE_TYPES):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # Excel has no time zones
        cell.value = value
    else:
        # Force the string type after binding: openpyxl would otherwise mark a
        # text starting with "=" as a formula, or "#N/A" as an error.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


class SheetSpec:
    def __init__(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.title = title
        self.header = header
        self.rows = rows


def write_xlsx(sheets: Sequence[SheetSpec], out: IO[bytes] | None = None) -> bytes | None:
    """Write sheets row by row (write-only mode). Returns bytes when out is None."""
    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(title=spec.title[:31])
        ws.append([_cell(ws, h, bold=True) for h in spec.header])
        for row in spec.rows:
            ws.append([_cell(ws, v) for v in row])
    if out is not None:
        wb.save(out)
        return None
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
