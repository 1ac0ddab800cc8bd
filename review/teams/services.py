"""Services for staff profiles and village review teams (清理小组).

Every change to a team's villages or members and the guardian grants that
follow from it happen here, in one transaction, so rows and permissions never
drift apart:

- each team owns one Django auth group; that group holds `households.view_village`
  and `households.change_village` on each village the team actively covers
  (guardian direct-FK table `households.VillageGroupObjectPermission`);
- members are in the team's group and in the 清理小组 role group.

Grants are per village and per team group, never per user or per household, so
scoping stays one join however many households there are.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from households import idcard
from households.models import Town, Village
from households.selectors import forget_scope_cache, town_ids_of
from households.towns.selectors import sole_town_of
from kanjia import roles
from review.models import Campaign, ReviewTeam, Staff, TeamMembership, TeamVillage

VILLAGE_PERMS = ("households.view_village", "households.change_village")
GROUP_PREFIX = "清理小组·"
# `team_update(campaign=KEEP)` (the default) leaves the team's campaign as it is.
KEEP = object()


def _group_name(team_name: str) -> str:
    # Prefixed so a team can never be named like a role group (镇民政办 …).
    return f"{GROUP_PREFIX}{team_name}"


def _check_dates(active_from: date | None, active_to: date | None) -> None:
    if active_from and active_to and active_to < active_from:
        raise ValidationError({"active_to": "截止日期不能早于起始日期。"})


def _check_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写小组名称。"})
    teams = ReviewTeam.objects.filter(name=name)
    groups = Group.objects.filter(name=_group_name(name))
    if exclude_pk is not None:
        teams, groups = teams.exclude(pk=exclude_pk), groups.exclude(review_team__pk=exclude_pk)
    if teams.exists() or groups.exists():
        raise ValidationError({"name": "已有同名的清理小组。"})
    return name


def _team_town(by: AbstractBaseUser, town: Town | None) -> Town:
    """The team's town: given (or its campaign's), else the one town of the office creating it."""
    if town is None:
        town = sole_town_of(user=by)
        if town is None:
            raise ValidationError({"town": "请选择小组所在的乡镇。"})
        return town
    towns = town_ids_of(user=by)
    if towns is not None and town.pk not in towns:
        raise ValidationError({"town": "只能为本镇设立清理小组。"})
    return town


def _check_campaign_town(campaign: Campaign | None, town: Town) -> None:
    if campaign is not None and campaign.town_id != town.pk:
        raise ValidationError({"campaign": "只能选择本镇的专项行动。"})


def _grant(team: ReviewTeam, village: Village) -> None:
    for perm in VILLAGE_PERMS:
        assign_perm(perm, team.group, village)


def _revoke(team: ReviewTeam, village: Village) -> None:
    for perm in VILLAGE_PERMS:
        remove_perm(perm, team.group, village)


@transaction.atomic
def team_create(
    *,
    name: str,
    by: AbstractBaseUser,
    leader: AbstractBaseUser | None = None,
    active_from: date | None = None,
    active_to: date | None = None,
    campaign: Campaign | None = None,
    town: Town | None = None,
) -> ReviewTeam:
    name = _check_name(name)
    _check_dates(active_from, active_to)
    town = _team_town(by, town or (campaign.town if campaign is not None else None))
    _check_campaign_town(campaign, town)
    group = Group.objects.create(name=_group_name(name))
    team = ReviewTeam(
        name=name, town=town, group=group, active_from=active_from, active_to=active_to, campaign=campaign
    )
    team._history_user = by
    team.save()
    if leader is not None:
        team_set_leader(team=team, leader=leader, by=by)
    return team


@transaction.atomic
def team_update(
    *,
    team: ReviewTeam,
    by: AbstractBaseUser,
    name: str,
    leader: AbstractBaseUser | None,
    active_from: date | None,
    active_to: date | None,
    campaign: Campaign | object | None = KEEP,
) -> ReviewTeam:
    name = _check_name(name, exclude_pk=team.pk)
    _check_dates(active_from, active_to)
    if name != team.name:
        team.group.name = _group_name(name)
        team.group.save(update_fields=["name"])
    team.name, team.active_from, team.active_to = name, active_from, active_to
    if campaign is not KEEP:
        _check_campaign_town(campaign, team.town)
        team.campaign = campaign
    team._history_user = by
    team.save()
    if leader is not None and leader.pk != team.leader_id:
        team_set_leader(team=team, leader=leader, by=by)
    return team


@transaction.atomic
def team_set_leader(*, team: ReviewTeam, leader: AbstractBaseUser, by: AbstractBaseUser) -> ReviewTeam:
    """Make `leader` the team's 驻村领导; a previous leader stays in the team as 驻村干部."""
    previous = team.leader_id
    if previous and previous != leader.pk:
        old = TeamMembership.objects.filter(team=team, user_id=previous, role=TeamMembership.Role.LEADER).first()
        if old is not None:
            old.role = TeamMembership.Role.CADRE
            old._history_user = by
            old.save()
    team_add_member(team=team, user=leader, role=TeamMembership.Role.LEADER, by=by)
    return team


