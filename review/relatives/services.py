"""Near relatives (近亲属): declarations, matching against the registry, recusal, the register.

Every staff user keeps a declaration of close relatives (or an explicit "无").
Declared ID numbers are matched against the current members of applicant and
recipient households (申请中/在保); each match creates or updates one
`RelativeFiling` (近亲属备案) and marks the household's open cases
`is_near_relative`, which makes the district's home visit mandatory
(`review.cases.workflow` REQUIREMENTS["home_visit"]).

Matching runs:
- from `declare` / `declare_none` (the declarant's relatives, in the same transaction);
- for households whose members or status changed through the registry's services, a
  ledger import, the synthetic generator or a final approval: `households.hooks`
  calls `relatives_rematch_households` (registered in `ReviewConfig.ready()`, because
  `households` may not import `review`);
- periodically and on demand: `relatives_rematch_all` (task `review.relatives_rematch_all`),
  the safety net for writes that bypass the services (the admin, rosters).

Cases opened later (a campaign launch, a new application, a 定期核查) start marked
when their household already has a filing (`relative_selectors.near_relative_household_ids`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from households import idcard
from households.models import Household, Member
from kanjia import roles
from review.models import Case, DeclarationStatus, Relation, RelativeDeclaration, RelativeFiling, Staff
from review.models.cases import FINAL_STATUSES

__all__ = [
    "GATE_MESSAGE",
    "MatchResult",
    "RelativeIn",
    "declaration_gate",
    "declare",
    "declare_none",
    "filing_create",
    "filing_report",
    "filing_verify",
    "has_declaration",
    "relative_recusal",
    "relatives_match",
    "relatives_rematch_all",
    "relatives_rematch_households",
]

MATCHED_STATUSES = (Household.Status.APPLYING, Household.Status.ACTIVE)
GATE_MESSAGE = "您尚未填写近亲属申报，须先填写近亲属申报（导航栏“近亲属申报”）后才能办理案件。"


@dataclass(frozen=True)
class RelativeIn:
    relation: str
    name: str
    id_number: str
    address: str = ""


@dataclass
class MatchResult:
    created: int = 0
    updated: int = 0
    cases_marked: int = 0


# --- Reads used by the gate ----------------------------------------------------------------


def has_declaration(*, user: AbstractBaseUser) -> bool:
    """On file: a status row, and either relatives listed or an explicit "无"."""
    return DeclarationStatus.objects.filter(
        Q(declared_none_on__isnull=False) | Q(user__relative_declarations__isnull=False), user=user
    ).exists()


# --- Declarations -------------------------------------------------------------------------


def _clean(relatives: list[RelativeIn]) -> list[RelativeIn]:
    errors: list[str] = []
    cleaned: list[RelativeIn] = []
    seen: set[str] = set()
    for n, item in enumerate(relatives, start=1):
        name = (item.name or "").strip()
        if not name:
            errors.append(f"第{n}位近亲属：请填写姓名。")
        if item.relation not in Relation.values:
            errors.append(f"第{n}位近亲属：请选择关系。")
        try:
            number = idcard.parse(item.id_number).number
        except ValidationError as exc:
            errors.append(f"第{n}位近亲属（{name}）：{'；'.join(exc.messages)}")
            continue
        if number in seen:
            errors.append(f"第{n}位近亲属（{name}）：身份证号码与前面重复。")
        seen.add(number)
        cleaned.append(RelativeIn(item.relation, name, number, (item.address or "").strip()[:200]))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _may_declare(*, user: AbstractBaseUser, by: AbstractBaseUser) -> None:
    # One declares for oneself; the town office may record a paper declaration for someone.
    if by.pk != user.pk and not roles.has_role(by, roles.TOWN_OFFICE):
        raise PermissionDenied("只能填写本人的近亲属申报。")
    if roles.is_read_only(by) and by.pk != user.pk:
        raise PermissionDenied("您的账号为只读账号。")


def _touch_status(*, user: AbstractBaseUser, none: bool, by: AbstractBaseUser) -> DeclarationStatus:
    status = DeclarationStatus.objects.select_for_update().filter(user=user).first() or DeclarationStatus(user=user)
    status.last_declared_at = timezone.now()
    status.declared_none_on = timezone.localdate() if none else None
    status._history_user = by
    status.save()
    return status


@transaction.atomic
def declare(*, user: AbstractBaseUser, relatives: list[RelativeIn], by: AbstractBaseUser) -> MatchResult:
    """Replace `user`'s list of close relatives (matched by ID number: kept rows keep their history)."""
    _may_declare(user=user, by=by)
    if not relatives:
        raise ValidationError("请至少填写一位近亲属；如无近亲属享受低保，请申报“无”。")
    cleaned = _clean(relatives)
    existing = {d.id_number: d for d in RelativeDeclaration.objects.select_for_update().filter(user=user)}
    wanted = {r.id_number for r in cleaned}
    for number, row in existing.items():
        if number not in wanted:
            row._history_user = by
            row.delete()
    for item in cleaned:
        row = existing.get(item.id_number) or RelativeDeclaration(user=user, id_number=item.id_number)
        if row.pk and (row.relation, row.name, row.address) == (item.relation, item.name, item.address):
            continue
        row.relation, row.name, row.address = item.relation, item.name, item.address
        row._history_user = by
        row.save()
    _touch_status(user=user, none=False, by=by)
    return relatives_match(user_ids=[user.pk], by=by)


