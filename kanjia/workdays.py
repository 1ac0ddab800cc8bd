"""Chinese working days: public holidays and make-up workdays (调休).

Deadlines in the dibao procedure count working days (S21: investigation within 3
working days of acceptance, district decision within 10, overall 30/45). The
calendar comes from two places:

- years the town office entered (`kanjia.models.HolidayYear`, the page at
  /calendar/, pasted from the State Council's notice each November or December):
  such a year is complete, it replaces the library for that year;
- otherwise `chinese_calendar`, which only knows the years published when it was
  released (2004–2026 in 1.11.0).

For a year in neither we fall back to Monday–Friday and *say so*: every function
that may have guessed reports the years it guessed, and `fallback_notice` turns
them into the sentence pages show next to the date.

Caching: the entered years are read once per top-level call and kept per
process, keyed by a version read from the database (row count and last update
of the years), so a year entered in one process (the web) is seen by every other
(other web workers, the Celery worker) at its next call. When a year is entered
or changed, `kanjia.holidays` tells the listeners registered with
`on_calendar_changed` (review: stored deadlines are recomputed).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

__all__ = [
    "Calendar",
    "Deadline",
    "add_working_days",
    "calendar_changed",
    "current_calendar",
    "deadline",
    "fallback_notice",
    "has_calendar_data",
    "is_working_day",
    "missing_years",
    "on_calendar_changed",
    "working_days_between",
]

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def library_has_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class Calendar:
    """The working-day calendar at one moment: entered years first, then the library."""

    # year → (holidays, make-up workdays) for the years the office entered.
    entered: dict[int, tuple[frozenset[date], frozenset[date]]] = field(default_factory=dict)

    def has_data(self, year: int) -> bool:
        return year in self.entered or library_has_year(year)

    def source(self, year: int) -> str:
        if year in self.entered:
            return "entered"
        return "library" if library_has_year(year) else "fallback"

    def is_working_day(self, day: date) -> bool:
        entered = self.entered.get(day.year)
        if entered is not None:
            holidays, workdays = entered
            if day in holidays:
                return False
            return day in workdays or day.weekday() < 5
        if library_has_year(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5


_cache: dict = {"version": None, "calendar": Calendar()}


def _version():
    from django.db.models import Count, Max

    from kanjia.models import HolidayYear

    found = HolidayYear.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return found["n"], found["last"]


def current_calendar() -> Calendar:
    """The calendar with the entered years as the database holds them now (one query; reloads on change)."""
    version = _version()
    if version != _cache["version"]:
        from kanjia.models import HolidayDay, HolidayYear

        entered: dict[int, tuple[set[date], set[date]]] = {
            year: (set(), set()) for year in HolidayYear.objects.values_list("year", flat=True)
        }
        for year, day, kind in HolidayDay.objects.values_list("year__year", "day", "kind"):
            entered[year][0 if kind == HolidayDay.Kind.HOLIDAY else 1].add(day)
        _cache["calendar"] = Calendar({y: (frozenset(h), frozenset(w)) for y, (h, w) in entered.items()})
        _cache["version"] = version
    return _cache["calendar"]


def has_calendar_data(year: int, *, calendar: Calendar | None = None) -> bool:
    """Whether `year`'s holidays are known (entered by the office, or in the library)."""
    return (calendar or current_calendar()).has_data(year)


def is_working_day(day: date, *, calendar: Calendar | None = None) -> bool:
    """A working day in mainland China; Monday–Friday for years without holiday data."""
    return (calendar or current_calendar()).is_working_day(day)


def add_working_days(*, start: date, days: int, calendar: Calendar | None = None) -> date:
    """The `days`-th working day after `start` (`start` itself is not counted).

    `days=0` returns `start` unchanged. So a case accepted on 2025-09-30 with a
    3-working-day limit is due on 2025-10-11 (the National Day holiday runs to
    10-08, and Saturday 10-11 is a make-up workday).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    calendar = calendar or current_calendar()
    day = start
    remaining = days
    while remaining:
        day += ONE_DAY
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def working_days_between(*, start: date, end: date, calendar: Calendar | None = None) -> int:
    """Working days in (start, end]; negative when `end` is before `start`.

    The inverse of `add_working_days`: `working_days_between(start=s,
    end=add_working_days(start=s, days=n)) == n`.
    """
    calendar = calendar or current_calendar()
    if end < start:
        return -working_days_between(start=end, end=start, calendar=calendar)
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if calendar.is_working_day(day):
            count += 1
    return count


def missing_years(*, start: date, end: date, calendar: Calendar | None = None) -> list[int]:
    """Years between the two dates (inclusive) the holiday calendar has no data for."""
    calendar = calendar or current_calendar()
    low, high = sorted((start.year, end.year))
    return [year for year in range(low, high + 1) if not calendar.has_data(year)]


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


def deadline(*, start: date, days: int, calendar: Calendar | None = None) -> Deadline:
    """`add_working_days` plus the notice to show when the calendar had to guess."""
    calendar = calendar or current_calendar()
    due = add_working_days(start=start, days=days, calendar=calendar)
    return Deadline(due=due, notice=fallback_notice(missing_years(start=start, end=due, calendar=calendar)))


# --- Listeners: who recomputes stored deadlines when a year is entered or changed ----------

# listener(*, years: list[int], by) -> int (rows it changed)
CalendarListener = Callable[..., int]
_listeners: list[CalendarListener] = []


def on_calendar_changed(listener: CalendarListener) -> CalendarListener:
    """Register a listener (idempotent); review registers its deadline recomputation."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def calendar_changed(*, years: list[int], by) -> int:
    """Tell every listener that these years changed; returns how many stored rows they changed."""
    return sum(listener(years=years, by=by) for listener in list(_listeners))