@transaction.atomic
def team_add_member(*, team: ReviewTeam, user: AbstractBaseUser, role: str, by: AbstractBaseUser) -> TeamMembership:
    """Add `user` to the team (or change their role in it) and to the team's and the role's groups."""
    if role not in TeamMembership.Role.values:
        raise ValidationError({"role": "请选择组内职务。"})
    if not user.is_active:
        raise ValidationError({"user": "该账号已停用，不能加入小组。"})
    if roles.has_role(user, *roles.NOT_TEAM_ROLES):
        # An inspector or district officer in a team would gain change rights
        # on its villages and lose their independence.
        raise ValidationError({"user": "纪委监察、区民政局和系统管理员账号不能加入清理小组。"})
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        membership = TeamMembership(team=team, user=user, role=role)
    elif membership.role == role:
        return membership
    membership.role = role
    membership._history_user = by
    membership.save()
    _ensure_staff(user, role=role, by=by)
    user.groups.add(team.group, Group.objects.get_or_create(name=roles.VILLAGE_TEAM)[0])
    _forget_cached_roles(user)
    if role == TeamMembership.Role.LEADER and team.leader_id != user.pk:
        team.leader = user
        team._history_user = by
        team.save()
    elif role != TeamMembership.Role.LEADER and team.leader_id == user.pk:
        team.leader = None
        team._history_user = by
        team.save()
    return membership


@transaction.atomic
def team_remove_member(*, team: ReviewTeam, user: AbstractBaseUser, by: AbstractBaseUser) -> None:
    """Take `user` off the team: they lose the team's villages at once (and the role if it was their last team)."""
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        return
    membership._history_user = by
    membership.delete()
    user.groups.remove(team.group)
    if not TeamMembership.objects.filter(user=user).exists():
        user.groups.remove(*Group.objects.filter(name=roles.VILLAGE_TEAM))
    _forget_cached_roles(user)
    if team.leader_id == user.pk:
        team.leader = None
        team._history_user = by
        team.save()


@transaction.atomic
def team_assign_village(*, team: ReviewTeam, village: Village, by: AbstractBaseUser, move: bool = False) -> TeamVillage:
    """Give `village` to `team`.

    If another team covers it, `move=True` takes it from that team in the same
    transaction (both teams see the change at once); otherwise it is refused.
    """
    # Lock the village row: two concurrent assignments of one village queue up
    # here instead of one of them failing on the partial unique constraint.
    village = Village.objects.select_for_update().get(pk=village.pk)
    if team.town_id is not None and village.town_id != team.town_id:
        raise ValidationError({"village": f"{village}不属于本小组所在的乡镇。"})
    current = TeamVillage.objects.filter(village=village, active=True).select_related("team__group").first()
    if current is not None:
        if current.team_id == team.pk:
            return current
        if not move:
            raise ValidationError({"village": f"{village}已由“{current.team}”负责，请先从该小组撤出。"})
        _end(current, by=by)
    link = TeamVillage(team=team, village=village, active=True)
    link._history_user = by
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:  # pragma: no cover - only reachable if the lock above is bypassed
        raise ValidationError({"village": f"{village}已由另一个清理小组负责。"}) from exc
    _grant(team, village)
    return link


@transaction.atomic
def team_unassign_village(*, team: ReviewTeam, village: Village, by: AbstractBaseUser) -> None:
    village = Village.objects.select_for_update().get(pk=village.pk)
    if team.town_id is not None and village.town_id != team.town_id:
        raise ValidationError({"village": f"{village}不属于本小组所在的乡镇。"})
    current = TeamVillage.objects.filter(team=team, village=village, active=True).select_related("team__group").first()
    if current is not None:
        _end(current, by=by)


def _end(link: TeamVillage, *, by: AbstractBaseUser) -> None:
    link.active = False
    link.unassigned_at = timezone.now()
    link._history_user = by
    link.save()
    _revoke(link.team, link.village)


def _ensure_staff(user: AbstractBaseUser, *, role: str, by: AbstractBaseUser) -> None:
    """Every team member has a staff profile: create one from the account (unit by team role,
    post = the team role), or fill in the post of a profile that has none."""
    staff = Staff.objects.filter(user=user).first()
    if staff is None:
        unit = Staff.Unit.VILLAGE if role == TeamMembership.Role.VILLAGE_CADRE else Staff.Unit.TOWN
        staff_upsert(user=user, name=user.get_full_name() or user.get_username(), unit=unit, post=role, by=by)
    elif not staff.post:
        staff_upsert(
            user=user,
            name=staff.name,
            unit=staff.unit,
            post=role,
            phone=staff.phone,
            id_number=staff.id_number,
            by=by,
        )


def _forget_cached_roles(user: AbstractBaseUser) -> None:
    # Role names and village ids are cached on the user object for the request.
    forget_scope_cache(user=user)


@transaction.atomic
def staff_upsert(
    *,
    user: AbstractBaseUser,
    name: str,
    unit: str,
    by: AbstractBaseUser,
    post: str = "",
    phone: str = "",
    id_number: str = "",
) -> Staff:
    """Create or update the staff profile of `user`. The ID number is validated and stored normalised."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写姓名。"})
    if unit not in Staff.Unit.values:
        raise ValidationError({"unit": "请选择单位。"})
    number = ""
    if id_number and id_number.strip():
        try:
            number = idcard.parse(id_number).number
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from exc
    staff = Staff.objects.filter(user=user).first() or Staff(user=user)
    staff.name, staff.unit, staff.post, staff.phone, staff.id_number = name, unit, post.strip(), phone.strip(), number
    staff._history_user = by
    staff.save()
    return staff