@transaction.atomic
def declare_none(*, user: AbstractBaseUser, by: AbstractBaseUser) -> DeclarationStatus:
    """The explicit "无近亲属享受低保" with today's date; removes any relatives listed before."""
    _may_declare(user=user, by=by)
    for row in RelativeDeclaration.objects.select_for_update().filter(user=user):
        row._history_user = by
        row.delete()
    return _touch_status(user=user, none=True, by=by)


# --- Matching ---------------------------------------------------------------------------------


def _aid_type(household: Household) -> str:
    kind = "城市低保" if household.area == "城市" else "农村低保"
    return f"{kind}（{household.category.name}）" if household.category_id else kind


def relatives_match(
    *,
    user_ids: Iterable[int] | None = None,
    household_ids: Iterable[int] | None = None,
    by: AbstractBaseUser | None,
) -> MatchResult:
    """Match declared relatives against current members of applicant/recipient households.

    One statement finds every (declaration, household) pair: a person is a
    current member of at most one household (unique constraint on members), so
    each declaration carries that household as a subquery. Filings are created
    or updated (status untouched) and open cases of the households are marked.
    """
    holders = Member.objects.filter(
        id_number=OuterRef("id_number"), moved_out_on__isnull=True, household__status__in=MATCHED_STATUSES
    )
    if household_ids is not None:
        household_ids = list(household_ids)
        holders = holders.filter(household_id__in=household_ids)
    declarations = RelativeDeclaration.objects.annotate(
        matched_household=Subquery(holders.values("household_id")[:1])
    ).filter(matched_household__isnull=False)
    if user_ids is not None:
        declarations = declarations.filter(user_id__in=list(user_ids))
    pairs = list(declarations.select_related("user"))
    result = MatchResult()
    if not pairs:
        return result
    with transaction.atomic():
        households = Household.objects.select_related("village", "category").in_bulk(
            {d.matched_household for d in pairs}
        )
        staff = {s.user_id: s for s in Staff.objects.filter(user_id__in={d.user_id for d in pairs})}
        filings = {
            (f.declaration_id, f.household_id): f
            for f in RelativeFiling.objects.select_for_update().filter(
                declaration__in=[d.pk for d in pairs], household_id__in=list(households)
            )
        }
        for declaration in pairs:
            household = households[declaration.matched_household]
            filing = filings.get((declaration.pk, household.pk))
            if _fill(filing or RelativeFiling(), declaration, household, staff.get(declaration.user_id), by):
                if filing is None:
                    result.created += 1
                else:
                    result.updated += 1
        result.cases_marked = _mark_cases(household_ids={d.matched_household for d in pairs}, by=by)
    return result


