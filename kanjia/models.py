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
