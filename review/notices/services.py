"""Written decisions (决定通知书) and complaints (申诉/复核申请): the rules (S21§32, §38; DOMAIN §2, §4).

- Which decisions need a notice: 不予纳入, 停保 and a 调整 whose approved total is
  lower than the household's previous total (减发). The district's final approval
  creates it in the same transaction (`notice_for_decision`, called by
  `review.cases.workflow`), with the reasons, the amounts and the delivery deadline.
- Deadline: a refusal within 3 working days of the decision (fixed by the rule);
  停发/减发 the same 3 working days unless the town sets a longer limit
  (`NoticeSetting.stop_days`). Every notice states the right to 行政复议 within 60
  days of learning of the decision and to 行政诉讼 within 6 months (`appeal_text`).
- Delivery goes through the town office: date, method (当面/邮寄/留置), who received
  it, an optional scanned receipt filed in the household's bag (`review.notices.hooks`).
- A household may contest a finished case (申诉/复核申请): registered with the
  town's answer deadline; a finished case is never reopened, an upheld complaint
  opens a new, questioned case linked to it (or marks the household's open case).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from households.models import Household, ReviewFlag, Town
from kanjia import roles
from kanjia.workdays import add_working_days, current_calendar, fallback_notice, missing_years
from review.dynamic.services import add_months
from review.models import Case, Complaint, DecisionNotice, DistrictApproval, NoticeSetting, Outcome, TeamVillage
from review.models.cases import FINAL_STATUSES
from review.models.notices import REFUSAL_DAYS
from review.notices.hooks import has_scan_listeners, notice_scan_received
from review.relatives.selectors import near_relative_household_ids

RECOMPUTE_REASON = "节假日安排更新，期限重新计算"
REVIEW_DAYS = 60  # 行政复议: within 60 days of learning of the decision (S21§38)
LITIGATION_MONTHS = 6  # 行政诉讼: within 6 months


# --- Who ---------------------------------------------------------------------------------


def can_manage_notices(*, user: AbstractBaseUser) -> bool:
    """The town office delivers notices and handles complaints."""
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def _require(user: AbstractBaseUser, message: str) -> None:
    if not can_manage_notices(user=user):
        raise PermissionDenied(message)


def _save(obj, by: AbstractBaseUser | None, reason: str = "") -> None:
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    obj.save()


# --- Settings and texts --------------------------------------------------------------------------


def notice_setting(*, town_id: int) -> NoticeSetting:
    """The town's setting, or the defaults (3 working days, 15 for complaints) when none is saved."""
    return NoticeSetting.objects.filter(town_id=town_id).first() or NoticeSetting(town_id=town_id)


def due_days_for(*, kind: str, setting: NoticeSetting) -> int:
    return REFUSAL_DAYS if kind == DecisionNotice.Kind.REFUSE else max(setting.stop_days, REFUSAL_DAYS)


def deadline_rule_text(*, setting: NoticeSetting) -> str:
    """The sentence the pages show about which limit applies and why."""
    stop = due_days_for(kind=DecisionNotice.Kind.STOP, setting=setting)
    own = "（本镇设置）" if stop != REFUSAL_DAYS else "（与不予纳入相同；本镇可设置更长的期限）"
    return (
        f"不予纳入：决定之日起 {REFUSAL_DAYS} 个工作日内书面通知并说明理由（S21）；"
        f"停发、减发：决定之日起 {stop} 个工作日内送达{own}。"
    )


def appeal_text(*, setting: NoticeSetting) -> str:
    """The household's remedies, printed on every notice (S21§38, DOMAIN §4)."""
    return (
        f"如对本决定不服，可以自知道该决定之日起六十日内向{setting.review_body}申请行政复议，"
        f"或者自知道该决定之日起六个月内向{setting.court}提起行政诉讼。"
    )


