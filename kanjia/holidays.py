"""The working-day calendar the office keeps current: entering a year of holidays (节假日安排).

The State Council publishes next year's arrangement in November or December; the
`chinese_calendar` library only knows the years published before its release.
The town office pastes the year's days on /calendar/, one line each:

    2027-01-01 休 元旦
    2027-02-05至2027-02-11 休 春节
    2027-02-14 班 春节调休上班

(a date or a range 至/~; 休 or 放假 for holidays, 班 or 上班 for make-up workdays;
the rest of the line is the note). A year saved here replaces the library for
that year. Saving is all-or-nothing and recomputes every stored deadline that
could touch the year (`kanjia.workdays.calendar_changed`).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kanjia import roles
from kanjia.models import HolidayDay, HolidayYear
from kanjia.workdays import calendar_changed, current_calendar

# From this month on, the town office is warned when next year's arrangement is missing.
WARN_FROM_MONTH = 11
HOLIDAY_WORDS = ("休", "放假", "假")
WORKDAY_WORDS = ("班", "上班", "调休上班", "补班")
LINE = re.compile(
    r"^(?P<start>\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:至|~|—|－|-{1,2})\s*(?P<end>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s*(?P<kind>调休上班|上班|补班|放假|休|班|假)?\s*(?P<note>.*)$"
)
MAX_SPAN = 15


@dataclass(frozen=True)
class Line:
    day: date
    kind: str
    note: str


def can_edit_calendar(*, user: AbstractBaseUser) -> bool:
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def _date(text: str) -> date:
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def parse_days(*, year: int, text: str) -> list[Line]:
    """The pasted lines as days; ValidationError listing every bad line (nothing is saved)."""
    errors: list[str] = []
    found: dict[date, Line] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip().replace("／", "-").replace("/", "-").replace(".", "-")
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if match is None:
            errors.append(f"第 {number} 行“{raw.strip()[:30]}”：请按“2027-01-01 休 元旦”的格式填写。")
            continue
        try:
            start = _date(match["start"])
            end = _date(match["end"]) if match["end"] else start
        except ValueError:
            errors.append(f"第 {number} 行：日期不存在。")
            continue
        if end < start or (end - start).days >= MAX_SPAN:
            errors.append(f"第 {number} 行：日期范围须由早到晚，且不超过 {MAX_SPAN} 天。")
            continue
        if start.year != year or end.year != year:
            errors.append(f"第 {number} 行：日期不在 {year} 年。")
            continue
        kind = HolidayDay.Kind.WORKDAY if match["kind"] in WORKDAY_WORDS else HolidayDay.Kind.HOLIDAY
        note = match["note"].strip()[:50]
        day = start
        while day <= end:
            if kind == HolidayDay.Kind.WORKDAY and day.weekday() < 5:
                errors.append(f"第 {number} 行：{day:%Y-%m-%d} 是周{'一二三四五'[day.weekday()]}，本来就是工作日。")
            elif day in found and found[day].kind != kind:
                errors.append(f"第 {number} 行：{day:%Y-%m-%d} 既是放假又是调休上班。")
            else:
                found[day] = Line(day, kind, note or (found[day].note if day in found else ""))
            day += timedelta(days=1)
    if not errors and not any(line.kind == HolidayDay.Kind.HOLIDAY for line in found.values()):
        errors.append("请至少填写一天放假日期。")
    if errors:
        raise ValidationError({"days": errors})
    return sorted(found.values(), key=lambda line: line.day)


@dataclass(frozen=True)
class SaveResult:
    year: HolidayYear
    days: int
    recomputed: int


def holiday_year_save(*, year: int, source: str, text: str, by: AbstractBaseUser) -> SaveResult:
    """Enter (or replace) a year's holidays and make-up workdays; recompute stored deadlines."""
    if not can_edit_calendar(user=by):
        raise PermissionDenied("节假日安排由镇民政办录入。")
    errors: dict[str, str] = {}
    if not 2000 <= (year or 0) <= 2100:
        errors["year"] = "请填写年份（2000–2100）。"
    source = (source or "").strip()
    if not source:
        errors["source"] = "请填写依据（国务院办公厅通知的名称或文号）。"
    if errors:
        raise ValidationError(errors)
    lines = parse_days(year=year, text=text)
    with transaction.atomic():
        row = HolidayYear.objects.select_for_update().filter(year=year).first() or HolidayYear(year=year)
        row.source, row.entered_by = source[:200], by
        row._history_user = by
        row.save()
        wanted = {(line.day, line.kind, line.note) for line in lines}
        for old in row.days.all():
            if (old.day, old.kind, old.note) not in wanted:
                old._history_user = by
                old.delete()
        kept = set(row.days.values_list("day", "kind", "note"))
        for line in lines:
            if (line.day, line.kind, line.note) not in kept:
                day = HolidayDay(year=row, day=line.day, kind=line.kind, note=line.note)
                day._history_user = by
                day.save()
        # Every stored deadline that could reach into this year (review registers the listeners).
        recomputed = calendar_changed(years=[year], by=by)
    return SaveResult(year=row, days=len(lines), recomputed=recomputed)


def calendar_text(*, year: HolidayYear) -> str:
    """The year's days as lines the form shows again (one per day)."""
    return "\n".join(f"{d.day:%Y-%m-%d} {d.kind} {d.note}".rstrip() for d in year.days.order_by("day"))


def missing_year_warning(*, today: date | None = None) -> str | None:
    """The dashboard's warning: this year's or (from 1 November) next year's arrangement is missing."""
    today = today or timezone.localdate()
    calendar = current_calendar()
    if not calendar.has_data(today.year):
        return f"系统中没有 {today.year} 年的节假日安排，期限按周一至周五估算。请录入国务院公布的节假日安排。"
    if today.month >= WARN_FROM_MONTH and not calendar.has_data(today.year + 1):
        return f"系统中还没有 {today.year + 1} 年的节假日安排：跨年的期限正按周一至周五估算。国务院公布后，请及时录入。"
    return None


def years_overview(*, today: date | None = None) -> list[dict]:
    """Last, this and the next two years: where each year's calendar comes from."""
    today = today or timezone.localdate()
    calendar = current_calendar()
    entered = {y.year: y for y in HolidayYear.objects.select_related("entered_by")}
    labels = {"entered": "镇民政办录入", "library": "系统内置", "fallback": "缺失（按周一至周五估算）"}
    return [
        {"year": year, "source": labels[calendar.source(year)], "row": entered.get(year)}
        for year in range(today.year - 1, today.year + 3)
    ]
