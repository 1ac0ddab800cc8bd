"""Written decisions (决定通知书) and the household's complaints (申诉/复核申请), issue 15.

Models hold data and database constraints only; the rules live in
`review.notices.services`. Each row reaches its town through the household
(`household__village__town`, see `TOWN_PATH`), the scoping boundary of issue 19.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

__all__ = ["Complaint", "DecisionNotice", "NoticeSetting"]

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0")
money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(ZERO)]}
# How a notice or complaint reaches its town (a lookup path for scoping by town).
TOWN_PATH = "household__village__town"
# DOMAIN §2, S21: a refusal is notified in writing within 3 working days of the decision.
REFUSAL_DAYS = 3


class NoticeSetting(models.Model):
    """The town's rules for notices and complaints (data the office keeps, not constants)."""

    town = models.OneToOneField(
        "households.Town", on_delete=models.CASCADE, related_name="notice_setting", verbose_name="乡镇"
    )
    stop_days = models.PositiveSmallIntegerField(
        "停保、减发通知送达期限(工作日)", default=3, help_text="自决定之日起；不少于 3 个工作日"
    )
    complaint_days = models.PositiveSmallIntegerField(
        "申诉、复核申请办理期限(工作日)", default=15, help_text="自受理之日起答复的期限（本镇规定）"
    )
    review_body = models.CharField("行政复议机关", max_length=100, default="资阳市雁江区人民政府")
    court = models.CharField("行政诉讼受理法院", max_length=100, default="有管辖权的人民法院")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "决定通知书设置"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_days__gte=3, stop_days__lte=30),
                name="noticesetting_stop_days_range",
                violation_error_message="停保、减发通知的送达期限为 3 至 30 个工作日。",
            ),
            models.CheckConstraint(
                condition=Q(complaint_days__gte=1, complaint_days__lte=60), name="noticesetting_complaint_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} 决定通知书设置"


class DecisionNotice(models.Model):
    """决定通知书: the written decision a refused, stopped or reduced household is owed (S21§32, §38)."""

    class Kind(models.TextChoices):
        REFUSE = "不予纳入", "不予纳入"
        STOP = "停保", "停发（停保）"
        REDUCE = "减发", "减发"

    class Method(models.TextChoices):
        IN_PERSON = "当面", "当面送达"
        MAIL = "邮寄", "邮寄送达"
        LEFT = "留置", "留置送达"

    case = models.OneToOneField(
        "review.Case", on_delete=models.PROTECT, related_name="decision_notice", verbose_name="案件"
    )
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="decision_notices", verbose_name="低保户"
    )
    kind = models.CharField("决定类型", max_length=4, choices=Kind.choices)
    decided_on = models.DateField("决定日期")
    reasons = models.TextField("决定理由")
    previous_total = models.DecimalField("原月保障金合计(元)", default=ZERO, **money)
    new_total = models.DecimalField("决定后月保障金合计(元)", default=ZERO, **money)
    # Working days from the decision, and the day the notice must be delivered by.
    due_days = models.PositiveSmallIntegerField("送达期限(工作日)")
    due_on = models.DateField("送达期限", db_index=True)
    deadline_notice = models.CharField("期限说明", max_length=100, blank=True)
    delivered_on = models.DateField("送达日期", null=True, blank=True)
    method = models.CharField("送达方式", max_length=2, choices=Method.choices, blank=True)
    recipient = models.CharField("签收人", max_length=50, blank=True)
    delivery_note = models.CharField("送达说明", max_length=300, blank=True)
    delivered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="送达登记人"
    )
    # What the archive listener said when it filed the scanned receipt (送达回证) in the bag.
    scan_note = models.CharField("回证归档", max_length=200, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="生成人")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "决定通知书"
        verbose_name_plural = verbose_name
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True)
                | (~Q(method="") & ~Q(recipient="") & Q(delivered_by__isnull=False)),
                name="decisionnotice_delivery_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind="减发") | Q(new_total__lt=F("previous_total")), name="decisionnotice_reduce_lower"
            ),
            models.CheckConstraint(condition=Q(due_days__gte=3), name="decisionnotice_due_days_floor"),
            models.CheckConstraint(condition=~Q(reasons=""), name="decisionnotice_has_reasons"),
        ]
        indexes = [models.Index(fields=["delivered_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}决定通知书（案件#{self.case_id}）"

    @property
    def delivered(self) -> bool:
        return self.delivered_on is not None


class Complaint(models.Model):
    """申诉/复核申请: a household contests a finished case's decision.

    A finished case is never reopened: an upheld complaint opens a new, questioned
    case (`follow_up_case`, marked 有异议 so the district visits the household).
    """

    class Kind(models.TextChoices):
        COMPLAINT = "申诉", "申诉"
        REVIEW = "复核申请", "复核申请"

    class Result(models.TextChoices):
        UPHELD = "成立", "成立（另案复查）"
        REJECTED = "不成立", "不成立（维持原决定）"

    case = models.ForeignKey(
        "review.Case", on_delete=models.PROTECT, related_name="complaints", verbose_name="被申诉案件"
    )
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="complaints", verbose_name="低保户"
    )
    notice = models.ForeignKey(
        DecisionNotice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name="决定通知书",
    )
    kind = models.CharField("类型", max_length=4, choices=Kind.choices)
    received_on = models.DateField("受理日期")
    complainant = models.CharField("申请人", max_length=50)
    content = models.TextField("申诉、复核请求及理由")
    registered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    due_on = models.DateField("答复期限", db_index=True)
    deadline_notice = models.CharField("期限说明", max_length=100, blank=True)
    handler = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="办理人"
    )
    result = models.CharField("办理结果", max_length=4, choices=Result.choices, blank=True)
    reply = models.TextField("答复内容", blank=True)
    handled_on = models.DateField("答复日期", null=True, blank=True)
    follow_up_case = models.ForeignKey(
        "review.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_by_complaints",
        verbose_name="复查案件",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "申诉/复核申请"
        verbose_name_plural = verbose_name
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result="") | (~Q(reply="") & Q(handled_on__isnull=False, handler__isnull=False)),
                name="complaint_handled_complete",
            ),
            models.CheckConstraint(
                condition=~Q(result="成立") | Q(follow_up_case__isnull=False), name="complaint_upheld_has_case"
            ),
        ]
        indexes = [models.Index(fields=["result", "due_on"])]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}（案件#{self.case_id}，{self.result or '办理中'}）"

    @property
    def is_open(self) -> bool:
        return not self.result
