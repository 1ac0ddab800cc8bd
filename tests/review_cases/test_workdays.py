"""Working-day arithmetic over the Chinese holiday calendar (National Day, 调休)."""

from datetime import date

import pytest

from kanjia.workdays import (
    add_working_days,
    deadline,
    fallback_notice,
    is_working_day,
    missing_years,
    working_days_between,
)

# The calendar reads the years the office entered (kanjia.models.HolidayYear).
pytestmark = pytest.mark.django_db


def test_national_day_2025_is_skipped_and_make_up_saturday_counts():
    # Tue 2025-09-30 accepted; 10-01..10-08 are holidays; Sat 10-11 is a make-up workday.
    assert add_working_days(start=date(2025, 9, 30), days=3) == date(2025, 10, 11)
    assert add_working_days(start=date(2025, 9, 30), days=1) == date(2025, 10, 9)


def test_make_up_sunday_before_national_day_2025():
    # Sun 2025-09-28 is a working day (调休); Sat 09-27 is not.
    assert is_working_day(date(2025, 9, 28))
    assert not is_working_day(date(2025, 9, 27))
    assert add_working_days(start=date(2025, 9, 26), days=1) == date(2025, 9, 28)


def test_national_day_2026_ten_day_limit():
    # Wed 2026-09-30; 10-01..10-07 off; Sat 10-10 is a make-up workday.
    assert add_working_days(start=date(2026, 9, 30), days=3) == date(2026, 10, 10)
    # 10 working days: 10-08, 09, 10(Sat), 12, 13, 14, 15, 16, 19, 20.
    assert add_working_days(start=date(2026, 9, 30), days=10) == date(2026, 10, 20)
    assert working_days_between(start=date(2026, 9, 30), end=date(2026, 10, 20)) == 10


def test_make_up_sunday_2026_09_20():
    assert is_working_day(date(2026, 9, 20))
    assert add_working_days(start=date(2026, 9, 18), days=1) == date(2026, 9, 20)


@pytest.mark.parametrize("start", [date(2025, 9, 25), date(2025, 10, 3), date(2026, 9, 19), date(2021, 5, 6)])
@pytest.mark.parametrize("days", [0, 1, 3, 10, 30, 45])
def test_between_inverts_add(start, days):
    due = add_working_days(start=start, days=days)
    assert working_days_between(start=start, end=due) == days
    assert working_days_between(start=due, end=start) == -days


def test_zero_days_is_start_and_negative_refused():
    assert add_working_days(start=date(2025, 10, 1), days=0) == date(2025, 10, 1)
    with pytest.raises(ValueError):
        add_working_days(start=date(2025, 10, 1), days=-1)


def test_year_without_data_falls_back_to_weekdays_and_says_so():
    # 2027 has no holiday data: New Year's Day (Fri 2027-01-01) is counted as a working day.
    result = deadline(start=date(2026, 12, 30), days=2)
    assert result.due == date(2027, 1, 1)
    assert result.notice == "（2027年节假日数据缺失，按周一至周五计算）"
    assert result.is_estimated
    assert missing_years(start=date(2026, 1, 1), end=date(2028, 3, 1)) == [2027, 2028]
    assert fallback_notice([2028, 2027]) == "（2027年、2028年节假日数据缺失，按周一至周五计算）"


def test_known_years_have_no_notice():
    result = deadline(start=date(2025, 9, 30), days=3)
    assert result.due == date(2025, 10, 11)
    assert result.notice == ""
    assert not result.is_estimated
