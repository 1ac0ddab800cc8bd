"""Near relatives (近亲属申报) of staff, and the register of filings (近亲属备案).

Models hold data and constraints only; `review.relatives.services` declares, matches
declared ID numbers against the registry and moves filings through their
statuses (待报备 → 已报区民政局 → 已核查).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["DeclarationStatus", "Relation", "RelativeDeclaration", "RelativeFiling"]

USER = settings.AUTH_USER_MODEL


class Relation(models.TextChoices):
    """近亲属 (S12§14): spouse, parents, children, siblings, grandparents and grandchildren on both sides."""

    SPOUSE = "配偶", "配偶"
    PARENT = "父母", "父母"
    CHILD = "子女", "子女"
    SIBLING = "兄弟姐妹", "兄弟姐妹"
    GRANDPARENT = "祖父母", "祖父母"
    MATERNAL_GRANDPARENT = "外祖父母", "外祖父母"
    GRANDCHILD = "孙子女", "孙子女"
    MATERNAL_GRANDCHILD = "外孙子女", "外孙子女"


class DeclarationStatus(models.Model):
    """One per user: when they last declared, and their explicit "无近亲属享受低保" if so.

    A user is "on file" when this row exists and they either list relatives or
    declared none; without it they cannot act on any case.
    """

    user = models.OneToOneField(
        USER, on_delete=models.PROTECT, related_name="relative_declaration_status", verbose_name="申报人"
    )
    declared_none_on = models.DateField("申报无近亲属日期", null=True, blank=True)
    last_declared_at = models.DateTimeField("最近申报时间")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "近亲属申报情况"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.user} 近亲属申报"


class RelativeDeclaration(models.Model):
    """One declared close relative of a staff user."""

    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="relative_declarations", verbose_name="申报人"
    )
    relation = models.CharField("关系", max_length=8, choices=Relation.choices)
    name = models.CharField("姓名", max_length=50)
    # Validated and normalised with households.idcard.parse by the service.
    id_number = models.CharField("公民身份号码", max_length=18, db_index=True)
    address = models.CharField("住址", max_length=200, blank=True)
    created_at = models.DateTimeField("申报时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "近亲属申报"
        verbose_name_plural = verbose_name
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "id_number"],
                name="relativedeclaration_unique_person",
                violation_error_message="该身份证号码已在您的申报中。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} 的{self.relation} {self.name}"


class RelativeFiling(models.Model):
    """近亲属备案: a staff member's relative found in (or entered against) an applicant or recipient household."""

    class Status(models.TextChoices):
        PENDING = "待报备", "待报备"
        REPORTED = "已报区民政局", "已报区民政局"
        VERIFIED = "已核查", "已核查"

    class Source(models.TextChoices):
        AUTO = "auto", "系统比对"
        MANUAL = "manual", "人工登记"

    # Null for hand-made entries and when the declaration is later withdrawn (the filing stays).
    declaration = models.ForeignKey(
        RelativeDeclaration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="filings",
        verbose_name="近亲属申报",
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="relative_filings", verbose_name="工作人员")
    # Snapshots for the 备案表: who they were when filed.
    staff_name = models.CharField("工作人员姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=50, blank=True)
    post = models.CharField("职务", max_length=50, blank=True)
    relative_name = models.CharField("近亲属姓名", max_length=50)
    relation = models.CharField("关系", max_length=8, choices=Relation.choices)
    relative_id_number = models.CharField("近亲属身份证号码", max_length=18)
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="relative_filings", verbose_name="低保户"
    )
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="+", verbose_name="村(社区)"
    )
    aid_type = models.CharField("救助类型", max_length=30)
    monthly_amount = models.DecimalField(
        "月救助金额(元)", max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    start_month = models.DateField("享受起始年月", null=True, blank=True, help_text="取该月1日")
    status = models.CharField("备案状态", max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    reported_on = models.DateField("报区民政局日期", null=True, blank=True)
    verified_on = models.DateField("核查日期", null=True, blank=True)
    verified_note = models.TextField("核查情况", blank=True)
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.AUTO)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "近亲属备案"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            # Re-matching updates the entry instead of adding another.
            models.UniqueConstraint(fields=["declaration", "household"], name="relativefiling_unique_match"),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="relativefiling_amount_nonneg"),
            models.CheckConstraint(
                condition=Q(status="待报备") | Q(reported_on__isnull=False), name="relativefiling_reported_dated"
            ),
        ]
        indexes = [models.Index(fields=["household", "status"])]

    def __str__(self) -> str:
        return f"{self.staff_name}的{self.relation} {self.relative_name}（{self.village}）"
