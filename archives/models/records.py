"""The town's and the campaigns' own files: 低保工作综合档案 and 财务档案 (seed 五(六)).

Beside the households' bags the archive room keeps the documents that belong to
a campaign or to the town: the plan, the leadership group's decision, team lists,
meeting minutes, outreach records, the district's spot-check report, the summary,
the 通报, the 目标考核 material, and the financial file (payment rolls as
printed, bank transfer confirmations).

Physically they sit in the town archive room: a cabinet per file (综合档案柜,
财务档案柜) and a box per campaign (or per year for files of no campaign), with
室-柜-盒 codes printed on labels like the bags: `KJ-镇综合-01`. Kinds are office
data (retention in years, the campaign phase they belong to, whether every
campaign should have one). Writes are in `archives.records.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["RecordBox", "RecordCabinet", "RecordDocument", "RecordFile", "RecordKind"]

USER = settings.AUTH_USER_MODEL
# The campaign's phases and the meeting kinds, as stored by review (strings, so that
# these tables do not depend on review's choices).
PHASES = [("准备", "准备"), ("清理实施", "清理实施"), ("抽查审批", "抽查审批"), ("总结", "总结")]
MEETING_KINDS = [("动员大会", "动员大会"), ("培训", "培训"), ("推进会", "推进会"), ("民主评议", "民主评议")]


class RecordFile(models.TextChoices):
    GENERAL = "综合档案", "低保工作综合档案"
    FINANCIAL = "财务档案", "财务档案"


class RecordKind(models.Model):
    """A kind of town or campaign document (data: seeded by a migration, edited by the town office)."""

    name = models.CharField("名称", max_length=50, unique=True)
    file = models.CharField("所属档案", max_length=4, choices=RecordFile.choices, default=RecordFile.GENERAL)
    phase = models.CharField("所属阶段", max_length=4, choices=PHASES, blank=True, help_text="留空：不属于某一阶段")
    expected = models.BooleanField("每次专项行动应有", default=False)
    # None: kept permanently (永久).
    retention_years = models.PositiveSmallIntegerField(
        "保管期限(年)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="自归档之日起计算；留空为永久保存",
    )
    # The minutes of meetings of this kind are filed under this document kind.
    meeting_kind = models.CharField("会议记录对应的会议类型", max_length=6, choices=MEETING_KINDS, blank=True)
    for_outreach = models.BooleanField("政策宣传记录(照片)", default=False)
    # Filed for a 民主评议 meeting, it counts as this household document in the bag of
    # every case the meeting covers (the 民主评议记录 of the household checklist).
    satisfies = models.ForeignKey(
        "archives.DocumentKind",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="视同各户档案材料",
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    description = models.CharField("说明", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "综合档案材料类别"
        verbose_name_plural = verbose_name
        ordering = ["file", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_years__isnull=True) | Q(retention_years__gte=1),
                name="recordkind_retention_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def retention_display(self) -> str:
        return f"{self.retention_years}年" if self.retention_years else "永久"


class RecordCabinet(models.Model):
    """A cabinet in the town's archive room for the town's own files (one per file: 综合档案, 财务档案)."""

    room = models.ForeignKey(
        "archives.ArchiveRoom", on_delete=models.PROTECT, related_name="record_cabinets", verbose_name="档案室"
    )
    file = models.CharField("所属档案", max_length=4, choices=RecordFile.choices)
    code = models.CharField("编码", max_length=80, unique=True)
    # Box numbers are never reused: a printed label keeps naming the same box.
    next_box_number = models.PositiveIntegerField("下一档案盒序号", default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "镇级档案柜"
        verbose_name_plural = verbose_name
        ordering = ["room_id", "file"]
        constraints = [models.UniqueConstraint(fields=["room", "file"], name="recordcabinet_one_per_file")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_file_display()}柜"


class RecordBox(models.Model):
    """A box of town files: one per campaign, or per year for files that belong to no campaign."""

    cabinet = models.ForeignKey(RecordCabinet, on_delete=models.PROTECT, related_name="boxes", verbose_name="档案柜")
    number = models.PositiveIntegerField("盒号")
    campaign = models.ForeignKey(
        "review.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="专项行动"
    )
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    title = models.CharField("盒脊题名", max_length=100)
    code = models.CharField("编码", max_length=90, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "镇级档案盒"
        verbose_name_plural = verbose_name
        ordering = ["cabinet_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cabinet", "number"], name="recordbox_unique_number"),
            models.UniqueConstraint(
                fields=["cabinet", "campaign"], condition=Q(campaign__isnull=False), name="recordbox_one_per_campaign"
            ),
            models.UniqueConstraint(
                fields=["cabinet", "year"], condition=Q(campaign__isnull=True), name="recordbox_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class RecordDocument(models.Model):
    """One uploaded file of the town's or a campaign's file. Stored in MEDIA_ROOT/records/<stored_name>.

    `meeting` and `outreach` tie minutes and outreach photos to their review record;
    `village` is theirs (a 民主评议 meeting's village): such a document is also shown
    to the teams of that village, on the cases and records it belongs to. Documents
    without a village are for the town-wide readers only.
    """

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_documents",
        verbose_name="专项行动",
    )
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    kind = models.ForeignKey(RecordKind, on_delete=models.PROTECT, related_name="documents", verbose_name="材料类别")
    box = models.ForeignKey(RecordBox, on_delete=models.PROTECT, related_name="documents", verbose_name="档案盒")
    meeting = models.ForeignKey(
        "review.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_documents",
        verbose_name="会议",
    )
    outreach = models.ForeignKey(
        "review.Outreach",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="record_documents",
        verbose_name="宣传活动",
    )
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="村(社区)"
    )
    title = models.CharField("文件题名", max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    stored_name = models.CharField("存储名", max_length=80, unique=True, editable=False)
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    note = models.CharField("备注", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    # None: kept permanently. Recomputed when the office changes the kind's retention.
    keep_until = models.DateField("保管期限", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "综合档案材料"
        verbose_name_plural = verbose_name
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "kind"]),
            models.Index(fields=["town", "year"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="recorddocument_size_positive"),
            models.CheckConstraint(
                condition=Q(meeting__isnull=True) | Q(outreach__isnull=True), name="recorddocument_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.title}"
