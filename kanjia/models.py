from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class AccessLog(models.Model):
    """Sensitive reads: full ID-number reveals, exports, prints and downloads.

    Written by every app through `kanjia.access.log_access`; read by the audit
    viewer. Append-only by convention and, in production, by database grants.
    """

    class Action(models.TextChoices):
        REVEAL_ID = "reveal_id", "查看完整身份证号"
        EXPORT = "export", "导出"
        PRINT = "print", "打印"
        DOWNLOAD = "download", "下载"
        VIEW = "view", "查阅"
        VISIT_SYNC = "visit_sync", "走访同步"
        VISIT_DOWNLOAD = "visit_download", "下载走访任务"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.PROTECT, related_name="+")
    ip = models.CharField("IP 地址", max_length=64, blank=True)
    action = models.CharField("操作", max_length=16, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    village_id = models.BigIntegerField("村(社区)编号", null=True, blank=True)
    detail = models.CharField("说明", max_length=255, blank=True)

    class Meta:
        verbose_name = "敏感信息访问记录"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"


class HolidayYear(models.Model):
    """A year of the national holiday arrangement (节假日安排), as the town office entered it.

    One calendar for the deployment (holidays are national). A year entered here
    replaces the `chinese_calendar` library for that year (kanjia.workdays); its
    days are `HolidayDay` rows. Written by `kanjia.holidays.holiday_year_save`.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, help_text="例如：国务院办公厅关于2027年部分节假日安排的通知")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = verbose_name
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="holidayyear_year_range")
        ]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class HolidayDay(models.Model):
    """One day of an entered year: a public holiday (休) or a make-up workday (班, 调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "休", "放假"
        WORKDAY = "班", "调休上班"

    year = models.ForeignKey(HolidayYear, verbose_name="年份", on_delete=models.CASCADE, related_name="days")
    day = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=1, choices=Kind.choices)
    note = models.CharField("说明", max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = verbose_name
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()} {self.note}".strip()


class RoleChange(models.Model):
    """One change of an account's roles (issue 17), requested on the accounts page.

    Adding a case-deciding role (镇民政办, 区民政局) waits for a second person of the town office to
    confirm it; every other change applies at once. Rows are never deleted: with their history they
    are the audit trail of who gave whom which role, and who confirmed it. 清理小组 is not here:
    team membership goes through `review.teams.services` (which grants the villages too).
    """

    class Change(models.TextChoices):
        ADD = "add", "授予"
        REMOVE = "remove", "撤销"

    class State(models.TextChoices):
        PENDING = "待确认", "待确认"
        APPLIED = "已生效", "已生效"
        REJECTED = "已拒绝", "已拒绝"
        WITHDRAWN = "已撤回", "已撤回"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.PROTECT, related_name="role_changes"
    )
    role = models.CharField("角色", max_length=20)
    # The town a town-level role (镇民政办, 纪委监察) is given for (issue 19); empty for district roles.
    town = models.ForeignKey(
        "households.Town", verbose_name="乡镇", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    change = models.CharField("变更", max_length=8, choices=Change.choices)
    state = models.CharField("状态", max_length=8, choices=State.choices, db_index=True)
    reason = models.CharField("理由", max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "角色变更"
        verbose_name_plural = verbose_name
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per account and role: a second click does not queue a duplicate.
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(state="待确认"), name="rolechange_one_pending_per_role"
            ),
            # Nobody confirms their own request (the second person is a different person).
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="rolechange_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_change_display()}{self.role}（{self.state}）"


class AccountEvent(models.Model):
    """What the system administrator did to an account: created, password reset, locked, unlocked."""

    class Action(models.TextChoices):
        CREATE = "create", "新建账号"
        PASSWORD = "password", "重置密码"
        DEACTIVATE = "deactivate", "停用账号"
        ACTIVATE = "activate", "启用账号"
        UNLOCK = "unlock", "解除登录锁定"
        EDIT = "edit", "修改姓名"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.PROTECT, related_name="account_events"
    )
    action = models.CharField("操作", max_length=12, choices=Action.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "账号操作"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}（{self.at:%Y-%m-%d %H:%M}）"
