"""Staff profiles and village review teams (清理小组).

Models hold data and database constraints only; creating a team, assigning
villages and members (and the guardian grants that go with them) happens in
`review.teams.services`, so that permissions and rows never drift apart.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["ReviewTeam", "Staff", "TeamMembership", "TeamVillage"]


class Staff(models.Model):
    """The person behind a login: needed for signatures and (later) the near-relatives register."""

    class Unit(models.TextChoices):
        TOWN = "镇政府", "镇政府"
        VILLAGE = "村委会", "村委会"
        DISTRICT = "区民政局", "区民政局"
        DISCIPLINE = "纪委", "纪委"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff", verbose_name="用户"
    )
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("单位", max_length=10, choices=Unit.choices)
    post = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # Validated and normalised by `households.idcard.parse` in the service; shown masked.
    id_number = models.CharField("公民身份号码", max_length=18, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = verbose_name
        ordering = ["unit", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class ReviewTeam(models.Model):
    """A 清理小组: led by a 驻村领导, responsible for one or more villages."""

    name = models.CharField("小组名称", max_length=50, unique=True)
    # The town the team works in (issue 19): its villages and campaign are that town's.
    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_teams",
        verbose_name="驻村领导",
        null=True,
        blank=True,
    )
    # The Django group that holds the team's object permissions on its villages
    # (guardian, direct-FK table). One group per team, created by `team_create`.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="review_team", verbose_name="权限组")
    # The campaign (专项行动) the team serves; empty for a standing team.
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name="专项行动",
        null=True,
        blank=True,
    )
    active_from = models.DateField("起始日期", null=True, blank=True)
    active_to = models.DateField("截止日期", null=True, blank=True)
    villages = models.ManyToManyField(
        "households.Village", through="TeamVillage", related_name="review_teams", verbose_name="负责村(社区)"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="review_teams", verbose_name="成员"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "清理小组"
        verbose_name_plural = verbose_name
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_to__gte=models.F("active_from")),
                name="review_team_dates_ordered",
                violation_error_message="截止日期不能早于起始日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamVillage(models.Model):
    """A village assigned to a team. Ended assignments stay (active=False) as the record of who covered it."""

    team = models.ForeignKey(ReviewTeam, on_delete=models.PROTECT, related_name="village_links", verbose_name="小组")
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="team_links", verbose_name="村(社区)"
    )
    active = models.BooleanField("有效", default=True)
    assigned_at = models.DateTimeField("分配时间", auto_now_add=True)
    unassigned_at = models.DateTimeField("撤销时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "小组负责村"
        verbose_name_plural = verbose_name
        ordering = ["village__code"]
        constraints = [
            # A village belongs to at most one active team at a time.
            models.UniqueConstraint(
                fields=["village"],
                condition=Q(active=True),
                name="review_teamvillage_one_active_team",
                violation_error_message="该村(社区)已由另一个清理小组负责。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.village}"


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        LEADER = "驻村领导", "驻村领导"
        CADRE = "驻村干部", "驻村干部"
        VILLAGE_CADRE = "村干部", "村干部"

    team = models.ForeignKey(ReviewTeam, on_delete=models.PROTECT, related_name="memberships", verbose_name="小组")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_memberships", verbose_name="成员"
    )
    role = models.CharField("组内职务", max_length=10, choices=Role.choices)
    joined_at = models.DateTimeField("加入时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "小组成员"
        verbose_name_plural = verbose_name
        ordering = ["team", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="review_teammembership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.user} ({self.role})"
