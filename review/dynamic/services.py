"""Dynamic management (动态管理): re-check rhythm, triggered re-checks, 定期核查 cases, 渐退期.

- Rhythm (S21§30–31): each in-care household is classified from its members and
  income as 基本稳定 (elderly, severely disabled or seriously ill, no working-age
  earner) or 不稳定 (members able to work, or wage/business income); the town's
  `RecheckRule` rows turn that (and optionally the area) into "every N months".
  The next due date is N months after the last finished re-check (or the start
  of care). Rules are data: S21's yearly / half-yearly rows are active by
  default, S12's monthly (urban) / quarterly (rural) rows are seeded inactive
  for the town to switch on.
- Triggers: a member's death (to be processed within 3 months, N22), a new
  roster-match flag, an objection to a closed case (the long-term board), a
  change the family reports. Each is recorded once (unique source key).
- `create_due_rechecks` (the daily beat task) opens one 定期核查 case per
  household and period (month) for the team covering its village; running it
  twice creates nothing new (unique (household, period), checked and enforced).
- 渐退期 (S21§33): after a stop because work income lifted the household over
  the standard, payment may continue for at most 6 months; the end month is
  stored and shown; the task closes grace periods whose end month has passed.
"""

import calendar
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from households.benefit import supplement_changes
from households.models import Household, IncomeItem, Member, ReviewFlag, Town
from households.selectors import households_changeable_by
from kanjia import roles
from review.dynamic.hooks import registered_triggers
from review.models import (
    Case,
    DistrictApproval,
    GracePeriod,
    HouseholdRhythm,
    Outcome,
    PeriodicRecheck,
    RecheckRule,
    RecheckTrigger,
    Situation,
    Status,
    TeamVillage,
)
from review.models.cases import FINAL_STATUSES
from review.models.dynamic import GRACE_MONTHS_MAX
from review.relatives.selectors import near_relative_household_ids

ELDERLY_AGE = 60
WORKING_AGE_FROM = 16
# A death must be processed within 3 months (N22); other triggers within a month.
DEATH_MONTHS = 3
TRIGGER_DAYS = 30
EARNED_INCOME = (IncomeItem.Kind.WAGE, IncomeItem.Kind.BUSINESS)
RECHECK_KINDS = (Case.Kind.RECHECK, Case.Kind.PERIODIC)
RHYTHM_FIELDS = ["rule", "situation", "interval_months", "reason", "last_checked_on", "next_due"]

# (situation, area, months, label, basis, active)
DEFAULT_RULES = (
    (Situation.STABLE, "", 12, "年度核查", "S21第30条：基本稳定的家庭每年核查一次", True),
    (Situation.UNSTABLE, "", 6, "半年核查", "S21第31条：收入不稳定或有劳动能力的每半年核查一次", True),
    (Situation.UNSTABLE, "城市", 1, "城市按月核查", "S12：城市收入不稳定、有劳动能力的按月核查", False),
    (Situation.UNSTABLE, "农村", 3, "农村按季核查", "S12：农村收入不稳定、有劳动能力的按季核查", False),
)


# --- Dates ---------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day: 08-31 + 6 → 02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- Rules ---------------------------------------------------------------------------


def can_manage_dynamic(*, user: AbstractBaseUser) -> bool:
    """Dynamic management is the town office's (民政办) work."""
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def _require_town_office(user: AbstractBaseUser, message: str = "动态管理由镇民政办办理。") -> None:
    if not can_manage_dynamic(user=user):
        raise PermissionDenied(message)


def ensure_default_rules(*, town: Town) -> list[RecheckRule]:
    """Seed the town's rhythm rows once (idempotent); existing rows are left as the town set them."""
    existing = {(r.situation, r.area): r for r in RecheckRule.objects.filter(town=town)}
    missing = [
        RecheckRule(
            town=town, situation=situation, area=area, interval_months=months, label=label, basis=basis, active=active
        )
        for situation, area, months, label, basis, active in DEFAULT_RULES
        if (situation, area) not in existing
    ]
    if missing:
        try:
            with transaction.atomic():
                bulk_create_with_history(missing, RecheckRule)
        except IntegrityError:
            pass  # Seeded at the same moment by another run.
    return list(RecheckRule.objects.filter(town=town))


