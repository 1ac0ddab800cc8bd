"""The inspector's register of problem clues (问题线索): the one write a 纪委监察 account may make.

`InspectorReadOnlyMiddleware` lets an inspector's POST through only to the
register's own views (`kanjia.middleware.INSPECTOR_WRITE_VIEWS`); these services
check the role again. An inspector registers a clue (what was found, linked to
cases, households and staff), records its handling (核实中 → 已处理 with the
measure, or 不属实) and refers it (交办) to the town office, which answers. A
concluded clue is final. Nobody names themselves in a clue: they would lose
sight of it.
"""

import re
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from archives.clues.selectors import clues_visible_to, staff_candidates_for
from archives.models import Clue
from households.models import Household, Town
from households.selectors import villages_visible_to
from households.towns.selectors import towns_visible_to
from kanjia import roles
from review.models import Case

MAX_LINKS = 200


def can_register(*, user: AbstractBaseUser) -> bool:
    return bool(user.is_authenticated and user.is_active and roles.has_role(user, *roles.INSPECTORS))


def can_answer(*, user: AbstractBaseUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and roles.has_role(user, roles.TOWN_OFFICE)
        and not roles.is_read_only(user)
    )


def _require_inspector(by: AbstractBaseUser) -> None:
    if not can_register(user=by):
        raise PermissionDenied("问题线索由纪委监察登记和办理。")


def _require_visible(clue: Clue, by: AbstractBaseUser) -> Clue:
    found = clues_visible_to(user=by).select_for_update().filter(pk=clue.pk).first()
    if found is None:
        raise PermissionDenied("您不能办理这条问题线索。")
    return found


def parse_ids(text: str) -> list[int]:
    """'12, 15 、18' → [12, 15, 18]; ValidationError for anything that is not a number."""
    parts = [p for p in re.split(r"[\s,，、;；]+", (text or "").strip()) if p]
    if any(not p.isdigit() or len(p) > 9 for p in parts):
        raise ValidationError("编号只能是数字，多个编号用逗号或空格分隔。")
    if len(parts) > MAX_LINKS:
        raise ValidationError(f"一次最多关联 {MAX_LINKS} 个编号。")
    return list(dict.fromkeys(int(p) for p in parts))


def _links(
    *, town: Town, case_ids: list[int], household_ids: list[int], staff: list, by: AbstractBaseUser, errors: dict
):
    """The clue's cases, households and staff, looked up only in the clue's town as the inspector sees it:
    another town's number reads as missing (its village and head's name would show on the clue, issue 19)."""
    villages = villages_visible_to(user=by).filter(town=town)
    cases = list(Case.objects.filter(pk__in=case_ids, household__village__in=villages))
    if len(cases) != len(set(case_ids)):
        missing = sorted(set(case_ids) - {c.pk for c in cases})
        errors["cases"] = f"{town.name}没有这些案件：{'、'.join(f'#{i}' for i in missing)}。"
    households = list(Household.objects.filter(pk__in=household_ids, village__in=villages))
    if len(households) != len(set(household_ids)):
        missing = sorted(set(household_ids) - {h.pk for h in households})
        errors["households"] = f"{town.name}没有这些低保户：{'、'.join(f'#{i}' for i in missing)}。"
    people = list(staff_candidates_for(town_ids=[town.pk]).filter(pk__in=[u.pk for u in staff]))
    if len(people) != len({u.pk for u in staff}):
        errors["staff"] = f"所选人员不在{town.name}工作。"
    if any(u.pk == by.pk for u in people):
        errors["staff"] = "不能登记涉及本人的线索，请由其他纪检人员登记。"
    return cases, households, people


def _check_text(*, found_on: date | None, source: str, title: str, description: str, errors: dict) -> None:
    if not found_on:
        errors["found_on"] = "请填写发现日期。"
    elif found_on > timezone.localdate():
        errors["found_on"] = "发现日期不能晚于今天。"
    if source not in Clue.Source.values:
        errors["source"] = "请选择线索来源。"
    if not (title or "").strip():
        errors["title"] = "请填写问题摘要。"
    if not (description or "").strip():
        errors["description"] = "请写明发现的问题。"


def _next_number(town: Town, year: int) -> str:
    Town.objects.select_for_update().get(pk=town.pk)  # numbers are taken one at a time per town
    taken = Clue.objects.filter(town=town, number__startswith=f"{year}-").count()
    return f"{year}-{taken + 1:03d}"


def _set_links(clue: Clue, cases, households, people, by) -> None:
    clue._history_user = by
    clue.cases.set(cases)
    clue.households.set(households)
    clue.staff.set(people)