def notice_setting_save(
    *, town: Town, stop_days: int, complaint_days: int, review_body: str, court: str, by: AbstractBaseUser
) -> NoticeSetting:
    _require(by, "决定通知书设置由镇民政办修改。")
    errors = {}
    if not REFUSAL_DAYS <= (stop_days or 0) <= 30:
        errors["stop_days"] = f"停发、减发通知的送达期限不少于 {REFUSAL_DAYS} 个工作日（最多 30 个）。"
    if not 1 <= (complaint_days or 0) <= 60:
        errors["complaint_days"] = "申诉、复核申请的办理期限为 1 至 60 个工作日。"
    if not (review_body or "").strip():
        errors["review_body"] = "请填写行政复议机关。"
    if not (court or "").strip():
        errors["court"] = "请填写行政诉讼受理法院。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        setting = NoticeSetting.objects.select_for_update().filter(town=town).first() or NoticeSetting(town=town)
        setting.stop_days, setting.complaint_days = stop_days, complaint_days
        setting.review_body, setting.court = review_body.strip(), court.strip()
        _save(setting, by)
    return setting


# --- Creating a notice at the decision ----------------------------------------------------------


def notice_kind(*, outcome: str, previous_total: Decimal, new_total: Decimal) -> str | None:
    """The notice a decision needs, or None (维持, 新纳入 and raises need none)."""
    if outcome == Outcome.REFUSE:
        return DecisionNotice.Kind.REFUSE
    if outcome == Outcome.STOP:
        return DecisionNotice.Kind.STOP
    if outcome == Outcome.ADJUST and new_total < previous_total:
        return DecisionNotice.Kind.REDUCE
    return None


def _reasons(kind: str, approval: DistrictApproval, previous: Decimal, new: Decimal) -> str:
    month = f"{approval.effective_month:%Y年%m月}" if approval.effective_month else "下月"
    if kind == DecisionNotice.Kind.REFUSE:
        text = "经入户调查、民主评议、审核审批，你户家庭经济状况不符合城乡最低生活保障条件，决定不予纳入。"
    elif kind == DecisionNotice.Kind.STOP:
        why = ReviewFlag.Kind(approval.stop_reason).label if approval.stop_reason else "家庭情况发生变化"
        text = f"经复核，你户因“{why}”不再符合城乡最低生活保障条件，决定自{month}起停发最低生活保障金。"
    else:
        text = f"经复核，你户家庭情况发生变化，决定自{month}起月保障金由 {previous} 元调整为 {new} 元。"
    opinion = (approval.opinion or "").strip()
    return f"{text}\n审批意见：{opinion}" if opinion else text


def _due(start: date, days: int) -> tuple[date, str]:
    calendar = current_calendar()
    due = add_working_days(start=start, days=days, calendar=calendar)
    return due, fallback_notice(missing_years(start=start, end=due, calendar=calendar))


def notice_for_decision(
    *, case: Case, approval: DistrictApproval, previous_total: Decimal, by: AbstractBaseUser
) -> DecisionNotice | None:
    """Create the decision notice the district's approval owes the household (inside its transaction)."""
    new_total = approval.base_amount + approval.extra_amount
    kind = notice_kind(outcome=approval.outcome, previous_total=previous_total, new_total=new_total)
    if kind is None:
        return None
    household = Household.objects.select_related("village").get(pk=case.household_id)
    setting = notice_setting(town_id=household.village.town_id)
    days = due_days_for(kind=kind, setting=setting)
    due_on, deadline_notice = _due(approval.decided_on, days)
    notice = DecisionNotice(
        case=case,
        household=household,
        kind=kind,
        decided_on=approval.decided_on,
        reasons=_reasons(kind, approval, previous_total, new_total),
        previous_total=previous_total,
        new_total=new_total if kind != DecisionNotice.Kind.REFUSE else Decimal("0"),
        due_days=days,
        due_on=due_on,
        deadline_notice=deadline_notice,
        created_by=by,
    )
    _save(notice, by)
    return notice


def notice_edit_reasons(*, notice: DecisionNotice, reasons: str, by: AbstractBaseUser) -> DecisionNotice:
    """The town office words the reasons before delivery (every version stays in the history)."""
    _require(by, "决定通知书由镇民政办制作和送达。")
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({"reasons": "决定通知书须写明理由。"})
    with transaction.atomic():
        locked = DecisionNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.delivered:
            raise ValidationError({"reasons": "通知书已送达，不能再修改理由。"})
        if locked.reasons != reasons:
            locked.reasons = reasons
            _save(locked, by, "修改决定理由")
    return locked


