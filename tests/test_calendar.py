"""Issue 15: the working-day calendar the town office keeps current, and the deadlines stored on it."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from households.models import Household
from kanjia import holidays
from kanjia.models import HolidayDay, HolidayYear
from kanjia.workdays import add_working_days, current_calendar, has_calendar_data, is_working_day
from review.cases import campaigns
from review.cases.workflow import case_advance, stage_due
from review.models import Case, Status
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import acceptance_data, crew  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEAR_2027 = "2027-01-01至2027-01-03 休 元旦"
NOTICE_2027 = "国务院办公厅关于2027年部分节假日安排的通知"


def at(day: date, hour: int = 10):
    """The clock at `hour` o'clock (Beijing time) on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def enter(year: int, text: str, by) -> holidays.SaveResult:
    return holidays.holiday_year_save(
        year=year, source=f"国务院办公厅关于{year}年部分节假日安排的通知", text=text, by=by
    )


def _application(village, crew, town_officer, *, accepted_on: date) -> Case:  # noqa: F811
    household = HouseholdFactory(village=village, status=Household.Status.APPLYING, base_amount=Decimal("0"))
    MemberFactory(household=household)
    case = campaigns.application_create(household=household, by=town_officer)
    data = acceptance_data(applied_on=accepted_on, accepted_on=accepted_on, promise_signed_on=accepted_on)
    data["authorization_signed_on"] = accepted_on
    return case_advance(case=case, action="accept", by=crew.cadre, data=data)


def test_the_2027_holidays_move_a_stored_deadline(crew, village_a, town_officer):  # noqa: F811
    """Controlled clock: a case accepted on 2026-12-28, then the office enters 2027's New Year holiday."""
    with at(date(2026, 12, 28)):
        case = _application(village_a, crew, town_officer, accepted_on=date(2026, 12, 28))
        # chinese-calendar ends with 2026: 2027 is counted Monday–Friday, and the case says so.
        assert not has_calendar_data(2027)
        assert case.overall_due == date(2027, 2, 8)
        assert "2027年节假日数据缺失" in case.deadline_notice
        investigation_due = case.due_on
        assert investigation_due == date(2026, 12, 31)

    with at(date(2026, 12, 29)):
        result = enter(2027, NEW_YEAR_2027, town_officer)
        assert (result.days, result.recomputed) == (3, 1)

    case = Case.objects.get(pk=case.pk)
    # Friday 2027-01-01 is a holiday now: the 30th working day is one day later, and nothing is estimated.
    assert case.overall_due == date(2027, 2, 9)
    assert case.deadline_notice == ""
    assert case.due_on == investigation_due
    latest = case.history.latest()
    assert latest.history_change_reason == "节假日安排更新，期限重新计算" and latest.history_user == town_officer

    # A case accepted on the same day after the calendar was entered gets the new deadline at once.
    with at(date(2026, 12, 30)):
        later = _application(village_a, crew, town_officer, accepted_on=date(2026, 12, 28))
    assert (later.overall_due, later.deadline_notice) == (date(2027, 2, 9), "")


def test_changing_an_entered_year_recomputes_again(crew, village_a, town_officer):  # noqa: F811
    with at(date(2026, 12, 28)):
        enter(2027, NEW_YEAR_2027, town_officer)
        case = _application(village_a, crew, town_officer, accepted_on=date(2026, 12, 28))
    assert case.overall_due == date(2027, 2, 9)
    with at(date(2026, 12, 29)):
        # The notice adds a make-up Saturday on 2027-01-09 … (a test arrangement).
        enter(2027, NEW_YEAR_2027 + "\n2027-01-09 班 元旦调休上班", town_officer)
    assert Case.objects.get(pk=case.pk).overall_due == date(2027, 2, 8)
    assert HolidayYear.objects.get().history.count() == 2


def test_another_process_sees_a_year_entered_elsewhere(town_officer):
    """Per-process caching: the calendar is keyed by a version read from the database."""
    assert add_working_days(start=date(2027, 4, 30), days=1) == date(2027, 5, 3)
    # Another process (the web) enters the year; this one (say, the Celery worker) has it cached.
    year = HolidayYear.objects.create(year=2027, source=NOTICE_2027, entered_by=town_officer)
    for day in (3, 4, 5):
        HolidayDay.objects.create(year=year, day=date(2027, 5, day), kind=HolidayDay.Kind.HOLIDAY, note="劳动节")
    assert add_working_days(start=date(2027, 4, 30), days=1) == date(2027, 5, 6)
    assert current_calendar().source(2027) == "entered"


def test_an_entered_year_replaces_the_library(town_officer):
    # The library: Saturday 2026-10-10 is a make-up workday after National Day.
    assert is_working_day(date(2026, 10, 10))
    enter(2026, "2026-10-01至2026-10-07 休 国庆节", town_officer)
    assert not is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 7)) and is_working_day(date(2026, 10, 8))


