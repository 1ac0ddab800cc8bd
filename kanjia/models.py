from django.conf import settings
from django.db import models


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
