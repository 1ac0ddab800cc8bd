"""The discipline inspector's register of problem clues (问题线索, seed 七(三): 严肃工作纪律, 责任追究).

The one thing a 纪委监察 account may write. A clue is seen by the inspectors
only, until an inspector refers it (交办) to the town office for an answer; it is
never shown to a staff member named in it (`staff`). Every change is in its
history (sealed in the audit chain with every other history table) and shown on
the clue's page to those who may see the clue, never on the general audit
timeline. Rules in `archives.clues.services`; reads in `archives.clues.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["Clue"]

USER = settings.AUTH_USER_MODEL


class Clue(models.Model):
    class Status(models.TextChoices):
        CHECKING = "核实中", "核实中"
        HANDLED = "已处理", "已处理"
        UNFOUNDED = "不属实", "不属实"

    class Source(models.TextChoices):
        ANOMALY = "异常报告", "审计异常报告"
        REPORT = "信访举报", "信访举报"
        SUPERVISION = "日常监督", "日常监督检查"
        SPOT_CHECK = "抽查", "区级抽查发现"
        OTHER = "其他", "其他"

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    number = models.CharField("编号", max_length=20)
    found_on = models.DateField("发现日期")
    source = models.CharField("线索来源", max_length=6, choices=Source.choices)
    source_detail = models.CharField("来源说明", max_length=100, blank=True)
    title = models.CharField("问题摘要", max_length=100)
    description = models.TextField("发现的问题")
    cases = models.ManyToManyField("review.Case", blank=True, related_name="+", verbose_name="涉及案件")
    households = models.ManyToManyField("households.Household", blank=True, related_name="+", verbose_name="涉及低保户")
    staff = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name="涉及工作人员")
    status = models.CharField("办理状态", max_length=4, choices=Status.choices, default=Status.CHECKING)
    checking_since = models.DateField("开始核实日期")
    findings = models.TextField("核实情况", blank=True)
    measure = models.TextField(
        "处理措施", blank=True, help_text="已处理时必填，如批评教育、诫勉谈话、党纪政务处分、追回资金"
    )
    concluded_on = models.DateField("办结日期", null=True, blank=True)
    # 交办: the town office sees the clue from here on (never a staff member named in it).
    referred_at = models.DateTimeField("交办时间", null=True, blank=True)
    referred_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="交办人"
    )
    referral_note = models.TextField("交办要求", blank=True)
    answer_due = models.DateField("答复期限", null=True, blank=True)
    answer = models.TextField("镇民政办答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="答复人"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(m2m_fields=[cases, households, staff])

    class Meta:
        verbose_name = "问题线索"
        verbose_name_plural = verbose_name
        ordering = ["-found_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "number"], name="clue_unique_number"),
            models.CheckConstraint(
                condition=Q(status="核实中") | Q(concluded_on__isnull=False),
                name="clue_concluded_has_date",
                violation_error_message="办结的线索须填写办结日期。",
            ),
            models.CheckConstraint(
                condition=~Q(status="已处理") | ~Q(measure=""),
                name="clue_handled_has_measure",
                violation_error_message="已处理的线索须填写处理措施。",
            ),
            models.CheckConstraint(
                condition=Q(referred_at__isnull=True) | Q(referred_by__isnull=False),
                name="clue_referral_has_referrer",
            ),
        ]

    def __str__(self) -> str:
        return f"问题线索{self.number}：{self.title}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.CHECKING
