"""Chinese working days: public holidays and make-up workdays (调休).

Deadlines in the dibao procedure count working days (S21: investigation within 3
working days of acceptance, district decision within 10, overall 30/45). The
calendar comes from `chinese_calendar`, which only knows the years the State
Council has published (2004–2026 in the installed version). For a year beyond
its data we fall back to Monday–Friday and *say so*: every function that may
have guessed reports the years it guessed, and `fallback_notice` turns them
into the sentence pages show next to the date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

__all__ = [
    "Deadline",
    "add_working_days",
    "deadline",
    "fallback_notice",
    "has_calendar_data",
    "is_working_day",
    "missing_years",
    "working_days_between",
]

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def has_calendar_data(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day in mainland China; Monday–Friday for years without holiday data."""
    if has_calendar_data(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(*, start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself is not counted).

    `days=0` returns `start` unchanged. So a case accepted on 2025-09-30 with a
    3-working-day limit is due on 2025-10-11 (the National Day holiday runs to
    10-08, and Saturday 10-11 is a make-up workday).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    remaining = days
    while remaining:
        day += ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(*, start: date, end: date) -> int:
    """Working days in (start, end]; negative when `end` is before `start`.

    The inverse of `add_working_days`: `working_days_between(start=s,
    end=add_working_days(start=s, days=n)) == n`.
    """
    if end < start:
        return -working_days_between(start=end, end=start)
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if is_working_day(day):
            count += 1
    return count


def missing_years(*, start: date, end: date) -> list[int]:
    """Years between the two dates (inclusive) the holiday calendar has no data for."""
    low, high = sorted((start.year, end.year))
    return [year for year in range(low, high + 1) if not has_calendar_data(year)]


def fallback_notice(years: Iterable[int]) -> str:
    """'（2027年节假日数据缺失，按周一至周五计算）', or '' when nothing was guessed."""
    years = sorted(set(years))
    if not years:
        return ""
    return f"（{'、'.join(f'{year}年' for year in years)}节假日数据缺失，按周一至周五计算）"


@dataclass(frozen=True)
class Deadline:
    due: date
    # Non-empty when part of the span had no holiday data (Monday–Friday assumed).
    notice: str = ""

    @property
    def is_estimated(self) -> bool:
        return bool(self.notice)


def deadline(*, start: date, days: int) -> Deadline:
    """`add_working_days` plus the notice to show when the calendar had to guess."""
    due = add_working_days(start=start, days=days)
    return Deadline(due=due, notice=fallback_notice(missing_years(start=start, end=due)))
