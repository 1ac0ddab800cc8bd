"""Home visits on a phone (issue 20): the devices that downloaded visit tasks and every form they sent.

Models hold data and constraints only; the rules live in `review.visits.services`.
A `VisitDevice` is one phone of one user: the phone keeps a random token (only its
hash is stored) that lets it ask, without a session, whether it must wipe itself
(account locked or deactivated). A `VisitSync` is one form a phone sent: applied,
refused as a conflict, or refused with the reasons; a form applied once is never
applied twice (the phone's form id is unique per user among applied rows), and a
refused form stays here with what the phone sent, so nothing is lost on either side.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = ["VisitDevice", "VisitSync"]

USER = settings.AUTH_USER_MODEL


class VisitDevice(models.Model):
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="visit_devices", verbose_name="用户")
    # Random id the phone made for itself at its first download (not a hardware id).
    device_id = models.CharField("设备标识", max_length=64)
    token_hash = models.CharField("设备令牌摘要", max_length=64, unique=True)
    user_agent = models.CharField("浏览器", max_length=200, blank=True)
    created_at = models.DateTimeField("首次下载", auto_now_add=True)
    downloaded_at = models.DateTimeField("最近下载", null=True, blank=True)
    synced_at = models.DateTimeField("最近同步", null=True, blank=True)

    class Meta:
        verbose_name = "走访设备"
        verbose_name_plural = verbose_name
        ordering = ["user_id", "-downloaded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "device_id"], name="visitdevice_unique_user_device")]

    def __str__(self) -> str:
        return f"{self.user} · {self.device_id[:8]}"


class VisitSync(models.Model):
    """One form sent by a phone: 入户调查 (the stage's draft) or 听查看访 (a spot check's record)."""

    class Kind(models.TextChoices):
        INVESTIGATION = "入户调查", "入户调查"
        SPOT_CHECK = "听查看访", "听查看访"

    class Result(models.TextChoices):
        APPLIED = "已采用", "已采用"
        CONFLICT = "冲突", "冲突"
        INVALID = "未通过", "未通过校验"
        REFUSED = "无权", "无权办理"

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="用户")
    device = models.ForeignKey(
        VisitDevice, on_delete=models.PROTECT, null=True, blank=True, related_name="syncs", verbose_name="设备"
    )
    client_id = models.CharField("表单编号(手机)", max_length=64)
    kind = models.CharField("表单", max_length=8, choices=Kind.choices)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="+", verbose_name="低保户"
    )
    case = models.ForeignKey(
        "review.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="visit_syncs", verbose_name="案件"
    )
    spot_check = models.ForeignKey(
        "review.SpotCheck",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_syncs",
        verbose_name="抽查",
    )
    saved_at = models.DateTimeField("手机保存时间")
    received_at = models.DateTimeField("收到时间", auto_now_add=True)
    result = models.CharField("结果", max_length=4, choices=Result.choices)
    reason = models.TextField("原因", blank=True)
    # What the phone sent (without the photos), kept for a refused form so nothing is lost.
    payload = models.JSONField("手机提交的内容", default=dict, blank=True)
    photos = models.PositiveSmallIntegerField("照片数", default=0)

    class Meta:
        verbose_name = "走访同步记录"
        verbose_name_plural = verbose_name
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_id"],
                condition=Q(result="已采用"),
                name="visitsync_applied_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "client_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.household_id} {self.result}"
