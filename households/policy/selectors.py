"""Reads for the town office's rules pages: standards, categories, property rules.

These are town-wide settings, not village data: the town-wide roles (镇民政办,
区民政局, 纪委监察) read them, only the town office changes them.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from households.benefit import standard_in_force, supplement_changes
from households.models import Area, Category, Household, MemberCategory, PropertyRule, Standard, Town
from households.selectors import households_visible_to, towns_visible_to
from kanjia import roles
from kanjia.xlsx import SheetSpec, write_xlsx

User = AbstractBaseUser | AnonymousUser


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_view_policy(*, user: User) -> bool:
    return roles.reads_whole_town(user)


def can_change_policy(*, user: User) -> bool:
    return _active(user) and roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user)


@dataclass
class StandardRow:
    standard: Standard
    state: str  # "现行" (in force today), "待执行" (future), "已停止执行" (superseded)

    @property
    def editable(self) -> bool:
        return self.state == "待执行"


@dataclass
class StandardSection:
    """The standards of one town and area, newest effective date first."""

    town: Town
    area: str
    rows: list[StandardRow] = field(default_factory=list)

    @property
    def current(self) -> Standard | None:
        return next((r.standard for r in self.rows if r.state == "现行"), None)


def policy_towns(*, user: User) -> QuerySet[Town]:
    """The towns whose standards, categories and rules the user reads (and, as their town office,
    sets): per town (issue 19); the district reads every town's."""
    return towns_visible_to(user=user).order_by("code")


def standard_sections(*, today: date, towns: QuerySet[Town] | None = None) -> list[StandardSection]:
    """Every town × area (also those with no standard yet), 2 queries."""
    towns = Town.objects.all() if towns is None else towns
    standards = list(
        Standard.objects.filter(town__in=towns).select_related("town").order_by("town_id", "area", "-effective_from")
    )
    sections = []
    for town in towns.order_by("code"):
        for area in Area.values:
            own = [s for s in standards if s.town_id == town.pk and s.area == area]
            current = standard_in_force(own, town_id=town.pk, area=area, month=today)
            section = StandardSection(town=town, area=area)
            for s in own:
                if s.effective_from > today:
                    state = "待执行"
                elif current is not None and s.pk == current.pk:
                    state = "现行"
                else:
                    state = "已停止执行"
                section.rows.append(StandardRow(standard=s, state=state))
            sections.append(section)
    return sections


def category_list(*, towns: QuerySet[Town]) -> QuerySet[Category]:
    return (
        Category.objects.filter(town__in=towns)
        .select_related("town")
        .annotate(household_count=Count("households"))
        .order_by("town__code", "-active", "name")
    )


def property_rule_list(*, towns: QuerySet[Town]) -> QuerySet[PropertyRule]:
    return (
        PropertyRule.objects.filter(town__in=towns)
        .select_related("town")
        .order_by("town__code", "-active", "kind", "id")
    )


def change_history(*, obj, limit: int = 50) -> list:
    """The object's recorded versions, newest first, with who made them."""
    return list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit])


def category_mapping(*, towns: QuerySet[Town]) -> list[Category]:
    """Every category of `towns` with its criteria, for the mapping page."""
    return list(
        Category.objects.filter(town__in=towns).select_related("town").order_by("town__code", "-active", "name")
    )


def manual_grants(*, towns: QuerySet[Town]) -> QuerySet[MemberCategory]:
    return (
        MemberCategory.objects.filter(category__town__in=towns)
        .select_related("member__household__village", "category", "granted_by")
        .order_by("member__household__village__order", "member__household_id", "member_id")
    )


@dataclass
class SupplementChangeRow:
    household: Household
    paid: Decimal
    computed: Decimal
    members: list

    @property
    def difference(self) -> Decimal:
        return self.computed - self.paid


def supplement_change_rows(*, user: User, today: date, town_id: int | None = None) -> list[SupplementChangeRow]:
    """Active households the user sees (of one town, if given) whose 分类施保 would change under the
    per-person rule this month."""
    visible = households_visible_to(user=user)
    if town_id is not None:
        visible = visible.filter(village__town_id=town_id)
    changes = supplement_changes(month=today, household_ids=visible.values_list("pk", flat=True))
    households = visible.select_related("village").in_bulk([c.household_id for c in changes])
    return [
        SupplementChangeRow(households[c.household_id], c.paid, c.computed, c.members)
        for c in changes
        if c.household_id in households
    ]


def supplement_change_xlsx(*, rows: list[SupplementChangeRow], today: date) -> bytes:
    header = ["村(社区)", "户主姓名", "现发分类施保金(元)", "按人计算(元)", "差额(元)", "符合条件的成员"]
    body = (
        [
            r.household.village.name,
            r.household.head_name,
            r.paid,
            r.computed,
            r.difference,
            "；".join(f"{name}（{cats} {amount}）" for name, cats, amount in r.members),
        ]
        for r in rows
    )
    return write_xlsx([SheetSpec(f"分类施保变化{today:%Y%m}", header, body)])
