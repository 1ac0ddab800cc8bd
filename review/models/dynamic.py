"""Dynamic management (动态管理) and district spot checks (抽查), issue 10.

Models hold data and database constraints only; the rules live in
`review.dynamic.services` (rhythm, triggers, periodic cases, grace periods),
`review.dynamic.monthly` (月解剖, 月上报) and `review.dynamic.spotchecks` (抽查, 听查看访).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from households.models import Area

__all__ = [
    "DistrictMonthlyReport",
    "GracePeriod",
    "HouseholdRhythm",
    "MonthlyAnalysis",
    "MonthlyAnalysisItem",
    "MonthlyReport",
    "PeriodicRecheck",
    "RecheckRule",
    "RecheckTrigger",
    "Situation",
    "SpotCheck",
    "SpotCheckSample",
]

USER = settings.AUTH_USER_MODEL
ZERO = Decimal("0")
# The longest grace period the rules allow (S21§33, N22).
GRACE_MONTHS_MAX = 6


class Situation(models.TextChoices):
    """What a household's re-check rhythm depends on (S21§30–31)."""

    STABLE = "稳定", "基本稳定（老年人、重度残疾人、重病患者等，无劳动年龄收入者）"
    UNSTABLE = "不稳定", "收入不稳定或有劳动能力成员"


