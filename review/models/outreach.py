"""Policy outreach (政策宣传) records per village (seed 五(一)2: 标语、宣传单 and other forms).

Counted per village and summed on the campaign summary. A photo, when there is
one, is filed in the archive (`archives.records`). Writes go through
`review.outreach.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["Outreach"]


class Outreach(models.Model):
    class Kind(models.TextChoices):
        LEAFLETS = "宣传单发放", "宣传单发放"
        SLOGANS = "标语", "标语"
        YARD_MEETING = "院坝会", "院坝会"
        BROADCAST = "广播", "广播"
        HOME_VISITS = "入户宣讲", "入户宣讲"
        OTHER = "其他", "其他"

    # What `count` counts for each kind (shown next to the number).
    UNITS = {
        Kind.LEAFLETS: "份",
        Kind.SLOGANS: "条",
        Kind.YARD_MEETING: "场",
        Kind.BROADCAST: "次",
        Kind.HOME_VISITS: "户",
        Kind.OTHER: "次",
    }

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach",
        verbose_name="专项行动",
    )
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="+", verbose_name="村(社区)"
    )
    held_on = models.DateField("日期")
    kind = models.CharField("宣传形式", max_length=6, choices=Kind.choices)
    count = models.PositiveIntegerField("数量", validators=[MaxValueValidator(1_000_000)])
    audience = models.PositiveIntegerField(
        "受众人数",
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000)],
        help_text="院坝会参会人数等，可不填",
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "政策宣传记录"
        verbose_name_plural = verbose_name
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["campaign", "village"])]
        constraints = [models.CheckConstraint(condition=Q(count__gt=0), name="outreach_count_positive")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.village.name} {self.kind} {self.count}{self.unit}"

    @property
    def unit(self) -> str:
        return self.UNITS.get(self.kind, "次")