def clue_create(
    *,
    by: AbstractBaseUser,
    town: Town,
    found_on: date,
    source: str,
    title: str,
    description: str,
    source_detail: str = "",
    case_ids: list[int] = (),
    household_ids: list[int] = (),
    staff: list = (),
) -> Clue:
    _require_inspector(by)
    if not towns_visible_to(user=by).filter(pk=town.pk).exists():
        raise PermissionDenied("您不能为这个乡镇登记问题线索。")
    errors: dict[str, str] = {}
    _check_text(found_on=found_on, source=source, title=title, description=description, errors=errors)
    cases, households, people = _links(
        town=town, case_ids=list(case_ids), household_ids=list(household_ids), staff=list(staff), by=by, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        clue = Clue(
            town=town,
            number=_next_number(town, found_on.year),
            found_on=found_on,
            source=source,
            source_detail=source_detail.strip()[:100],
            title=title.strip()[:100],
            description=description.strip(),
            checking_since=found_on,
            created_by=by,
        )
        clue._history_user = by
        clue.save()
        _set_links(clue, cases, households, people, by)
    return clue


def clue_update(
    *,
    clue: Clue,
    by: AbstractBaseUser,
    found_on: date,
    source: str,
    title: str,
    description: str,
    status: str,
    source_detail: str = "",
    findings: str = "",
    measure: str = "",
    concluded_on: date | None = None,
    case_ids: list[int] = (),
    household_ids: list[int] = (),
    staff: list = (),
) -> Clue:
    """Correct a clue and record its handling: 核实中, or concluded as 已处理 (with the measure) or 不属实."""
    _require_inspector(by)
    errors: dict[str, str] = {}
    _check_text(found_on=found_on, source=source, title=title, description=description, errors=errors)
    cases, households, people = _links(
        town=clue.town,
        case_ids=list(case_ids),
        household_ids=list(household_ids),
        staff=list(staff),
        by=by,
        errors=errors,
    )
    if status not in Clue.Status.values:
        errors["status"] = "请选择办理状态。"
    elif status != Clue.Status.CHECKING:
        if not concluded_on:
            errors["concluded_on"] = "办结须填写办结日期。"
        elif concluded_on > timezone.localdate() or (found_on and concluded_on < found_on):
            errors["concluded_on"] = "办结日期应在发现日期之后、今天之前。"
        if status == Clue.Status.HANDLED and not measure.strip():
            errors["measure"] = "已处理的线索须写明处理措施。"
        if status == Clue.Status.UNFOUNDED and not findings.strip():
            errors["findings"] = "认定不属实须写明核实情况。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        clue = _require_visible(clue, by)
        if not clue.is_open:
            raise ValidationError(f"该线索已于{clue.concluded_on:%Y-%m-%d}办结（{clue.status}），不能再修改。")
        clue.found_on, clue.source, clue.source_detail = found_on, source, source_detail.strip()[:100]
        clue.title, clue.description = title.strip()[:100], description.strip()
        clue.status, clue.findings, clue.measure = status, findings.strip(), measure.strip()
        clue.concluded_on = concluded_on if status != Clue.Status.CHECKING else None
        clue._history_user = by
        clue.save()
        _set_links(clue, cases, households, people, by)
    return clue


def clue_refer(*, clue: Clue, by: AbstractBaseUser, note: str, answer_due: date | None = None) -> Clue:
    """交办: the town office sees the clue from now on (except staff named in it) and answers it."""
    _require_inspector(by)
    errors: dict[str, str] = {}
    if not (note or "").strip():
        errors["note"] = "请写明交办要求。"
    if answer_due is not None and answer_due < timezone.localdate():
        errors["answer_due"] = "答复期限不能早于今天。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        clue = _require_visible(clue, by)
        if clue.referred_at is not None:
            raise ValidationError(f"该线索已于{timezone.localtime(clue.referred_at):%Y-%m-%d}交办镇民政办。")
        if not clue.is_open:
            raise ValidationError("已办结的线索不再交办。")
        clue.referred_at, clue.referred_by = timezone.now(), by
        clue.referral_note, clue.answer_due = note.strip(), answer_due
        clue._history_user = by
        clue.save()
    return clue


def clue_answer(*, clue: Clue, by: AbstractBaseUser, answer: str) -> Clue:
    """The town office's answer to a referred clue (may be revised until the inspector concludes it)."""
    if not can_answer(user=by):
        raise PermissionDenied("交办的线索由镇民政办答复。")
    if not (answer or "").strip():
        raise ValidationError({"answer": "请填写答复内容。"})
    with transaction.atomic():
        clue = _require_visible(clue, by)
        if clue.referred_at is None:
            raise PermissionDenied("该线索未交办镇民政办。")
        if not clue.is_open:
            raise ValidationError("该线索已办结，不能再答复。")
        clue.answer, clue.answered_at, clue.answered_by = answer.strip(), timezone.now(), by
        clue._history_user = by
        clue.save()
    return clue
