"""Campaigns (专项行动): set-up, launch, and the cases that enter the pipeline.

A launch creates one re-check case per in-scope household, assigned to the team
covering its village, in one transaction with history; launching again creates
nothing new (the campaign row is locked, existing cases are skipped and a
unique constraint backs it up). New applications use the same `Case` with kind
新申请: without a campaign, or linked to one when a missed household (漏保) is
found during it.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from households.models import Household, Town
from households.selectors import households_changeable_by, town_ids_of
from households.towns.selectors import sole_town_of
from kanjia import roles
from review.cases.workflow import S, recusal_reason, stage_due
from review.leadership.services import leadership_set
from review.models import Campaign, CampaignPhase, Case, LeadershipMember, TeamVillage
from review.models.cases import SPOT_CHECK_FLOOR
from review.relatives.selectors import near_relative_household_ids

# The seed's phases (2021): 准备 05-06→05-20, 清理实施 05-21→06-20, 抽查审批 06-21→07-20, 总结 07-21→08-20.
DEFAULT_PHASES = (
    (CampaignPhase.Kind.PREPARE, (5, 6), (5, 20)),
    (CampaignPhase.Kind.IMPLEMENT, (5, 21), (6, 20)),
    (CampaignPhase.Kind.APPROVE, (6, 21), (7, 20)),
    (CampaignPhase.Kind.SUMMARY, (7, 21), (8, 20)),
)


@dataclass(frozen=True)
class PhaseInput:
    kind: str
    starts_on: date
    ends_on: date


def default_phases(*, year: int) -> list[PhaseInput]:
    return [PhaseInput(kind, date(year, *start), date(year, *end)) for kind, start, end in DEFAULT_PHASES]


def can_manage_campaigns(*, user: AbstractBaseUser) -> bool:
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def _require_town_office(user: AbstractBaseUser, town_id: int | None = None) -> None:
    if not can_manage_campaigns(user=user):
        raise PermissionDenied("专项行动由镇民政办设置和启动。")
    if town_id is not None:
        towns = town_ids_of(user=user)
        if towns is not None and town_id not in towns:
            raise PermissionDenied("只能设置和启动本镇的专项行动。")


def _creator_town(by: AbstractBaseUser, town: Town | None) -> Town:
    """The campaign's town: given, or the one town the town office acts for."""
    town = town or sole_town_of(user=by)
    if town is None:
        raise ValidationError({"town": "请选择专项行动所属的乡镇。"})
    return town


def _check_phases(phases: list[PhaseInput]) -> None:
    errors = []
    kinds = [p.kind for p in phases]
    if len(set(kinds)) != len(kinds) or any(k not in CampaignPhase.Kind.values for k in kinds):
        errors.append("每个阶段只能设置一次。")
    for phase in phases:
        if phase.ends_on < phase.starts_on:
            errors.append(f"“{phase.kind}”阶段的结束日期早于开始日期。")
    ordered = sorted(phases, key=lambda p: p.starts_on)
    for before, after in itertools.pairwise(ordered):
        if after.starts_on <= before.ends_on:
            errors.append(f"“{before.kind}”与“{after.kind}”阶段的日期重叠。")
    if errors:
        raise ValidationError({"phases": errors})


def publicity_rounds_for(*, appraisal_required: bool) -> int:
    """第二、三榜 always; 第一榜 too when the campaign holds democratic appraisals."""
    return 3 if appraisal_required else 2


@transaction.atomic
def campaign_create(
    *,
    name: str,
    kind: str,
    scope_date: date,
    by: AbstractBaseUser,
    appraisal_required: bool = True,
    publicity_rounds: int | None = None,
    spot_check_share: Decimal = SPOT_CHECK_FLOOR,
    phases: list[PhaseInput] | None = None,
    leadership: Iterable[AbstractBaseUser] = (),
    town: Town | None = None,
) -> Campaign:
    _require_town_office(by)
    town = _creator_town(by, town)
    _require_town_office(by, town.pk)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "请填写行动名称。"
    elif Campaign.objects.filter(town=town, name=name).exists():
        errors["name"] = "本镇已有同名的专项行动。"
    if kind not in Campaign.Kind.values:
        errors["kind"] = "请选择行动类型。"
    rounds = publicity_rounds_for(appraisal_required=appraisal_required)
    if publicity_rounds is not None and publicity_rounds != rounds:
        errors["publicity_rounds"] = (
            "第二榜（镇审核结果）和第三榜（审批结果）不能取消；举行民主评议的还须第一榜（评议结果）。"
            f"本次行动{'举行' if appraisal_required else '不举行'}民主评议，应为 {rounds} 榜。"
        )
    if spot_check_share is None or not SPOT_CHECK_FLOOR <= Decimal(spot_check_share) <= Decimal("100"):
        errors["spot_check_share"] = f"区级抽查比例不得低于 {SPOT_CHECK_FLOOR:.0f}%（可以更高，最高 100%）。"
    if errors:
        raise ValidationError(errors)
    phases = phases if phases is not None else default_phases(year=scope_date.year)
    _check_phases(phases)
    campaign = Campaign(
        town=town,
        name=name,
        kind=kind,
        scope_date=scope_date,
        appraisal_required=appraisal_required,
        publicity_rounds=rounds,
        spot_check_share=spot_check_share,
        created_by=by,
    )
    campaign._history_user = by
    campaign.save()
    for phase in phases:
        row = CampaignPhase(campaign=campaign, kind=phase.kind, starts_on=phase.starts_on, ends_on=phase.ends_on)
        row._history_user = by
        row.save()
    # The leadership group starts with these people as 成员; the campaign page sets 组长 and 副组长.
    for user in leadership:
        leadership_set(campaign=campaign, user=user, role=LeadershipMember.Role.MEMBER, by=by)
    return campaign