def test_bad_lines_are_refused_all_together_and_nothing_is_saved(town_officer):
    text = "\n".join(
        [
            "2027-01-01 休 元旦",
            "2027-01-04 班 周一不是调休",
            "2026-12-31 休 上一年",
            "元旦放假三天",
            "2027-02-30 休 不存在",
        ]
    )
    with pytest.raises(ValidationError) as refused:
        enter(2027, text, town_officer)
    messages = refused.value.message_dict["days"]
    assert [m.split("行")[0] for m in messages] == ["第 2 ", "第 3 ", "第 4 ", "第 5 "]
    assert "本来就是工作日" in messages[0] and "不在 2027 年" in messages[1]
    assert not HolidayYear.objects.exists() and not HolidayDay.objects.exists()


def test_only_the_town_office_enters_a_year(client, personas):
    for name in ("district_officer", "inspector", "team_member_a", "outsider"):
        with pytest.raises(PermissionDenied):
            enter(2027, NEW_YEAR_2027, personas[name])
    data = {"year": 2027, "source": NOTICE_2027, "days": NEW_YEAR_2027}
    client.force_login(personas["district_officer"])
    assert client.get(reverse("calendar")).status_code == 200
    assert client.post(reverse("calendar"), data).status_code == 403
    client.force_login(personas["team_member_a"])
    assert client.get(reverse("calendar")).status_code == 403
    client.force_login(personas["town_officer"])
    response = client.post(reverse("calendar"), data)
    assert response.status_code == 302 and HolidayDay.objects.count() == 3
    page = client.get(reverse("calendar")).content.decode()
    assert "镇民政办录入" in page and NOTICE_2027 in page


def test_the_page_shows_errors_next_to_the_days(client, town_officer):
    client.force_login(town_officer)
    response = client.post(reverse("calendar"), {"year": 2027, "source": NOTICE_2027, "days": "2027-01-04 班 错"})
    assert response.status_code == 400 and "本来就是工作日" in response.content.decode()


def test_the_dashboard_warns_from_1_november_when_next_year_is_missing(client, town_officer, team_member_a):
    with at(date(2026, 10, 31)):
        client.force_login(town_officer)
        assert holidays.missing_year_warning() is None
        assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
    with at(date(2026, 11, 1)):
        client.force_login(town_officer)
        warning = holidays.missing_year_warning()
        assert "2027" in warning
        page = client.get("/").content.decode()
        assert 'data-testid="calendar-warning"' in page and reverse("calendar") in page
        client.force_login(team_member_a)
        assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()
        enter(2027, NEW_YEAR_2027, town_officer)
        assert holidays.missing_year_warning() is None
    # Without any data for the current year, the warning stands whatever the month.
    with at(date(2028, 3, 1)):
        assert "2028" in holidays.missing_year_warning()


# --- Issue 17's point: a stage deadline never after the overall deadline -----------------------------


def test_a_stage_deadline_is_never_later_than_the_overall_deadline(crew, village_a, town_officer):  # noqa: F811
    with at(date(2026, 12, 28)):
        case = _application(village_a, crew, town_officer, accepted_on=date(2026, 12, 28))
    # 区审批 entered on 2027-02-01: ten working days (02-15) would end after 办结期限 (02-08).
    due, notice = stage_due(case, Status.DISTRICT_APPROVAL, start=date(2027, 2, 1))
    assert due == case.overall_due == date(2027, 2, 8)
    assert "2027年节假日数据缺失" in notice
    # Earlier in the case the stage's own limit stands.
    assert stage_due(case, Status.DISTRICT_APPROVAL, start=date(2027, 1, 4))[0] == date(2027, 1, 18)


def test_the_case_page_says_which_deadline_wins(client, crew, village_a, town_officer):  # noqa: F811
    with at(date(2026, 12, 28)):
        case = _application(village_a, crew, town_officer, accepted_on=date(2026, 12, 28))
    Case.objects.filter(pk=case.pk).update(due_on=case.overall_due)
    client.force_login(town_officer)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "本环节期限不晚于办结期限" in page


# --- The 45-day special case needs a reason ---------------------------------------------------------


def test_the_special_case_needs_a_reason_shown_on_the_case_and_in_the_anomaly_report(
    client,
    crew,  # noqa: F811
    village_a,
    town_officer,
    inspector,
):
    household = HouseholdFactory(village=village_a, status=Household.Status.APPLYING, base_amount=Decimal("0"))
    MemberFactory(household=household)
    case = campaigns.application_create(household=household, by=town_officer)
    from review.cases.workflow import TransitionInvalid

    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data(special_case=True))
    assert "须说明特殊情况的理由" in refused.value.text
    reason = "户主住院，家庭成员在外地务工，核对结果需外省协查"
    data = acceptance_data(special_case=True, special_case_reason=reason)
    case = case_advance(case=case, action="accept", by=crew.cadre, data=data)
    client.force_login(town_officer)
    assert reason in client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    client.force_login(inspector)
    report = client.get(reverse("audit:anomaly", args=["special-cases"])).content.decode()
    assert reason in report and f"#{case.pk}" in report