class RecheckRule(models.Model):
    """One row of the town's re-check rhythm: a situation (and optionally an area) → every N months.

    The most specific active row wins: a row for the household's area before a row for any area.
    """

    town = models.ForeignKey("households.Town", on_delete=models.CASCADE, related_name="+", verbose_name="乡镇")
    situation = models.CharField("家庭情况", max_length=4, choices=Situation.choices)
    area = models.CharField("城乡类别", max_length=4, choices=Area.choices, blank=True, help_text="留空表示城乡通用")
    interval_months = models.PositiveSmallIntegerField(
        "核查周期(月)", validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    label = models.CharField("名称", max_length=50)
    basis = models.CharField("依据", max_length=100, blank=True)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "定期核查规则"
        verbose_name_plural = verbose_name
        ordering = ["town_id", "situation", "area", "id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "situation", "area"], name="recheckrule_unique"),
            models.CheckConstraint(
                condition=Q(interval_months__gte=1, interval_months__lte=12), name="recheckrule_interval_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}（每{self.interval_months}个月）"


class HouseholdRhythm(models.Model):
    """A household's assigned rhythm and the date its next scheduled re-check is due."""

    household = models.OneToOneField(
        "households.Household", on_delete=models.CASCADE, related_name="rhythm", verbose_name="低保户"
    )
    rule = models.ForeignKey(
        RecheckRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="适用规则"
    )
    situation = models.CharField("家庭情况", max_length=4, choices=Situation.choices)
    interval_months = models.PositiveSmallIntegerField("核查周期(月)")
    reason = models.CharField("判定依据", max_length=300, blank=True)
    last_checked_on = models.DateField("上次核查日期", null=True, blank=True)
    next_due = models.DateField("下次核查到期日", db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "核查周期"
        verbose_name_plural = verbose_name
        ordering = ["next_due", "household_id"]

    def __str__(self) -> str:
        return f"{self.household}：每{self.interval_months}个月，{self.next_due:%Y-%m-%d}到期"


class PeriodicRecheck(models.Model):
    """The 定期核查 case of one household for one period (month): created once, by the beat task."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="periodic_rechecks", verbose_name="低保户"
    )
    period = models.DateField("核查期", help_text="取该月1日")
    case = models.OneToOneField(
        "review.Case", on_delete=models.PROTECT, related_name="periodic", verbose_name="核查案件"
    )
    team = models.ForeignKey(
        "review.ReviewTeam",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="清理小组",
    )
    due_on = models.DateField("核查期限", db_index=True)
    reasons = models.CharField("核查原因", max_length=300)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "定期核查"
        verbose_name_plural = verbose_name
        ordering = ["due_on", "id"]
        constraints = [
            # The beat task runs daily (and may run twice): one case per household and period.
            models.UniqueConstraint(fields=["household", "period"], name="periodicrecheck_unique_period"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.period:%Y年%m月}定期核查"


class RecheckTrigger(models.Model):
    """Something that calls for a re-check before the rhythm does (death, roster flag, objection, change)."""

    class Reason(models.TextChoices):
        DEATH = "死亡", "家庭成员死亡（3个月内办理）"
        FLAG = "名单比对", "外部名单比对新增复核标记"
        OBJECTION = "异议", "群众异议"
        CHANGE = "情况变化", "家庭报告情况变化"
        SUPPLEMENT = "分类施保", "成员分类施保条件变化（年龄、残疾等级、重病等）"

    household = models.ForeignKey(
        "households.Household", on_delete=models.CASCADE, related_name="recheck_triggers", verbose_name="低保户"
    )
    reason = models.CharField("触发原因", max_length=4, choices=Reason.choices)
    # What raised it ("member:12", "flag:7", "objection:3", "report:<uuid>"): collecting twice adds nothing.
    source_key = models.CharField("来源标识", max_length=60)
    detail = models.CharField("情况说明", max_length=300)
    occurred_on = models.DateField("发生日期")
    due_on = models.DateField("办理期限")
    recheck = models.ForeignKey(
        PeriodicRecheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="triggers",
        verbose_name="核查案件",
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "触发核查"
        verbose_name_plural = verbose_name
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "reason", "source_key"], name="rechecktrigger_unique_source"),
        ]

    def __str__(self) -> str:
        return f"{self.household}：{self.reason}"


class GracePeriod(models.Model):
    """渐退期: after an exit because work income lifted the household over the standard, payment continues."""

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="grace_periods", verbose_name="低保户"
    )
    case = models.ForeignKey(
        "review.Case", on_delete=models.PROTECT, related_name="grace_periods", verbose_name="停保案件"
    )
    start_month = models.DateField("起始年月", help_text="取该月1日")
    months = models.PositiveSmallIntegerField(
        "渐退月数", validators=[MinValueValidator(1), MaxValueValidator(GRACE_MONTHS_MAX)]
    )
    end_month = models.DateField("截止年月", help_text="取该月1日；由起始年月和月数算出")
    monthly_amount = models.DecimalField(
        "渐退期月发放金额(元)", max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    note = models.CharField("说明", max_length=300, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "渐退期"
        verbose_name_plural = verbose_name
        ordering = ["-start_month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], name="graceperiod_one_per_case"),
            models.CheckConstraint(
                condition=Q(months__gte=1, months__lte=GRACE_MONTHS_MAX), name="graceperiod_months_range"
            ),
            models.CheckConstraint(condition=Q(end_month__gte=models.F("start_month")), name="graceperiod_dates"),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="graceperiod_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.household} 渐退期至{self.end_month:%Y年%m月}"


class MonthlyAnalysis(models.Model):
    """月解剖: the cases picked for one month's analysis meeting and what it found."""

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    month = models.DateField("月份", help_text="取该月1日")
    held_on = models.DateField("会议日期", null=True, blank=True)
    participants = models.CharField("参会人员", max_length=300, blank=True)
    findings = models.TextField("总体结论", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "月解剖"
        verbose_name_plural = verbose_name
        ordering = ["-month", "-id"]
        constraints = [models.UniqueConstraint(fields=["town", "month"], name="monthlyanalysis_unique_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}月解剖"


class MonthlyAnalysisItem(models.Model):
    class Source(models.TextChoices):
        OVERDUE = "逾期", "规则：逾期未办结"
        STOPPED = "停保", "规则：本月停保"
        OBJECTION = "异议", "规则：有异议"
        NEAR_RELATIVE = "近亲属", "规则：近亲属备案"
        HAND = "人工", "人工选取"

    analysis = models.ForeignKey(MonthlyAnalysis, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("review.Case", on_delete=models.PROTECT, related_name="+", verbose_name="案件")
    source = models.CharField("选取方式", max_length=4, choices=Source.choices)
    finding = models.TextField("解剖发现", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "月解剖案件"
        verbose_name_plural = verbose_name
        ordering = ["analysis_id", "id"]
        constraints = [models.UniqueConstraint(fields=["analysis", "case"], name="monthlyanalysisitem_unique")]

    def __str__(self) -> str:
        return f"{self.analysis} · 案件#{self.case_id}"


class MonthlyReport(models.Model):
    """月上报: the previous month's figures, with the Excel and PDF files generated from them."""

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    month = models.DateField("报告月份", help_text="取该月1日")
    figures = models.JSONField("数据", default=dict)
    xlsx = models.FileField("Excel 文件", upload_to="review/monthly/%Y/", max_length=255, blank=True)
    pdf = models.FileField("PDF 文件", upload_to="review/monthly/%Y/", max_length=255, blank=True)
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="生成人"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "月上报"
        verbose_name_plural = verbose_name
        ordering = ["-month", "-id"]
        constraints = [models.UniqueConstraint(fields=["town", "month"], name="monthlyreport_unique_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}低保月报"


class DistrictMonthlyReport(models.Model):
    """全区月上报: every town's 月上报 figures of one month, built by a Celery job (progress by polling).

    A job row, not history-tracked (its progress is written many times); each run is a new row and the
    district page shows the newest finished one of each month.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    month = models.DateField("报告月份", help_text="取该月1日")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="申请人")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("乡镇数", default=0)
    done = models.PositiveIntegerField("已完成乡镇数", default=0)
    figures = models.JSONField("数据", default=dict)
    xlsx = models.FileField("Excel 文件", upload_to="review/monthly/district/%Y/", max_length=255, blank=True)
    pdf = models.FileField("PDF 文件", upload_to="review/monthly/district/%Y/", max_length=255, blank=True)
    error = models.CharField("失败原因", max_length=500, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "全区月上报"
        verbose_name_plural = verbose_name
        ordering = ["-month", "-created_at", "-id"]
        constraints = [
            # Pressing the button twice reuses the running job.
            models.UniqueConstraint(
                fields=["month"], condition=Q(status__in=["queued", "running"]), name="districtreport_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}全区低保月报"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        # The files after the last town: 95 % until they are written.
        return int(self.done * 95 / self.total) if self.total else 0

    @property
    def busy(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def stage(self) -> str:
        return f"已完成 {self.done}/{self.total} 个乡镇(街道)" if self.status == self.Status.RUNNING else ""


class SpotCheckSample(models.Model):
    """区级抽查: a reproducible draw of cases (a campaign's, or those closed in a period)."""

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spot_samples",
        verbose_name="专项行动",
    )
    period_start = models.DateField("期间开始", null=True, blank=True)
    period_end = models.DateField("期间结束", null=True, blank=True)
    # Of the cases not taken anyway (near relatives, objections): at least 30 % (S12§26).
    share = models.DecimalField(
        "抽查比例(%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("100"))],
    )
    seed = models.BigIntegerField("随机种子")
    # The ordered case ids the draw was made from: with the seed, the draw can be repeated.
    population = models.JSONField("抽样总体(案件编号)", default=list)
    drawn_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="抽取人")
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    note = models.CharField("说明", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "区级抽查"
        verbose_name_plural = verbose_name
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gte=30, share__lte=100),
                name="spotsample_share_range",
                violation_error_message="抽查比例不得低于 30%。",
            ),
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(period_start__isnull=False, period_end__isnull=False),
                name="spotsample_campaign_or_period",
            ),
        ]

    def __str__(self) -> str:
        scope = self.campaign or f"{self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d}"
        return f"区级抽查 {scope}（{self.drawn_at:%Y-%m-%d}）"


class SpotCheck(models.Model):
    """One sampled case and its 听、查、看、访 record; 需整改 is tracked until the district closes it."""

    class Selection(models.TextChoices):
        NEAR_RELATIVE = "近亲属", "必查：近亲属备案"
        OBJECTION = "异议", "必查：有异议"
        RANDOM = "随机", "随机抽取"

    class Conclusion(models.TextChoices):
        TRUE = "属实", "属实"
        FALSE = "不属实", "不属实"
        RECTIFY = "需整改", "需整改"

    sample = models.ForeignKey(SpotCheckSample, on_delete=models.CASCADE, related_name="checks")
    case = models.ForeignKey("review.Case", on_delete=models.PROTECT, related_name="spot_checks", verbose_name="案件")
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="spot_checks", verbose_name="低保户"
    )
    selection = models.CharField("抽取方式", max_length=4, choices=Selection.choices)
    # 听: the town's / team's report
    heard_on = models.DateField("核查日期", null=True, blank=True)
    heard_report = models.TextField("听：汇报情况", blank=True)
    # 查: documents
    doc_hukou = models.BooleanField("户口簿", default=False)
    doc_id_card = models.BooleanField("身份证", default=False)
    doc_dibao_card = models.BooleanField("低保证", default=False)
    doc_social_security = models.BooleanField("社保卡", default=False)
    doc_archive_bag = models.BooleanField("档案袋", default=False)
    documents_note = models.TextField("查：资料核查情况", blank=True)
    # 看: what was seen
    seen_housing = models.TextField("看：住房情况", blank=True)
    seen_living = models.TextField("看：生活水平", blank=True)
    seen_assets = models.TextField("看：家庭财产", blank=True)
    seen_income = models.TextField("看：收入来源", blank=True)
    seen_occupation = models.TextField("看：从事职业", blank=True)
    # 访: neighbours
    neighbours_visited = models.CharField("访：走访邻居", max_length=200, blank=True)
    neighbours_said = models.TextField("访：邻居反映", blank=True)
    conclusion = models.CharField("核查结论", max_length=4, choices=Conclusion.choices, blank=True)
    rectification = models.TextField("整改要求", blank=True)
    rectification_due = models.DateField("整改期限", null=True, blank=True)
    # The district officer who visits (the phone's visit list); the drawer unless reassigned.
    assignee = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="核查人员(走访)"
    )
    checked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="核查人"
    )
    checked_at = models.DateTimeField("记录时间", null=True, blank=True)
    # The town reports the rectification done; the district closes it.
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    rectification_report = models.TextField("整改情况", blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="销号人"
    )
    closed_at = models.DateTimeField("整改销号时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "抽查核查记录"
        verbose_name_plural = verbose_name
        ordering = ["sample_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "case"], name="spotcheck_unique_case"),
            models.CheckConstraint(
                condition=~Q(conclusion="需整改") | (~Q(rectification="") & Q(rectification_due__isnull=False)),
                name="spotcheck_rectification_required",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(conclusion="需整改"), name="spotcheck_close_only_rectify"
            ),
        ]
        indexes = [models.Index(fields=["conclusion", "closed_at"])]

    def __str__(self) -> str:
        return f"抽查 案件#{self.case_id}（{self.conclusion or '待核查'}）"

    @property
    def state(self) -> str:
        if not self.conclusion:
            return "待核查"
        if self.conclusion != self.Conclusion.RECTIFY:
            return "已核查"
        if self.closed_at:
            return "已整改销号"
        return "已报整改" if self.rectified_on else "整改中"
