"""Workbook builders and scope helpers shared by the ledger tests."""

from datetime import date
from io import BytesIO

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import assign_perm
from openpyxl import Workbook

from households import idcard
from households.ledger.format import LEDGER_HEADERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def grant_team(user, *villages, change: bool = True) -> Group:
    team = Group.objects.create(name=f"清理小组-{user.username}")
    user.groups.add(team)
    for village in villages:
        assign_perm("households.view_village", team, village)
        if change:
            assign_perm("households.change_village", team, village)
    return team


_seq = iter(range(10**6))


def new_id(*, born: date = date(1960, 3, 15), male: bool = True) -> str:
    """A valid ID number, distinct for each call (the sequence field counts up)."""
    n = next(_seq)
    # The birth day varies too, so that thousands of numbers stay distinct.
    first17 = f"512002{born.year}{born.month:02d}{(n // 500) % 28 + 1:02d}{n % 100:02d}{(n // 100) % 5 * 2 + int(male)}"
    return first17 + idcard.check_char(first17)


def member_row(**values) -> dict:
    """A ledger row as a dict keyed by Chinese header, with sensible defaults."""
    head_id = values.pop("head_id")
    row = {
        "乡镇(街道)": "堪嘉镇",
        "村(社区)": "陡岩村",
        "组": "1组",
        "户主姓名": "张大山",
        "户主身份证号码": head_id,
        "成员姓名": "张大山",
        "身份证号码": head_id,
        "与户主关系": "户主",
        "健康状况": "健康",
        "城乡类别": "农村",
        "保障类别": "三类(一般)",
        "保障人数": 1,
        "月保障金额": 300,
        "分类施保金额": 0,
        "纳入保障年月": "2021-05",
        "联系电话": "13800000000",
        "开户银行": "雁江农商银行",
        "银行账号": "6228480000000000001",
    }
    row.update(values)
    return row


def workbook_bytes(rows: list[dict], *, headers=LEDGER_HEADERS, title: str | None = None, blank_lines=()) -> bytes:
    """A workbook as a clerk would make it: optional merged title row, text cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(list(headers))
    for index, row in enumerate(rows):
        if index in blank_lines:
            ws.append([])
        ws.append([row.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed into a text cell, even if it starts with "="
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)