def notice_deliver(
    *,
    notice: DecisionNotice,
    by: AbstractBaseUser,
    delivered_on: date,
    method: str,
    recipient: str,
    note: str = "",
    scan=None,
) -> DecisionNotice:
    """Record the delivery; a scanned receipt is filed in the household's bag in the same transaction."""
    _require(by, "决定通知书由镇民政办送达登记。")
    errors = {}
    if delivered_on is None:
        errors["delivered_on"] = "请填写送达日期。"
    elif delivered_on > timezone.localdate():
        errors["delivered_on"] = "送达日期不能晚于今天。"
    elif delivered_on < notice.decided_on:
        errors["delivered_on"] = f"送达日期不能早于决定日期（{notice.decided_on:%Y-%m-%d}）。"
    if method not in DecisionNotice.Method.values:
        errors["method"] = "请选择送达方式（当面、邮寄或留置）。"
    if not (recipient or "").strip():
        errors["recipient"] = "请填写签收人（留置送达的，填写见证人）。"
    if scan is not None and not has_scan_listeners():
        errors["scan"] = "档案模块未启用，送达回证扫描件无法归档。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = DecisionNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.delivered:
            raise ValidationError({"delivered_on": "该通知书已登记送达。"})
        locked.delivered_on, locked.method = delivered_on, method
        locked.recipient, locked.delivery_note = recipient.strip()[:50], (note or "").strip()[:300]
        locked.delivered_by = by
        if scan is not None:
            try:
                notes = notice_scan_received(notice=locked, file=scan, by=by)
            except ValidationError as error:
                raise ValidationError({"scan": error.messages}) from error
            locked.scan_note = "；".join(notes)[:200]
        _save(locked, by, "登记送达")
    return locked


# --- Complaints -------------------------------------------------------------------------------


def complaint_register(
    *,
    case: Case,
    by: AbstractBaseUser,
    kind: str,
    received_on: date,
    complainant: str,
    content: str,
) -> Complaint:
    """Register a 申诉/复核申请 against a finished case's decision; its answer is due in the town's working days."""
    _require(by, "申诉、复核申请由镇民政办登记和办理。")
    errors = {}
    if case.status != Case.Status.DONE:
        errors["__all__"] = "只能对已办结的案件提出申诉或复核申请；办理中的案件请在公示期内提出异议。"
    if kind not in Complaint.Kind.values:
        errors["kind"] = "请选择申诉或复核申请。"
    if received_on is None:
        errors["received_on"] = "请填写受理日期。"
    elif received_on > timezone.localdate():
        errors["received_on"] = "受理日期不能晚于今天。"
    if not (complainant or "").strip():
        errors["complainant"] = "请填写申请人。"
    if not (content or "").strip():
        errors["content"] = "请填写申诉、复核的请求和理由。"
    if errors:
        raise ValidationError(errors)
    household = Household.objects.select_related("village").get(pk=case.household_id)
    setting = notice_setting(town_id=household.village.town_id)
    due_on, deadline_notice = _due(received_on, setting.complaint_days)
    with transaction.atomic():
        complaint = Complaint(
            case=case,
            household=household,
            notice=DecisionNotice.objects.filter(case=case).first(),
            kind=kind,
            received_on=received_on,
            complainant=complainant.strip()[:50],
            content=content.strip(),
            registered_by=by,
            due_on=due_on,
            deadline_notice=deadline_notice,
        )
        _save(complaint, by)
    return complaint


@dataclass(frozen=True)
class Handled:
    complaint: Complaint
    follow_up: Case | None
    created: bool


