"""三榜公示: publicity rounds, the cases they list, objections, generated notice files.

Models hold data and database constraints only; the rules live in
`publicity.rounds` (open/close), `publicity.objections` and `publicity.notices`.

Rounds, as the Kanjia plan uses them (DOMAIN.md §2):
- 第一榜 after 民主评议: the village's investigation/appraisal results;
- 第二榜 during 镇审核: the town's review result, before it goes to the district;
- 第三榜 after 区审批: long-term publicity on the village's fixed board (no end date).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["GenerationJob", "NoticeFile", "Objection", "PolicySheet", "PublicityRound", "RoundCase", "RoundSetting"]

USER = settings.AUTH_USER_MODEL


class PublicityRound(models.Model):
    class Number(models.IntegerChoices):
        FIRST = 1, "第一榜"
        SECOND = 2, "第二榜"
        THIRD = 3, "第三榜"

    class Status(models.TextChoices):
        DRAFT = "草稿", "草稿"
        OPEN = "公示中", "公示中"
        CLOSED = "已结束", "已结束"

    class Paper(models.TextChoices):
        A4 = "A4", "A4 横向"
        A3 = "A3", "A3 横向"

    # Null: new applications outside any campaign (publicised by village like campaign cases).
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="publicity_round_set",
        verbose_name="专项行动",
    )
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="publicity_rounds", verbose_name="村(社区)"
    )
    number = models.PositiveSmallIntegerField("榜次", choices=Number.choices)
    status = models.CharField("状态", max_length=4, choices=Status.choices, default=Status.DRAFT)
    cases = models.ManyToManyField(
        "review.Case", through="RoundCase", related_name="publicity_rounds", verbose_name="公示案件"
    )
    days = models.PositiveSmallIntegerField("公示天数", default=7)
    starts_on = models.DateField("公示开始日期", null=True, blank=True)
    # Round 3 is long-term: no end date.
    ends_on = models.DateField("公示截止日期", null=True, blank=True)
    paper = models.CharField("纸张", max_length=2, choices=Paper.choices, default=Paper.A4)
    # The latest start-date correction (publicity.rounds.round_correct_start); each one is a history row.
    correction_note = models.TextField("开始日期更正说明", blank=True)
    prepared_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="制表人")
    prepared_at = models.DateTimeField("制表时间", auto_now_add=True)
    opened_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="发布人"
    )
    opened_at = models.DateTimeField("发布时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="结束人"
    )
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    # Posting record (张贴记录). The photo is checked by content, stored under a random name, served by
    # publicity.views.round_photo and filed as 公示照片 in the listed bags (publicity.rounds.round_record_posting).
    posted_on = models.DateField("张贴日期", null=True, blank=True)
    posted_place = models.CharField("张贴地点", max_length=100, blank=True)
    posted_photo = models.FileField("张贴照片", upload_to="publicity/photos/%Y/%m/", max_length=255, blank=True)
    posted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="张贴登记人"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示批次"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        constraints = [
            # One current (draft or open) round per campaign, village and number.
            models.UniqueConstraint(
                fields=["campaign", "village", "number"],
                condition=~Q(status="已结束"),
                name="publicityround_one_current",
                violation_error_message="该村本轮公示已有未结束的批次。",
            ),
            models.UniqueConstraint(
                fields=["village", "number"],
                condition=Q(campaign__isnull=True) & ~Q(status="已结束"),
                name="publicityround_one_current_no_campaign",
                violation_error_message="该村本轮公示已有未结束的批次。",
            ),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=3), name="publicityround_number_range"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="publicityround_dates_ordered",
            ),
            # Rounds 1 and 2 are posted at least 7 days (round 3, the long-term board, has no end).
            # A round closed before this rule existed is a record of what was posted: left as it was.
            models.CheckConstraint(
                condition=Q(number=3) | Q(days__gte=7) | Q(status="已结束"),
                name="publicityround_min_days",
                violation_error_message="第一、二榜公示期不得少于 7 天。",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "number", "status"])]

    def __str__(self) -> str:
        return f"{self.village}{self.get_number_display()}（{self.status}）"


class RoundCase(models.Model):
    """A case listed in a round, and what closing the round did with it."""

    class Result(models.TextChoices):
        PENDING = "待定", "待定"
        PASSED = "通过", "公示通过，已推进"
        HELD = "未推进", "公示通过，未能自动推进"
        RETURNED = "退回", "异议成立，已退回"

    round = models.ForeignKey(PublicityRound, on_delete=models.CASCADE, related_name="entries", verbose_name="公示批次")
    case = models.ForeignKey(
        "review.Case", on_delete=models.PROTECT, related_name="publicity_entries", verbose_name="案件"
    )
    result = models.CharField("公示结果", max_length=4, choices=Result.choices, default=Result.PENDING)
    note = models.CharField("说明", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示案件"
        verbose_name_plural = verbose_name
        ordering = ["round_id", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "case"], name="roundcase_unique")]

    def __str__(self) -> str:
        return f"{self.round} · 案件#{self.case_id}"


class RoundSetting(models.Model):
    """Per-campaign publicity period of rounds 1 and 2 (days); without a row, settings.PUBLICITY_DAYS (7).

    Never less than 7 days (S21, DOMAIN §2): the form, `publicity.rounds` and the constraint below.
    """

    campaign = models.OneToOneField(
        "review.Campaign", on_delete=models.CASCADE, related_name="publicity_setting", verbose_name="专项行动"
    )
    days = models.PositiveSmallIntegerField("公示天数", default=7)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示期设置"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=7, days__lte=60),
                name="roundsetting_days_range",
                violation_error_message="公示期不得少于 7 天，也不能超过 60 天。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign}：公示 {self.days} 天"


class Objection(models.Model):
    """异议: raised by the public during a round against one listed case."""

    class Channel(models.TextChoices):
        PHONE = "电话", "电话"
        VISIT = "来访", "来访"
        LETTER = "信件", "信件"
        OTHER = "其他", "其他"

    class Result(models.TextChoices):
        UPHELD = "成立", "成立"
        REJECTED = "不成立", "不成立"

    round = models.ForeignKey(
        PublicityRound, on_delete=models.PROTECT, related_name="objections", verbose_name="公示批次"
    )
    case = models.ForeignKey("review.Case", on_delete=models.PROTECT, related_name="objections", verbose_name="案件")
    received_on = models.DateField("受理日期")
    channel = models.CharField("反映方式", max_length=4, choices=Channel.choices)
    anonymous = models.BooleanField("匿名", default=False)
    objector_name = models.CharField("反映人", max_length=50, blank=True)
    # Staff-only (the objector is protected too); never printed on a notice.
    objector_contact = models.CharField("反映人联系方式", max_length=50, blank=True)
    content = models.TextField("异议内容")
    registered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    handler = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="处理人"
    )
    investigation = models.TextField("调查核实情况", blank=True)
    # The re-investigation as a record (issue 14): who went, when, what they found (`investigation`).
    # Required when the objection is rejected (不成立): the household was still looked at again.
    investigated_on = models.DateField("核查日期", null=True, blank=True)
    investigators = models.ManyToManyField(USER, related_name="+", blank=True, verbose_name="核查人员")
    result = models.CharField("处理结果", max_length=4, choices=Result.choices, blank=True)
    reply = models.TextField("答复内容", blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)
    handled_at = models.DateTimeField("办结时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = verbose_name
        ordering = ["-received_on", "-id"]
        constraints = [
            # A handled objection has its investigation, reply and handler recorded.
            models.CheckConstraint(
                condition=Q(result="")
                | (
                    ~Q(investigation="")
                    & ~Q(reply="")
                    & Q(replied_on__isnull=False, handler__isnull=False, handled_at__isnull=False)
                ),
                name="objection_handled_complete",
            ),
            models.CheckConstraint(
                condition=~Q(result="不成立") | Q(investigated_on__isnull=False),
                name="objection_rejected_reinvestigated",
            ),
            models.CheckConstraint(
                condition=Q(anonymous=True) | ~Q(objector_name=""), name="objection_named_or_anonymous"
            ),
        ]
        indexes = [models.Index(fields=["case", "result"])]

    def __str__(self) -> str:
        return f"异议#{self.pk}（案件#{self.case_id}，{self.result or '待处理'}）"

    @property
    def is_open(self) -> bool:
        return not self.result


class PolicySheet(models.Model):
    """政策宣传 text for the fixed boards; the newest active row is printed."""

    title = models.CharField("标题", max_length=100, default="城乡最低生活保障政策宣传")
    body = models.TextField("正文", help_text="每段一行")
    active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="修改人")
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "政策宣传"
        verbose_name_plural = verbose_name
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class GenerationJob(models.Model):
    """Generating every village's notice of one round for a campaign (Celery, progress by polling)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    campaign = models.ForeignKey("review.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name="专项行动")
    number = models.PositiveSmallIntegerField("榜次", choices=PublicityRound.Number.choices)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="申请人")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("村数", default=0)
    done = models.PositiveIntegerField("已完成村数", default=0)
    error = models.CharField("失败原因", max_length=500, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示名单生成任务"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            # Pressing the button twice reuses the running job.
            models.UniqueConstraint(
                fields=["campaign", "number"],
                condition=Q(status__in=["queued", "running"]),
                name="generationjob_one_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} 第{self.number}榜（{self.get_status_display()}）"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class NoticeFile(models.Model):
    """A generated PDF. One row per round, per campaign-and-number (combined), per village board."""

    class Kind(models.TextChoices):
        ROUND = "公示名单", "公示名单"
        COMBINED = "合并文件", "全镇合并文件"
        BOARD = "固定公示栏", "固定公示栏"
        POLICY = "政策宣传", "政策宣传"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    round = models.ForeignKey(
        PublicityRound, on_delete=models.CASCADE, null=True, blank=True, related_name="files", verbose_name="公示批次"
    )
    campaign = models.ForeignKey(
        "review.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="专项行动"
    )
    number = models.PositiveSmallIntegerField("榜次", null=True, blank=True)
    village = models.ForeignKey(
        "households.Village", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="村(社区)"
    )
    file = models.FileField("文件", upload_to="publicity/notices/%Y/%m/", max_length=255)
    pages = models.PositiveIntegerField("页数", default=0)
    rows = models.PositiveIntegerField("行数", default=0)
    size = models.PositiveIntegerField("文件大小(字节)", default=0)
    generated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="生成人")
    generated_at = models.DateTimeField("生成时间", auto_now=True)

    class Meta:
        verbose_name = "公示文件"
        verbose_name_plural = verbose_name
        ordering = ["-generated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round"], condition=Q(kind="公示名单"), name="noticefile_one_per_round"),
            models.UniqueConstraint(
                fields=["campaign", "number"], condition=Q(kind="合并文件"), name="noticefile_one_combined"
            ),
            models.UniqueConstraint(fields=["village"], condition=Q(kind="固定公示栏"), name="noticefile_one_board"),
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="政策宣传"), name="noticefile_one_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file.name}"
