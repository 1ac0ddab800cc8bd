"""Archive locations (室/柜/盒/袋), documents, checklists, payment rolls.

"一镇一室、一村一柜、一组一盒、一户一袋": the physical archive mirrors the
registry. Locations are kept in step with households by
`archives.documents.locations.locations_sync` (idempotent); models hold data and
constraints only.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = [
    "ArchiveRoom",
    "Bag",
    "Box",
    "Cabinet",
    "ChecklistRequirement",
    "ChecklistWarning",
    "DistrictRollExport",
    "Document",
    "DocumentKind",
    "PaymentRoll",
    "PaymentRollLine",
]

ZERO = Decimal("0")
money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(ZERO)]}
USER = settings.AUTH_USER_MODEL

# Case stages, as stored by review.models.Status (strings, so that the archive
# tables do not depend on review's migrations for a choices list).
STAGES = [
    ("受理", "受理"),
    ("入户调查", "入户调查"),
    ("民主评议", "民主评议"),
    ("镇审核", "镇审核"),
    ("区审批", "区审批"),
]
CASE_KINDS = [("", "所有类型"), ("复核", "复核"), ("新申请", "新申请"), ("定期核查", "定期核查")]


# --- Locations ---------------------------------------------------------------------


class ArchiveRoom(models.Model):
    """一镇一室: the town's archive room."""

    town = models.OneToOneField("households.Town", on_delete=models.CASCADE, related_name="+", verbose_name="乡镇")
    code = models.CharField("编码", max_length=60, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案室"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Cabinet(models.Model):
    """一村一柜: one cabinet per village (社区)."""

    room = models.ForeignKey(ArchiveRoom, on_delete=models.CASCADE, related_name="cabinets", verbose_name="档案室")
    village = models.OneToOneField(
        "households.Village", on_delete=models.CASCADE, related_name="+", verbose_name="村(社区)"
    )
    code = models.CharField("编码", max_length=80, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案柜"
        verbose_name_plural = verbose_name
        ordering = ["room_id", "village__order", "village_id"]

    def __str__(self) -> str:
        return self.code


class Box(models.Model):
    """一组一盒: one box per villager group; number 0 holds households without a group."""

    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="boxes", verbose_name="档案柜")
    number = models.PositiveSmallIntegerField("组号")
    code = models.CharField("编码", max_length=90, unique=True)
    # Bag numbers are never reused inside a box: a label printed for a household
    # that moved away must not come to name another household.
    next_bag_number = models.PositiveIntegerField("下一档案袋序号", default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案盒"
        verbose_name_plural = verbose_name
        ordering = ["cabinet_id", "number"]
        constraints = [models.UniqueConstraint(fields=["cabinet", "number"], name="archives_box_unique_number")]

    def __str__(self) -> str:
        return self.code


class Bag(models.Model):
    """一户一袋: the household's file bag. Its code changes when the household moves."""

    household = models.OneToOneField(
        "households.Household", on_delete=models.CASCADE, related_name="archive_bag", verbose_name="低保户"
    )
    box = models.ForeignKey(Box, on_delete=models.PROTECT, related_name="bags", verbose_name="档案盒")
    number = models.PositiveIntegerField("序号")
    code = models.CharField("编码", max_length=100, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案袋"
        verbose_name_plural = verbose_name
        ordering = ["box_id", "number"]
        constraints = [models.UniqueConstraint(fields=["box", "number"], name="archives_bag_unique_number")]

    def __str__(self) -> str:
        return self.code


# --- Document kinds and checklists ------------------------------------------------------


class DocumentKind(models.Model):
    """A kind of document (data: seeded by a migration, edited in the admin)."""

    class Retention(models.TextChoices):
        # ARC: approval files ≥ 3 years after aid stops; routine files ≥ 5 years.
        APPROVAL = "approval", "审批材料(停保后至少保存3年)"
        ROUTINE = "routine", "日常管理材料(至少保存5年)"

    name = models.CharField("名称", max_length=50, unique=True)
    retention = models.CharField("保管类别", max_length=10, choices=Retention.choices, default=Retention.APPROVAL)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    description = models.CharField("说明", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案材料类别"
        verbose_name_plural = verbose_name
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ChecklistRequirement(models.Model):
    """A document required for a kind of case by the end of a stage (configurable rows).

    `blocks_approval`: while missing, the district's approval is refused (the
    town review only warns), unless settings.ARCHIVES_APPROVAL_GATE is False.
    """

    case_kind = models.CharField("案件类型", max_length=8, choices=CASE_KINDS, blank=True, default="")
    stage = models.CharField("所属环节", max_length=8, choices=STAGES)
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT, related_name="requirements", verbose_name="材料")
    blocks_approval = models.BooleanField("缺少时不得审批", default=True)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案清单要求"
        verbose_name_plural = verbose_name
        ordering = ["case_kind", "stage", "kind__order"]
        constraints = [
            models.UniqueConstraint(fields=["case_kind", "stage", "kind"], name="archives_requirement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_kind or '所有案件'} {self.stage}: {self.kind}"


class ChecklistWarning(models.Model):
    """The town review went ahead while required documents were missing (recorded, shown on the bag)."""

    case = models.ForeignKey("review.Case", on_delete=models.CASCADE, related_name="+", verbose_name="案件")
    action = models.CharField("操作", max_length=20)
    missing = models.TextField("缺少的材料")
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "档案缺项提醒"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"案件#{self.case_id} {self.action}: {self.missing}"


# --- Documents ----------------------------------------------------------------------------


class Document(models.Model):
    """One uploaded file in a household's bag. The file lives in MEDIA_ROOT/documents/<stored_name>."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="documents", verbose_name="低保户"
    )
    case = models.ForeignKey(
        "review.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="documents", verbose_name="案件"
    )
    stage = models.CharField("环节", max_length=8, choices=STAGES, blank=True)
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT, related_name="documents", verbose_name="材料类别")
    original_name = models.CharField("原文件名", max_length=200)
    stored_name = models.CharField("存储名", max_length=80, unique=True, editable=False)
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("文件校验值(SHA-256)", max_length=64, db_index=True)
    note = models.CharField("备注", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    # None: an approval file of a household still receiving (or applying for)
    # aid, kept until 3 years after aid stops. Recomputed by the services.
    keep_until = models.DateField("保管期限", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "档案材料"
        verbose_name_plural = verbose_name
        ordering = ["household_id", "kind__order", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["household", "kind"]), models.Index(fields=["case", "kind"])]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="archives_document_size_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"


# --- Payment rolls (发放花名册) --------------------------------------------------------------


class PaymentRoll(models.Model):
    """The list of recipients paid for one month, as generated: kept as a financial record.

    Regenerating a month adds a new roll (sequence + 1); earlier ones are never changed.
    """

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    month = models.DateField("发放年月", help_text="取该月1日")
    sequence = models.PositiveSmallIntegerField("生成次序", default=1)
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)
    generated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="生成人")
    households = models.PositiveIntegerField("户数", default=0)
    persons = models.PositiveIntegerField("人数", default=0)
    base_total = models.DecimalField("保障金合计(元)", default=ZERO, **money)
    extra_total = models.DecimalField("分类施保金合计(元)", default=ZERO, **money)
    total = models.DecimalField("发放总额(元)", default=ZERO, **money)
    note = models.CharField("备注", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "发放花名册"
        verbose_name_plural = verbose_name
        ordering = ["-month", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["town", "month", "sequence"], name="archives_roll_unique_sequence"),
            models.CheckConstraint(
                condition=Q(base_total__gte=0, extra_total__gte=0, total__gte=0), name="archives_roll_totals_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}发放花名册（第{self.sequence}版）"


class DistrictRollExport(models.Model):
    """全区发放花名册: a zip of each town's newest roll of a month, one PDF per town and village, with a
    summary workbook; built by a Celery job (progress by polling). A job row, not history-tracked."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    month = models.DateField("发放年月", help_text="取该月1日")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="申请人")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("PDF 份数", default=0)
    done = models.PositiveIntegerField("已完成份数", default=0)
    summary = models.JSONField("汇总", default=dict)
    file = models.FileField("文件", upload_to="archives/rolls/district/%Y/", max_length=255, blank=True)
    error = models.CharField("失败原因", max_length=500, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "全区发放花名册"
        verbose_name_plural = verbose_name
        ordering = ["-month", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month"], condition=Q(status__in=["queued", "running"]), name="districtroll_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}全区发放花名册"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 99 / self.total) if self.total else 0

    @property
    def busy(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def stage(self) -> str:
        return f"已完成 {self.done}/{self.total} 份村(社区) PDF" if self.status == self.Status.RUNNING else ""


class PaymentRollLine(models.Model):
    """One household on a roll: a snapshot of what it was paid that month."""

    roll = models.ForeignKey(PaymentRoll, on_delete=models.PROTECT, related_name="lines", verbose_name="花名册")
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="+", verbose_name="低保户"
    )
    village = models.ForeignKey("households.Village", on_delete=models.PROTECT, related_name="+", verbose_name="村")
    village_name = models.CharField("村(社区)", max_length=50)
    group_number = models.PositiveSmallIntegerField("组号", null=True, blank=True)
    head_name = models.CharField("户主姓名", max_length=50)
    category_name = models.CharField("分类施保类别", max_length=50, blank=True)
    covered_persons = models.PositiveSmallIntegerField("保障人数")
    base_amount = models.DecimalField("月保障金(元)", **money)
    extra_amount = models.DecimalField("分类施保金(元)", **money)
    total = models.DecimalField("合计(元)", **money)
    bank_name = models.CharField("开户银行", max_length=50, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    remark = models.CharField("备注", max_length=100, blank=True, help_text="如“渐退期（至2021年12月）”")

    class Meta:
        verbose_name = "花名册明细"
        verbose_name_plural = verbose_name
        ordering = ["roll_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["roll", "household"], name="archives_rollline_unique_household"),
            models.CheckConstraint(
                condition=Q(base_amount__gte=0, extra_amount__gte=0, total__gte=0), name="archives_rollline_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_name} {self.head_name} {self.total}"