def _follow_up_case(*, complaint: Complaint, by: AbstractBaseUser) -> tuple[Case, bool]:
    """The household's open case (marked questioned), or a new questioned case without a campaign."""
    household = Household.objects.select_for_update().get(pk=complaint.household_id)
    open_case = Case.objects.filter(household=household).exclude(status__in=FINAL_STATUSES).order_by("pk").first()
    if open_case is not None:
        if not open_case.has_objection:
            open_case.has_objection = True
            _save(open_case, by, f"{complaint.kind}#{complaint.pk}成立")
        return open_case, False
    team = TeamVillage.objects.filter(active=True, village_id=household.village_id).values_list("team_id", flat=True)
    case = Case(
        household=household,
        campaign=None,
        # In care: a re-check (维持/调整/停保); otherwise an application (新纳入/不予纳入).
        kind=Case.Kind.RECHECK if household.status == Household.Status.ACTIVE else Case.Kind.APPLICATION,
        team_id=team.first(),
        status=Case.Status.ACCEPTANCE,
        has_objection=True,
        is_near_relative=bool(near_relative_household_ids(among=[household.pk])),
    )
    _save(case, by, f"{complaint.kind}#{complaint.pk}成立，另案复查（原案件#{complaint.case_id}）")
    return case, True


def complaint_handle(
    *, complaint: Complaint, by: AbstractBaseUser, result: str, reply: str, handled_on: date
) -> Handled:
    """Answer a complaint. 成立: a new questioned case (the finished one is never reopened)."""
    _require(by, "申诉、复核申请由镇民政办办理。")
    errors = {}
    if result not in Complaint.Result.values:
        errors["result"] = "请选择办理结果（成立或不成立）。"
    if not (reply or "").strip():
        errors["reply"] = "请填写答复内容。"
    if handled_on is None:
        errors["handled_on"] = "请填写答复日期。"
    elif handled_on > timezone.localdate():
        errors["handled_on"] = "答复日期不能晚于今天。"
    elif handled_on < complaint.received_on:
        errors["handled_on"] = "答复日期不能早于受理日期。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if not locked.is_open:
            raise ValidationError("该申诉、复核申请已办理完毕。")
        follow_up, created = None, False
        if result == Complaint.Result.UPHELD:
            follow_up, created = _follow_up_case(complaint=locked, by=by)
        locked.result, locked.reply, locked.handled_on = result, reply.strip(), handled_on
        locked.handler, locked.follow_up_case = by, follow_up
        _save(locked, by)
    return Handled(complaint=locked, follow_up=follow_up, created=created)


def remedy_deadlines(*, notice: DecisionNotice | None) -> dict | None:
    """The household's own windows, counted from delivery (when it learnt of the decision)."""
    if notice is None or notice.delivered_on is None:
        return None
    return {
        "review_until": notice.delivered_on + timedelta(days=REVIEW_DAYS),
        "litigation_until": add_months(notice.delivered_on, LITIGATION_MONTHS),
    }


# --- The calendar changed ------------------------------------------------------------------------


def due_dates_recompute(*, years: list[int], by: AbstractBaseUser | None = None) -> int:
    """Recompute the notices' and complaints' stored deadlines that could reach into `years`."""
    low, high = date(min(years) - 1, 1, 1), date(max(years), 12, 31)
    calendar = current_calendar()
    changed = 0
    for model, start_field, days_of in (
        (DecisionNotice, "decided_on", lambda row, settings: row.due_days),
        (Complaint, "received_on", lambda row, settings: settings[row.town_id].complaint_days),
    ):
        rows = list(
            model.objects.filter(**{f"{start_field}__gte": low, f"{start_field}__lte": high}).annotate(
                town_id=F("household__village__town_id")
            )
        )
        settings = {t: notice_setting(town_id=t) for t in {r.town_id for r in rows}}
        updated = []
        for row in rows:
            start = getattr(row, start_field)
            due = add_working_days(start=start, days=days_of(row, settings), calendar=calendar)
            text = fallback_notice(missing_years(start=start, end=due, calendar=calendar))
            if (row.due_on, row.deadline_notice) != (due, text):
                row.due_on, row.deadline_notice = due, text
                updated.append(row)
        if updated:
            bulk_update_with_history(
                updated,
                model,
                ["due_on", "deadline_notice"],
                batch_size=500,
                default_user=by,
                default_change_reason=RECOMPUTE_REASON,
            )
        changed += len(updated)
    return changed
