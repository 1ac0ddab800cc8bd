"""异议: registering and handling objections raised during a publicity round.

While an objection is open its case cannot advance (guard in `publicity.guards`).
Registering one also marks the case `has_objection`: a questioned case needs the
district's home visit (S21§20) whatever the objection's outcome, so the mark
stays after handling; the *hold* is the open objection itself.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from households.models import Household
from households.selectors import villages_changeable_by
from kanjia import roles
from publicity.models import Objection, PublicityRound
from publicity.rounds import can_manage_rounds
from review.dynamic import hooks
from review.dynamic.services import TRIGGER_DAYS
from review.models import Case, RecheckTrigger, Status


def can_register(*, user: AbstractBaseUser, round: PublicityRound) -> bool:
    """民政办, or a 清理小组 member working in the round's village (objections often reach them first)."""
    if not user.is_authenticated or roles.is_read_only(user):
        return False
    if roles.has_role(user, roles.TOWN_OFFICE):
        return True
    return (
        roles.has_role(user, roles.VILLAGE_TEAM)
        and villages_changeable_by(user=user).filter(pk=round.village_id).exists()
    )


def can_handle(*, user: AbstractBaseUser) -> bool:
    """The result (成立/不成立) and the reply are the 民政办's decision."""
    return can_manage_rounds(user=user)


def case_mark_objection(*, case: Case, by: AbstractBaseUser) -> Case:
    """Set `Case.has_objection` (with history); no write when already set."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not locked.has_objection:
        locked.has_objection = True
        locked._history_user = by
        locked._change_reason = "公示异议"
        locked.save(update_fields=["has_objection", "updated_at"])
    return locked


def objection_register(
    *,
    round: PublicityRound,
    case: Case,
    by: AbstractBaseUser,
    received_on: date,
    channel: str,
    content: str,
    anonymous: bool = False,
    objector_name: str = "",
    objector_contact: str = "",
) -> Objection:
    if not can_register(user=by, round=round):
        raise PermissionDenied("只有镇民政办或负责该村的清理小组可以登记异议。")
    errors: dict[str, str] = {}
    if round.status != PublicityRound.Status.OPEN:
        errors["case"] = "只有公示中的批次可以登记异议。"
    elif not round.entries.filter(case=case).exists():
        errors["case"] = "该户不在本批次公示名单中。"
    if received_on is None:
        errors["received_on"] = "请填写受理日期。"
    elif received_on > timezone.localdate():
        errors["received_on"] = "受理日期不能晚于今天。"
    elif round.starts_on and received_on < round.starts_on:
        errors["received_on"] = f"受理日期不能早于公示开始日期（{round.starts_on:%Y-%m-%d}）。"
    if channel not in Objection.Channel.values:
        errors["channel"] = "请选择反映方式。"
    if not (content or "").strip():
        errors["content"] = "请填写异议内容。"
    name = "" if anonymous else (objector_name or "").strip()
    if not anonymous and not name:
        errors["objector_name"] = "请填写反映人姓名，或勾选“匿名”。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        objection = Objection(
            round=round,
            case=case,
            received_on=received_on,
            channel=channel,
            anonymous=anonymous,
            objector_name=name,
            objector_contact="" if anonymous else (objector_contact or "").strip(),
            content=content.strip(),
            registered_by=by,
        )
        objection._history_user = by
        objection.save()
        case_mark_objection(case=case, by=by)
    return objection


def objection_handle(
    *,
    objection: Objection,
    by: AbstractBaseUser,
    investigation: str,
    result: str,
    reply: str,
    replied_on: date,
    investigated_on: date | None = None,
    investigators: Iterable[AbstractBaseUser] = (),
) -> Objection:
    """Record the re-investigation (who, when, what was found), the result (成立/不成立) and the
    reply; closes the objection. A rejected objection needs the re-investigation's date and people."""
    if not can_handle(user=by):
        raise PermissionDenied("异议处理结果由镇民政办作出。")
    errors: dict[str, str] = {}
    if not (investigation or "").strip():
        errors["investigation"] = "请填写调查核实情况。"
    if result not in Objection.Result.values:
        errors["result"] = "请选择处理结果（成立或不成立）。"
    if not (reply or "").strip():
        errors["reply"] = "请填写对反映人的答复。"
    investigators = list(investigators or [])
    if investigated_on is not None and investigated_on > timezone.localdate():
        errors["investigated_on"] = "核查日期不能晚于今天。"
    elif investigated_on is not None and investigated_on < objection.received_on:
        errors["investigated_on"] = "核查日期不能早于异议受理日期。"
    if result == Objection.Result.REJECTED:
        if investigated_on is None:
            errors["investigated_on"] = "异议不成立的，也须重新调查核实：请填写核查日期。"
        if not investigators:
            errors["investigators"] = "异议不成立的，也须重新调查核实：请选择核查人员。"
    if replied_on is None:
        errors["replied_on"] = "请填写答复日期。"
    elif replied_on > timezone.localdate():
        errors["replied_on"] = "答复日期不能晚于今天。"
    elif replied_on < objection.received_on:
        errors["replied_on"] = "答复日期不能早于受理日期。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Objection.objects.select_for_update().select_related("round").get(pk=objection.pk)
        if not locked.is_open:
            raise ValidationError("该异议已处理完毕。")
        if locked.round.status == PublicityRound.Status.CLOSED:
            raise ValidationError("该公示批次已结束。")
        locked.investigation, locked.result, locked.reply = investigation.strip(), result, reply.strip()
        locked.replied_on, locked.handler, locked.handled_at = replied_on, by, timezone.now()
        locked.investigated_on = investigated_on
        locked._history_user = by
        locked.save()
        locked.investigators.set(investigators)
    return locked


# --- What dynamic management reads of objections (registered in PublicityConfig.ready) ----------------


def long_term_board_triggers(*, today: date) -> list:
    """review.dynamic.hooks trigger source: objections raised against a finished case.

    Only those on the long-term board (第三榜, which lists finished cases only). Those of
    第一、二榜 were settled inside the case's own pipeline (returned on 成立); counting them
    once the case closes would open a needless second re-check.
    """
    objections = Objection.objects.filter(
        case__household__status=Household.Status.ACTIVE,
        case__status=Status.DONE,
        round__number=PublicityRound.Number.THIRD,
    ).select_related("case")
    return [
        RecheckTrigger(
            household_id=o.case.household_id,
            reason=RecheckTrigger.Reason.OBJECTION,
            source_key=f"objection:{o.pk}",
            detail=f"群众异议：{o.content}"[:300],
            occurred_on=o.received_on,
            due_on=o.received_on + timedelta(days=TRIGGER_DAYS),
        )
        for o in objections
    ]


def objection_results(*, case_ids: list[int]) -> list[tuple[int, str]]:
    """review.dynamic.hooks objection reader: (case id, upheld / rejected / open) per objection."""
    label = {Objection.Result.UPHELD: hooks.OBJECTION_UPHELD, Objection.Result.REJECTED: hooks.OBJECTION_REJECTED}
    rows = Objection.objects.filter(case_id__in=case_ids).values_list("case_id", "result")
    return [(case_id, label.get(result, hooks.OBJECTION_OPEN)) for case_id, result in rows]