def rule_update(*, rule: RecheckRule, interval_months: int, active: bool, by: AbstractBaseUser) -> RecheckRule:
    _require_town_office(by, "核查周期由镇民政办设置。")
    if not 1 <= int(interval_months or 0) <= 12:
        raise ValidationError({"interval_months": "核查周期为 1 至 12 个月。"})
    rule.interval_months = int(interval_months)
    rule.active = bool(active)
    rule._history_user = by
    rule.save()
    return rule


def pick_rule(rules: Iterable[RecheckRule], *, situation: str, area: str) -> RecheckRule | None:
    """The active row for the situation: the household's area first, then the any-area row."""
    candidates = [r for r in rules if r.active and r.situation == situation and r.area in (area, "")]
    candidates.sort(key=lambda r: (r.area == "", r.pk or 0))
    return candidates[0] if candidates else None


# --- Classification (pure) -----------------------------------------------------------


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def classify(*, members: Iterable[Member], incomes: Iterable[IncomeItem], today: date) -> tuple[str, str]:
    """(situation, why) from co-resident members and earned income in force today."""
    residents = [
        m
        for m in members
        if not (m.died_on and m.died_on <= today) and not (m.moved_out_on and m.moved_out_on <= today)
    ]
    resident_ids = {m.pk for m in residents}
    able, elderly, disabled, ill = [], 0, 0, 0
    for m in residents:
        age = _age(m.birth_date, today)
        severe = bool(m.disability) and (m.disability_grade or 9) <= 2
        serious = m.health == Member.Health.SERIOUS
        elderly += age >= ELDERLY_AGE
        disabled += severe
        ill += serious
        if (
            WORKING_AGE_FROM <= age < ELDERLY_AGE
            and m.work_capacity != Member.WorkCapacity.NONE
            and not m.is_student
            and not severe
            and not serious
        ):
            able.append(m.name)
    earned = [
        i
        for i in incomes
        if i.kind in EARNED_INCOME
        and i.counted
        and (i.member_id is None or i.member_id in resident_ids)
        and (i.period_start is None or i.period_start <= today)
        and (i.period_end is None or i.period_end >= today)
    ]
    if able or earned:
        why = []
        if able:
            why.append(f"有劳动能力成员：{'、'.join(able[:5])}")
        if earned:
            why.append(f"有工资性或经营性收入 {len(earned)} 项")
        return Situation.UNSTABLE, "；".join(why)
    if not residents:
        return Situation.STABLE, "无共同生活成员（须核实是否应停保）"
    parts = [f"{label}{n}人" for label, n in (("老年人", elderly), ("重度残疾", disabled), ("重病", ill)) if n]
    return Situation.STABLE, "无劳动年龄收入者" + (f"（{'、'.join(parts)}）" if parts else "")


# --- Rhythm assignment --------------------------------------------------------------


@dataclass
class RhythmResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _last_checks(household_ids: list[int]) -> dict[int, date]:
    rows = (
        Case.objects.filter(household_id__in=household_ids, kind__in=RECHECK_KINDS, status=Status.DONE)
        .values("household_id")
        .annotate(last=Max("closed_at"))
        .values_list("household_id", "last")
    )
    return {hid: timezone.localtime(last).date() for hid, last in rows if last}


