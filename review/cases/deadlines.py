"""Stored case deadlines, recomputed when the working-day calendar changes.

A case's 办结期限 (`overall_due`, 30 or 45 working days from acceptance) and its
本环节期限 (`due_on`, see `workflow.stage_due`) are stored, so lists can sort and
filter on them. When the town office enters or changes a year of holidays
(`kanjia.holidays`), `kanjia.workdays.calendar_changed` calls
`deadlines_recompute` (registered in ReviewConfig.ready): every case accepted in
that year or the year before is computed again on the new calendar, and its
fallback notice is renewed (or cleared). Closed cases keep their recomputed
办结期限 too, so a report of late cases reads the calendar as it really was.

A stage's deadline is never later than the case's overall deadline: the
stricter rule wins (S21: the whole procedure within 30 working days).
"""

from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from kanjia.workdays import Calendar, add_working_days, current_calendar, fallback_notice, missing_years
from review.cases.workflow import OVERALL_DAYS, OVERALL_DAYS_SPECIAL, S, _phase_end, stage_due
from review.models import Acceptance, Case, CaseStep, Investigation
from review.models.cases import FINAL_STATUSES

CHANGE_REASON = "节假日安排更新，期限重新计算"


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def case_deadlines(
    case: Case, *, special: bool, stage_start: date | None, investigated: bool, calendar: Calendar
) -> tuple[date | None, date | None, str]:
    """(overall_due, due_on, deadline_notice) of an accepted case on `calendar`."""
    days = OVERALL_DAYS_SPECIAL if special else OVERALL_DAYS
    case.overall_due = add_working_days(start=case.accepted_on, days=days, calendar=calendar)
    end = case.overall_due
    due = case.due_on
    if case.status not in FINAL_STATUSES:
        if case.status == S.INVESTIGATION and investigated:
            # The visit is recorded: the stage runs to the campaign phase's end (workflow._write_investigation).
            due = _phase_end(case, case.status)
        else:
            due, _ = stage_due(case, case.status, start=stage_start or case.accepted_on, calendar=calendar)
        if due and due > case.overall_due:
            due = case.overall_due
        end = max(end, due) if due else end
    notice = fallback_notice(missing_years(start=case.accepted_on, end=end, calendar=calendar))
    return case.overall_due, due, notice


def deadlines_recompute(*, years: list[int], by: AbstractBaseUser | None = None) -> int:
    """Recompute the stored deadlines of every case accepted in `years` or the year before; returns rows changed."""
    calendar = current_calendar()
    low, high = date(min(years) - 1, 1, 1), date(max(years), 12, 31)
    entered = CaseStep.objects.filter(case=OuterRef("pk"), to_status=OuterRef("status")).order_by("-at", "-id")
    cases = (
        Case.objects.filter(accepted_on__gte=low, accepted_on__lte=high)
        .select_related("campaign")
        .annotate(stage_at=Subquery(entered.values("at")[:1]), stage_action=Subquery(entered.values("action")[:1]))
    )
    cases = list(cases)
    special = set(
        Acceptance.objects.filter(case__in=[c.pk for c in cases], special_case=True).values_list("case_id", flat=True)
    )
    investigated = dict(
        Investigation.objects.filter(case__in=[c.pk for c in cases], case__status=S.INVESTIGATION).values_list(
            "case_id", "updated_at"
        )
    )
    changed = []
    for case in cases:
        before = (case.overall_due, case.due_on, case.deadline_notice)
        start = case.accepted_on if case.stage_action == "accept" else _local_date(case.stage_at)
        saved = investigated.get(case.pk)
        recorded = saved is not None and (case.stage_at is None or saved >= case.stage_at)
        overall, due, notice = case_deadlines(
            case, special=case.pk in special, stage_start=start, investigated=recorded, calendar=calendar
        )
        case.overall_due, case.due_on, case.deadline_notice = overall, due, notice
        if (overall, due, notice) != before:
            changed.append(case)
    if changed:
        bulk_update_with_history(
            changed,
            Case,
            ["overall_due", "due_on", "deadline_notice"],
            batch_size=500,
            default_user=by,
            default_change_reason=CHANGE_REASON,
        )
    return len(changed)