def _fill(
    filing: RelativeFiling, declaration: RelativeDeclaration, household: Household, staff: Staff | None, by
) -> bool:
    """Copy the current facts onto the filing; save (with history) only if something changed."""
    user = declaration.user
    values = {
        "declaration_id": declaration.pk,
        "user_id": user.pk,
        "staff_name": staff.name if staff else (user.get_full_name() or user.username),
        "unit": staff.unit if staff else "",
        "post": staff.post if staff else "",
        "relative_name": declaration.name,
        "relation": declaration.relation,
        "relative_id_number": declaration.id_number,
        "household_id": household.pk,
        "village_id": household.village_id,
        "aid_type": _aid_type(household),
        "monthly_amount": household.base_amount + household.extra_amount,
        "start_month": household.start_month,
    }
    if filing.pk and all(getattr(filing, k) == v for k, v in values.items()):
        return False
    for name, value in values.items():
        setattr(filing, name, value)
    if filing.pk is None:
        filing.source = RelativeFiling.Source.AUTO
    filing._history_user = by
    filing.save()
    return True


def _mark_cases(*, household_ids: Iterable[int], by: AbstractBaseUser | None) -> int:
    cases = Case.objects.select_for_update().filter(household_id__in=list(household_ids), is_near_relative=False)
    count = 0
    for case in cases.exclude(status__in=FINAL_STATUSES):
        case.is_near_relative = True
        case._history_user = by
        case._change_reason = "近亲属备案：该户有工作人员申报的近亲属"
        case.save(update_fields=["is_near_relative", "updated_at"])
        count += 1
    return count


def relatives_rematch_households(*, household_ids: Iterable[int], by: AbstractBaseUser | None) -> MatchResult:
    """For member edits and imports: match every declaration against these households."""
    ids = list(household_ids)
    return relatives_match(household_ids=ids, by=by) if ids else MatchResult()


def relatives_rematch_all(*, by: AbstractBaseUser | None = None) -> MatchResult:
    return relatives_match(by=by)


@shared_task(name="review.relatives_rematch_all")
def relatives_rematch_all_task() -> dict:
    result = relatives_rematch_all()
    return {"created": result.created, "updated": result.updated, "cases_marked": result.cases_marked}


# --- Trigger: registry changes (registered with households.hooks in ReviewConfig.ready) ------


def on_households_changed(*, household_ids: frozenset[int] | None, by: AbstractBaseUser | None) -> None:
    """Rematch after a household, member or import change (called after commit).

    The nightly `review.relatives_rematch_all` beat task remains the safety net
    for anything that writes without going through the households services.
    """
    if household_ids is None:
        relatives_rematch_all(by=by)
    else:
        relatives_rematch_households(household_ids=household_ids, by=by)


# --- Gate and recusal (registered with review.cases.workflow in ReviewConfig.ready) ---------------


def gate_enabled() -> bool:
    # On in production (settings.RELATIVES_DECLARATION_REQUIRED); `check --deploy`
    # warns while it is off (review.W001).
    return bool(getattr(settings, "RELATIVES_DECLARATION_REQUIRED", True))


def declaration_gate(*, case: Case, by: AbstractBaseUser) -> str | None:
    """Nobody acts on a case without a declaration on file."""
    if not gate_enabled():
        return None
    return None if has_declaration(user=by) else GATE_MESSAGE


