"""The nine key-review flags (重点复核对象, DOMAIN §5): detection, manual flags, disposition.

Categories 1–8 are found in household data by `detect` (pure, no queries), each
with a sentence saying why. `evaluate_flags` raises the missing ones; a flag is
identified by (household, kind, source_key), so running it again raises nothing
new. A flag whose cause has gone stays open until someone disposes of it with a
note: the system never closes a review question on its own.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from households.benefit import Computation, benefit_for
from households.models import Asset, Household, IncomeItem, Member, ReviewFlag
from households.selectors import can_change_village

Kind = ReviewFlag.Kind
VEHICLES = {Asset.Kind.CAR, Asset.Kind.TRUCK, Asset.Kind.BUS}
PREMISES = {Asset.Kind.SHOP, Asset.Kind.GARAGE, Asset.Kind.WAREHOUSE}


@dataclass(frozen=True)
class Finding:
    kind: int
    source_key: str
    reason: str
    member: Member | None = None


def _member_findings(members: Iterable[Member]) -> list[Finding]:
    found = []
    for m in members:
        if m.died_on:
            found.append(Finding(Kind.DECEASED, f"member:{m.pk}", f"成员{m.name}已于{m.died_on:%Y-%m-%d}死亡。", m))
        if m.pays_provident_fund:
            found.append(Finding(Kind.PROVIDENT_FUND, f"member:{m.pk}", f"成员{m.name}正在缴纳住房公积金。", m))
        if m.moved_out_on:
            found.append(
                Finding(Kind.MOVED, f"member:{m.pk}:moved", f"成员{m.name}已于{m.moved_out_on:%Y-%m-%d}迁出。", m)
            )
        if m.employment == Member.Employment.GRADUATE_EMPLOYED:
            found.append(Finding(Kind.MOVED, f"member:{m.pk}:employed", f"成员{m.name}毕业后已就业。", m))
    return found


def _income_findings(incomes: Iterable[IncomeItem], names: dict[int, Member]) -> list[Finding]:
    found = []
    for item in incomes:
        member = names.get(item.member_id)
        who = f"成员{member.name}" if member else "家庭"
        amount = f"{item.monthly_amount} 元/月"
        # Drawing a pension raises category 2 whether or not it is counted as income: counting
        # is a separate question. The excluded 城乡居民基础养老金 (BASIC_PENSION) is not a pension here.
        if item.kind == IncomeItem.Kind.PENSION:
            counted = "" if item.counted else "（登记为不计入家庭收入）"
            found.append(Finding(Kind.PENSION, f"income:{item.pk}", f"{who}领取养老金 {amount}{counted}。", member))
        elif item.kind == IncomeItem.Kind.UNEMPLOYMENT:
            found.append(Finding(Kind.UNEMPLOYMENT, f"income:{item.pk}", f"{who}领取失业保险金 {amount}。", member))
    return found


def _asset_findings(assets: Iterable[Asset]) -> list[Finding]:
    found, homes = [], 0
    for a in assets:
        what = f"{a.kind}{a.quantity}处" if a.kind in PREMISES else f"{a.kind}{a.quantity}辆"
        detail = f"（{a.description}）" if a.description else ""
        if a.kind in VEHICLES:
            found.append(Finding(Kind.VEHICLE, f"asset:{a.pk}", f"家庭登记有{what}{detail}。"))
        elif a.kind in PREMISES:
            found.append(Finding(Kind.PROPERTY, f"asset:{a.pk}", f"家庭登记有{what}{detail}。"))
        elif a.kind == Asset.Kind.HOME:
            homes += a.quantity
    if homes >= 2:
        found.append(Finding(Kind.PROPERTY, "homes", f"家庭登记有住房 {homes} 套（2 套及以上）。"))
    return found


def detect(
    *,
    members: Iterable[Member],
    incomes: Iterable[IncomeItem],
    assets: Iterable[Asset],
    computation: Computation,
) -> list[Finding]:
    members = list(members)
    found = _member_findings(members)
    found += _income_findings(incomes, {m.pk: m for m in members})
    found += _asset_findings(assets)
    standard = computation.standard
    if standard is not None and computation.members and computation.per_capita >= standard.monthly_amount:
        found.append(
            Finding(
                Kind.INCOME,
                "income",
                f"家庭月人均收入 {computation.per_capita} 元，达到或超过保障标准 {standard.monthly_amount} 元。",
            )
        )
    return found


@transaction.atomic
def evaluate_flags(*, household: Household, by: AbstractBaseUser | None, month: date | None = None) -> list[ReviewFlag]:
    """Raise the automatic flags the household's data calls for; return the new ones."""
    household = (
        Household.objects.select_related("village", "category")
        .prefetch_related("members", "incomes", "assets")
        .get(pk=household.pk)
    )
    computation = benefit_for(household=household, month=month)
    findings = detect(
        members=household.members.all(),
        incomes=household.incomes.all(),
        assets=household.assets.all(),
        computation=computation,
    )
    existing = set(household.flags.values_list("kind", "source_key"))
    raised = []
    for f in findings:
        if (f.kind, f.source_key) in existing:
            continue
        flag = ReviewFlag(
            household=household,
            member=f.member,
            kind=f.kind,
            source=ReviewFlag.Source.AUTO,
            source_key=f.source_key,
            reason=f.reason,
            raised_by=by,
        )
        flag._history_user = by
        flag.save()
        existing.add((f.kind, f.source_key))
        raised.append(flag)
    return raised


def may_raise_flag(*, user: AbstractBaseUser, village_id: int) -> bool:
    """The one rule for raising a key-review flag by hand or from a roster: the user may change the
    household's village (the town office: every village; a team: its own; district and inspectors: none)."""
    return can_change_village(user=user, village_id=village_id)


def raise_manual_flag(*, household: Household, kind: int, reason: str, by: AbstractBaseUser) -> ReviewFlag:
    if not may_raise_flag(user=by, village_id=household.village_id):
        raise PermissionDenied("您只能查阅此户，没有登记重点复核标记的权限。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写登记原因。"})
    if kind not in Kind.values:
        raise ValidationError({"kind": "请选择复核类别。"})
    flag = ReviewFlag(
        household=household,
        kind=kind,
        source=ReviewFlag.Source.MANUAL,
        source_key=f"manual:{uuid.uuid4().hex[:16]}",
        reason=reason[:300],
        raised_by=by,
    )
    flag._history_user = by
    flag.save()
    return flag


@transaction.atomic
def dispose_flag(*, flag: ReviewFlag, disposition: str, note: str, by: AbstractBaseUser) -> ReviewFlag:
    """Record the outcome of checking a flag: who, when, what and why (note required)."""
    note = (note or "").strip()
    errors = {}
    if disposition not in ReviewFlag.Disposition.values or disposition == ReviewFlag.Disposition.PENDING:
        errors["disposition"] = "请选择处理结论（核实无误、需调整或需退出）。"
    if not note:
        errors["note"] = "请填写核实说明（核实了什么、依据是什么）。"
    if errors:
        raise ValidationError(errors)
    flag = ReviewFlag.objects.select_for_update().get(pk=flag.pk)
    flag.disposition = disposition
    flag.note = note
    flag.disposed_by = by
    flag.disposed_at = timezone.now()
    flag._history_user = by
    flag.save()
    return flag