def assign_rhythms(*, today: date | None = None, household_ids: Iterable[int] | None = None) -> RhythmResult:
    """(Re)assign every in-care household's rhythm and next due date; unchanged rows are not written."""
    today = _today(today)
    households = Household.objects.filter(status=Household.Status.ACTIVE).select_related("village")
    if household_ids is not None:
        households = households.filter(pk__in=list(household_ids))
    rules_by_town: dict[int, list[RecheckRule]] = {}
    result = RhythmResult()
    ids = list(households.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        batch = list(households.filter(pk__in=chunk).prefetch_related("members", "incomes").order_by("pk"))
        last = _last_checks(chunk)
        current = {r.household_id: r for r in HouseholdRhythm.objects.filter(household_id__in=chunk)}
        to_create, to_update = [], []
        for household in batch:
            town_id = household.village.town_id
            if town_id not in rules_by_town:
                rules_by_town[town_id] = ensure_default_rules(town=household.village.town)
            situation, why = classify(members=household.members.all(), incomes=household.incomes.all(), today=today)
            rule = pick_rule(rules_by_town[town_id], situation=situation, area=household.area)
            months = rule.interval_months if rule else (12 if situation == Situation.STABLE else 6)
            checked = last.get(household.pk)
            base = checked or household.start_month or timezone.localtime(household.created_at).date()
            values = {
                "rule_id": rule.pk if rule else None,
                "situation": situation,
                "interval_months": months,
                "reason": why[:300],
                "last_checked_on": checked,
                "next_due": add_months(base, months),
            }
            row = current.get(household.pk)
            if row is None:
                to_create.append(HouseholdRhythm(household=household, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                to_update.append(row)
            else:
                result.unchanged += 1
        if to_create or to_update:
            with transaction.atomic():
                if to_create:
                    bulk_create_with_history(to_create, HouseholdRhythm, batch_size=1000)
                if to_update:
                    bulk_update_with_history(to_update, HouseholdRhythm, RHYTHM_FIELDS, batch_size=1000)
        result.created += len(to_create)
        result.updated += len(to_update)
    return result


# --- Triggers ----------------------------------------------------------------------


def _new_triggers(rows: list[RecheckTrigger]) -> int:
    """Insert the triggers not recorded yet (by their unique source key)."""
    if not rows:
        return 0
    keys = {(r.household_id, r.reason, r.source_key) for r in rows}
    existing = set(
        RecheckTrigger.objects.filter(
            household_id__in={k[0] for k in keys}, source_key__in={k[2] for k in keys}
        ).values_list("household_id", "reason", "source_key")
    )
    fresh = [r for r in rows if (r.household_id, r.reason, r.source_key) not in existing]
    if fresh:
        try:
            with transaction.atomic():
                bulk_create_with_history(fresh, RecheckTrigger, batch_size=1000)
        except IntegrityError:
            return 0  # A concurrent run recorded them; the next run sees them.
    return len(fresh)


def collect_triggers(*, today: date | None = None) -> int:
    """Record deaths, pending roster flags and registered triggers (objections to finished cases)."""
    today = _today(today)
    active = Q(household__status=Household.Status.ACTIVE)
    rows: list[RecheckTrigger] = []
    for m in Member.objects.filter(active, died_on__isnull=False, died_on__lte=today).only(
        "pk", "household_id", "name", "died_on"
    ):
        rows.append(
            RecheckTrigger(
                household_id=m.household_id,
                reason=RecheckTrigger.Reason.DEATH,
                source_key=f"member:{m.pk}",
                detail=f"成员{m.name}于{m.died_on:%Y-%m-%d}死亡，须在3个月内办理。",
                occurred_on=m.died_on,
                due_on=add_months(m.died_on, DEATH_MONTHS),
            )
        )
    flags = ReviewFlag.objects.filter(
        active, source=ReviewFlag.Source.ROSTER, disposition=ReviewFlag.Disposition.PENDING
    ).only("pk", "household_id", "reason", "raised_at")
    for f in flags:
        raised = timezone.localtime(f.raised_at).date()
        rows.append(
            RecheckTrigger(
                household_id=f.household_id,
                reason=RecheckTrigger.Reason.FLAG,
                source_key=f"flag:{f.pk}",
                detail=f"名单比对：{f.reason}"[:300],
                occurred_on=raised,
                due_on=raised + timedelta(days=TRIGGER_DAYS),
            )
        )
    # 分类施保 qualification that changed by itself (a birthday, a new disability grade, a
    # category's criteria): the paid supplement differs from the per-person sum. The payment
    # changes only through the decision of the re-check that follows (调整; a cut is a 减发).
    for change in supplement_changes(month=today):
        rows.append(
            RecheckTrigger(
                household_id=change.household_id,
                reason=RecheckTrigger.Reason.SUPPLEMENT,
                source_key=f"supplement:{change.computed}",
                detail=f"分类施保金现发 {change.paid} 元，按成员条件计算为 {change.computed} 元，须复核决定。",
                occurred_on=today,
                due_on=today + timedelta(days=TRIGGER_DAYS),
            )
        )
    # Triggers of later apps (publicity: objections on the long-term board), see review.dynamic.hooks.
    rows.extend(registered_triggers(today=today))
    return _new_triggers(rows)


def require_change_reporter(*, user: AbstractBaseUser, household: Household) -> None:
    """民政办, or the 清理小组 that may change the household's village; raises PermissionDenied."""
    if roles.is_read_only(user) or not roles.has_role(user, roles.TOWN_OFFICE, roles.VILLAGE_TEAM):
        raise PermissionDenied("家庭情况变化由镇民政办或清理小组登记。")
    if not households_changeable_by(user=user).filter(pk=household.pk).exists():
        raise PermissionDenied("该户不在您负责的村(社区)范围内。")


def report_change(*, household: Household, detail: str, occurred_on: date, by: AbstractBaseUser) -> RecheckTrigger:
    """A change the family (or the village) reports: the next daily run opens a re-check for it."""
    require_change_reporter(user=by, household=household)
    errors = {}
    detail = (detail or "").strip()
    if not detail:
        errors["detail"] = "请填写变化情况。"
    if occurred_on is None:
        errors["occurred_on"] = "请填写发生日期。"
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = "发生日期不能晚于今天。"
    if household.status != Household.Status.ACTIVE:
        errors["detail"] = "该户不在保，无需核查。"
    if errors:
        raise ValidationError(errors)
    trigger = RecheckTrigger(
        household=household,
        reason=RecheckTrigger.Reason.CHANGE,
        source_key=f"report:{uuid.uuid4().hex[:16]}",
        detail=detail[:300],
        occurred_on=occurred_on,
        due_on=timezone.localdate() + timedelta(days=TRIGGER_DAYS),
        created_by=by,
    )
    trigger._history_user = by
    trigger.save()
    return trigger


# --- The periodic cases ---------------------------------------------------------------


@dataclass
class RecheckRun:
    period: date
    created: int = 0
    attached: int = 0
    already: int = 0
    busy: int = 0
    case_ids: list[int] = field(default_factory=list)


def _team_by_village() -> dict[int, int]:
    return dict(TeamVillage.objects.filter(active=True).values_list("village_id", "team_id"))


def _reasons(rhythm: HouseholdRhythm | None, triggers: list[RecheckTrigger], due_now: bool) -> str:
    parts = [f"定期核查（每{rhythm.interval_months}个月）"] if rhythm is not None and due_now else []
    parts += [t.reason for t in triggers]
    return "；".join(dict.fromkeys(parts))[:300]


def _mark_questioned(recheck_ids: set[int]) -> None:
    """An objection trigger joining an open 定期核查 case makes that case questioned (with history)."""
    if not recheck_ids:
        return
    cases = list(
        Case.objects.select_for_update()
        .filter(periodic__pk__in=recheck_ids, has_objection=False)
        .exclude(status__in=FINAL_STATUSES)
    )
    for case in cases:
        case.has_objection = True
        case._change_reason = "长期公示异议"
        case.save(update_fields=["has_objection", "updated_at"])


def create_due_rechecks(*, today: date | None = None) -> RecheckRun:
    """Open the 定期核查 cases due this month (idempotent: at most one per household and period).

    Due: the rhythm's next date falls in or before this month, or a trigger is waiting.
    A household already in an open case is left alone (its open case is the re-check);
    a trigger waiting on such a household is attached when that case is a periodic one.
    """
    today = _today(today)
    period = month_start(today)
    run = RecheckRun(period=period)
    with transaction.atomic():
        active = Household.objects.filter(status=Household.Status.ACTIVE)
        due_ids = set(
            HouseholdRhythm.objects.filter(household__in=active, next_due__lte=month_end(today)).values_list(
                "household_id", flat=True
            )
        )
        waiting = list(RecheckTrigger.objects.filter(recheck__isnull=True, household__in=active))
        by_household: dict[int, list[RecheckTrigger]] = {}
        for t in waiting:
            by_household.setdefault(t.household_id, []).append(t)
        candidates = due_ids | set(by_household)
        if not candidates:
            return run
        done_this_period = dict(
            PeriodicRecheck.objects.filter(household_id__in=candidates, period=period).values_list("household_id", "pk")
        )
        open_cases = set(
            Case.objects.filter(household_id__in=candidates)
            .exclude(status__in=FINAL_STATUSES)
            .values_list("household_id", flat=True)
        )
        open_periodic = dict(
            PeriodicRecheck.objects.filter(household_id__in=open_cases)
            .exclude(case__status__in=FINAL_STATUSES)
            .values_list("household_id", "pk")
        )
        to_attach: list[RecheckTrigger] = []
        new_ids = []
        for hid in sorted(candidates):
            if hid in open_periodic:
                # Its open 定期核查 case handles the new triggers too.
                run.already += 1
                for t in by_household.get(hid, []):
                    t.recheck_id = open_periodic[hid]
                    to_attach.append(t)
            elif hid in done_this_period:
                run.already += 1  # Finished this month: waiting triggers go to next month's case.
            elif hid in open_cases:
                run.busy += 1  # In a campaign case or an application: that case is the re-check.
            else:
                new_ids.append(hid)
        if to_attach:
            bulk_update_with_history(to_attach, RecheckTrigger, ["recheck"], batch_size=1000)
            run.attached += len(to_attach)
            _mark_questioned({t.recheck_id for t in to_attach if t.reason == RecheckTrigger.Reason.OBJECTION})
        if not new_ids:
            return run
        rhythms = {r.household_id: r for r in HouseholdRhythm.objects.filter(household_id__in=new_ids)}
        villages = dict(Household.objects.filter(pk__in=new_ids).values_list("pk", "village_id"))
        teams = _team_by_village()
        near_relative = near_relative_household_ids()
        cases, rechecks = [], []
        for hid in new_ids:
            triggers = by_household.get(hid, [])
            dues = [t.due_on for t in triggers] + ([month_end(today)] if hid in due_ids else [])
            due_on = min(dues)
            rhythm = rhythms.get(hid)
            team_id = teams.get(villages[hid])
            case = Case(
                household_id=hid,
                kind=Case.Kind.PERIODIC,
                team_id=team_id,
                status=Status.ACCEPTANCE,
                due_on=due_on,
                deadline_notice="定期核查期限",
                is_near_relative=hid in near_relative,
                # Opened by an objection (long-term board): questioned, exactly like a case with an
                # objection — the district must visit, and spot checks take it at 100 %.
                has_objection=any(t.reason == RecheckTrigger.Reason.OBJECTION for t in triggers),
            )
            cases.append(case)
            rechecks.append(
                PeriodicRecheck(
                    household_id=hid,
                    period=period,
                    team_id=team_id,
                    due_on=due_on,
                    reasons=_reasons(rhythm, triggers, hid in due_ids) or "定期核查",
                )
            )
        try:
            with transaction.atomic():
                # Two runs at once: the second fails on a unique constraint (open case or
                # household+period) and creates nothing; tomorrow's run finds the cases.
                created = bulk_create_with_history(cases, Case, batch_size=1000)
                for recheck, case in zip(rechecks, created, strict=True):
                    recheck.case_id = case.pk
                made = bulk_create_with_history(rechecks, PeriodicRecheck, batch_size=1000)
                recheck_of = {r.household_id: r.pk for r in made}
                attach = [t for hid in new_ids for t in by_household.get(hid, [])]
                for t in attach:
                    t.recheck_id = recheck_of[t.household_id]
                if attach:
                    bulk_update_with_history(attach, RecheckTrigger, ["recheck"], batch_size=1000)
        except IntegrityError:
            return run
        run.created = len(made)
        run.attached += len(attach)
        run.case_ids = [c.pk for c in created]
    return run


# --- 渐退期 ----------------------------------------------------------------------------


def grace_end_month(*, start_month: date, months: int) -> date:
    return add_months(month_start(start_month), months - 1)


def grace_eligible(*, case: Case) -> str | None:
    """Why `case` cannot start a grace period, or None."""
    if case.status != Status.DONE or case.outcome != Outcome.STOP:
        return "只有已办结的停保案件可以设置渐退期。"
    if case.stop_reason != ReviewFlag.Kind.INCOME:
        return "渐退期仅适用于因务工等收入超过保障标准而停保的家庭。"
    return None


def _previous_total(household: Household) -> Decimal:
    """The household's monthly total before it was stopped (the newest historical row paying anything)."""
    row = (
        household.history.filter(Q(base_amount__gt=0) | Q(extra_amount__gt=0))
        .order_by("-history_date")
        .values_list("base_amount", "extra_amount")
        .first()
    )
    return (row[0] + row[1]) if row else Decimal("0")


def grace_default_amount(*, case: Case) -> Decimal:
    return _previous_total(case.household)


def grace_start(
    *,
    case: Case,
    months: int,
    by: AbstractBaseUser,
    monthly_amount: Decimal | None = None,
    start_month: date | None = None,
    note: str = "",
) -> GracePeriod:
    """Keep paying for `months` (1–6) from the month the stop takes effect."""
    _require_town_office(by, "渐退期由镇民政办设置。")
    errors: dict[str, str] = {}
    reason = grace_eligible(case=case)
    if reason:
        errors["case"] = reason
    try:
        months = int(months)
    except (TypeError, ValueError):
        months = 0
    if not 1 <= months <= GRACE_MONTHS_MAX:
        errors["months"] = f"渐退期为 1 至 {GRACE_MONTHS_MAX} 个月。"
    amount = monthly_amount if monthly_amount is not None else grace_default_amount(case=case)
    if amount < 0:
        errors["monthly_amount"] = "金额不能为负数。"
    if errors:
        raise ValidationError(errors)
    # From the month the stop takes effect (the district's 执行起始年月), unless given.
    effective = DistrictApproval.objects.filter(case=case).values_list("effective_month", flat=True).first()
    start = month_start(start_month or effective or timezone.localdate())
    grace = GracePeriod(
        household_id=case.household_id,
        case=case,
        start_month=start,
        months=months,
        end_month=grace_end_month(start_month=start, months=months),
        monthly_amount=amount,
        note=(note or "").strip()[:300],
        created_by=by,
    )
    grace._history_user = by
    try:
        with transaction.atomic():
            grace.save()
    except IntegrityError as exc:
        raise ValidationError({"case": "该停保案件已设置渐退期。"}) from exc
    return grace


def grace_in_force(*, month: date) -> Q:
    """GracePeriod rows paying in `month`."""
    month = month_start(month)
    return Q(start_month__lte=month, end_month__gte=month) & (Q(ended_on__isnull=True) | Q(ended_on__gte=month))


def end_grace_periods(*, today: date | None = None) -> int:
    """Close the grace periods whose end month is over (idempotent)."""
    today = _today(today)
    finished = list(GracePeriod.objects.filter(ended_on__isnull=True, end_month__lt=month_start(today)))
    for grace in finished:
        grace.ended_on = month_end(grace.end_month)
    if finished:
        bulk_update_with_history(finished, GracePeriod, ["ended_on"], batch_size=1000)
    return len(finished)


# --- The daily run -----------------------------------------------------------------------


def run_daily(*, today: date | None = None) -> dict:
    """What the beat task does every day; every step is idempotent."""
    today = _today(today)
    triggers = collect_triggers(today=today)
    rhythm = assign_rhythms(today=today)
    run = create_due_rechecks(today=today)
    ended = end_grace_periods(today=today)
    return {
        "triggers": triggers,
        "rhythm_created": rhythm.created,
        "rhythm_updated": rhythm.updated,
        "cases_created": run.created,
        "triggers_attached": run.attached,
        "grace_ended": ended,
    }