@checks.register(checks.Tags.security, deploy=True)
def check_gate(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if gate_enabled():
        return []
    return [
        checks.Warning(
            "RELATIVES_DECLARATION_REQUIRED is off: staff can act on cases without a near-relatives declaration.",
            hint="Set RELATIVES_DECLARATION_REQUIRED = True in settings.",
            id="review.W001",
        )
    ]


def relative_recusal(*, case: Case, by: AbstractBaseUser) -> str | None:
    """A staff member stays out of a case whose household holds their declared relative."""
    current = Member.objects.filter(household_id=case.household_id, moved_out_on__isnull=True).values("id_number")
    found = RelativeDeclaration.objects.filter(user=by, id_number__in=current).values_list("relation", "name").first()
    if found:
        relation, name = found
        return f"该户家庭成员{name}是您申报的近亲属（{relation}），按规定您须回避，不能办理本案。"
    return None


# --- The register: hand-made entries and status changes ---------------------------------------


def _require(by: AbstractBaseUser, *names: str, what: str) -> None:
    if roles.is_read_only(by) or not roles.has_role(by, *names):
        raise PermissionDenied(f"{what}须由{'或'.join(names)}办理。")


@transaction.atomic
def filing_create(
    *,
    user: AbstractBaseUser,
    household: Household,
    relative: RelativeIn,
    by: AbstractBaseUser,
    note: str = "",
) -> RelativeFiling:
    """A hand-made entry (e.g. from a paper declaration); the relative need not be a registered member."""
    _require(by, roles.TOWN_OFFICE, what="手工登记近亲属备案")
    item = _clean([relative])[0]
    staff = Staff.objects.filter(user=user).first()
    declaration = RelativeDeclaration.objects.filter(user=user, id_number=item.id_number).first()
    if declaration and RelativeFiling.objects.filter(declaration=declaration, household=household).exists():
        raise ValidationError("该近亲属与该户的备案已存在。")
    filing = RelativeFiling(
        declaration=declaration,
        user=user,
        staff_name=staff.name if staff else (user.get_full_name() or user.username),
        unit=staff.unit if staff else "",
        post=staff.post if staff else "",
        relative_name=item.name,
        relation=item.relation,
        relative_id_number=item.id_number,
        household=household,
        village_id=household.village_id,
        aid_type=_aid_type(household),
        monthly_amount=household.base_amount + household.extra_amount,
        start_month=household.start_month,
        source=RelativeFiling.Source.MANUAL,
        note=note.strip()[:300],
    )
    filing._history_user = by
    filing.save()
    _mark_cases(household_ids=[household.pk], by=by)
    return filing


@transaction.atomic
def filing_report(*, filing: RelativeFiling, reported_on: date, by: AbstractBaseUser) -> RelativeFiling:
    """待报备 → 已报区民政局 (the town office sends the 备案表 to the district)."""
    _require(by, roles.TOWN_OFFICE, what="报区民政局备案")
    filing = RelativeFiling.objects.select_for_update().get(pk=filing.pk)
    if filing.status != RelativeFiling.Status.PENDING:
        raise ValidationError(f"该备案当前为“{filing.status}”，不能再报送。")
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": "报送日期不能晚于今天。"})
    filing.status, filing.reported_on = RelativeFiling.Status.REPORTED, reported_on
    filing._history_user = by
    filing.save()
    return filing


@transaction.atomic
def filing_verify(*, filing: RelativeFiling, verified_on: date, note: str, by: AbstractBaseUser) -> RelativeFiling:
    """已报区民政局 → 已核查 (the district has checked the household)."""
    _require(by, roles.DISTRICT, what="近亲属备案核查")
    filing = RelativeFiling.objects.select_for_update().get(pk=filing.pk)
    if filing.status != RelativeFiling.Status.REPORTED:
        raise ValidationError(f"该备案当前为“{filing.status}”，须先报区民政局。")
    errors = {}
    if not (note or "").strip():
        errors["note"] = "请填写核查情况。"
    if verified_on > timezone.localdate():
        errors["verified_on"] = "核查日期不能晚于今天。"
    elif filing.reported_on and verified_on < filing.reported_on:
        errors["verified_on"] = "核查日期不能早于报送日期。"
    if errors:
        raise ValidationError(errors)
    filing.status, filing.verified_on, filing.verified_note = RelativeFiling.Status.VERIFIED, verified_on, note.strip()
    filing._history_user = by
    filing.save()
    return filing