def households_in_scope(*, campaign: Campaign) -> QuerySet[Household]:
    """The campaign's town's recipients (在保) registered as covered by the scope date."""
    return Household.objects.filter(status=Household.Status.ACTIVE, village__town_id=campaign.town_id).filter(
        Q(start_month__isnull=True) | Q(start_month__lte=campaign.scope_date)
    )


def _team_by_village() -> dict[int, int]:
    return dict(TeamVillage.objects.filter(active=True).values_list("village_id", "team_id"))


def campaign_launch(*, campaign: Campaign, by: AbstractBaseUser) -> int:
    """Create the missing re-check cases of `campaign`; returns how many were created."""
    _require_town_office(by, campaign.town_id)
    with transaction.atomic():
        # Two launches at once queue here; the second creates nothing.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        existing = Case.objects.filter(campaign=campaign).values("household_id")
        households = households_in_scope(campaign=campaign).exclude(pk__in=existing).values_list("pk", "village_id")
        teams = _team_by_village()
        near_relative = near_relative_household_ids()
        template = Case(campaign=campaign)
        due_on, notice = stage_due(template, S.ACCEPTANCE, start=timezone.localdate())
        cases = [
            Case(
                household_id=household_id,
                campaign=campaign,
                kind=Case.Kind.RECHECK,
                team_id=teams.get(village_id),
                status=S.ACCEPTANCE,
                due_on=due_on,
                deadline_notice=notice,
                is_near_relative=household_id in near_relative,
            )
            for household_id, village_id in households.iterator(chunk_size=2000)
        ]
        bulk_create_with_history(cases, Case, batch_size=1000, default_user=by)
        if campaign.launched_at is None:
            campaign.launched_at = timezone.now()
            campaign.launched_by = by
            campaign._history_user = by
            campaign.save()
    return len(cases)


def application_refusal(*, user: AbstractBaseUser, household: Household) -> str | None:
    """Why `user` may not register a new application for `household` (None: they may).

    Role, village scope and recusal; the household's own state (already covered,
    an open case) is checked when the case is created.
    """
    if roles.is_read_only(user) or not roles.has_role(user, roles.TOWN_OFFICE, roles.VILLAGE_TEAM):
        return "新申请由镇民政办或清理小组登记。"
    if not households_changeable_by(user=user).filter(pk=household.pk).exists():
        return "该户不在您负责的村(社区)范围内。"
    # The same recusal as for every step of a case (own household, near relatives, no declaration).
    return recusal_reason(case=Case(household=household), by=user)


def application_create(*, household: Household, by: AbstractBaseUser, campaign: Campaign | None = None) -> Case:
    """A new application (新申请); with `campaign`, a missed household (漏保) found during it."""
    refusal = application_refusal(user=by, household=household)
    if refusal:
        raise PermissionDenied(refusal)
    if household.status == Household.Status.ACTIVE:
        raise ValidationError("该户已在保，应通过复核办理，不能作为新申请。")
    if campaign is not None and campaign.town_id != household.village.town_id:
        raise ValidationError("该户不属于本次专项行动所在的乡镇。")
    case = Case(
        household=household,
        campaign=campaign,
        kind=Case.Kind.APPLICATION,
        team_id=_team_by_village().get(household.village_id),
        status=S.ACCEPTANCE,
        is_near_relative=bool(near_relative_household_ids(among=[household.pk])),
    )
    if campaign is not None:
        case.due_on, case.deadline_notice = stage_due(case, S.ACCEPTANCE, start=timezone.localdate())
    case._history_user = by
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise ValidationError("该户已有正在办理的申请或本次行动的案件。") from exc
    return case
