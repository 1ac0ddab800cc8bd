"""Campaigns (专项行动), cases and their stage records.

Models hold data and database constraints only. Every change of a case's status
goes through `review.cases.workflow.case_advance`; campaigns are created and launched
by `review.cases.campaigns`. Stage records are one row per case (OneToOne) and are
reopened (completed_at cleared) when a case is returned to their stage.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from households.models import ReviewFlag

# S12§26: the district visits at least 30 % of the cases that are not visited anyway
# (near relatives and questioned cases are visited 100 %). Settable higher only.
SPOT_CHECK_FLOOR = Decimal("30")

__all__ = [
    "Acceptance",
    "Appraisal",
    "Campaign",
    "CampaignPhase",
    "Case",
    "CaseStep",
    "DistrictApproval",
    "EconomicCheck",
    "Investigation",
    "InvestigationItem",
    "Outcome",
    "RegistrationForm",
    "Status",
    "TownReview",
]

ZERO = Decimal("0")
money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(ZERO)]}
USER = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    ACCEPTANCE = "受理", "受理"
    INVESTIGATION = "入户调查", "入户调查"
    APPRAISAL = "民主评议", "民主评议"
    TOWN_REVIEW = "镇审核", "镇审核"
    DISTRICT_APPROVAL = "区审批", "区审批"
    DONE = "办结", "办结"
    TERMINATED = "终止", "终止"


FINAL_STATUSES = (Status.DONE, Status.TERMINATED)


class Outcome(models.TextChoices):
    KEEP = "维持", "维持"
    ADJUST = "调整", "调整"
    STOP = "停保", "停保"
    ADMIT = "新纳入", "新纳入"
    REFUSE = "不予纳入", "不予纳入"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        SPECIAL = "专项清理", "专项清理"
        ANNUAL = "年度核查", "年度核查"
        QUARTERLY = "季度核查", "季度核查"
        PERIODIC = "定期核查", "定期核查"

    # Each town runs its own campaigns (issue 19): a town's office and teams see only theirs.
    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    name = models.CharField("行动名称", max_length=100)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.SPECIAL)
    scope_date = models.DateField("核查范围日期", help_text="截至该日在保的低保户纳入本次行动")
    appraisal_required = models.BooleanField("必须民主评议", default=True)
    # Derived, not a switch (issue 15): 第二、三榜 apply to every case, 第一榜 whenever an
    # appraisal is held, so 3 with appraisal and 2 without (constraint below).
    publicity_rounds = models.PositiveSmallIntegerField(
        "公示轮次", default=3, validators=[MinValueValidator(2), MaxValueValidator(3)]
    )
    spot_check_share = models.DecimalField(
        "区级抽查比例(%)",
        max_digits=5,
        decimal_places=2,
        default=SPOT_CHECK_FLOOR,
        validators=[MinValueValidator(SPOT_CHECK_FLOOR), MaxValueValidator(Decimal("100"))],
    )
    leadership = models.ManyToManyField(USER, blank=True, related_name="campaigns_led", verbose_name="领导小组成员")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    launched_at = models.DateTimeField("启动时间", null=True, blank=True)
    launched_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="启动人"
    )
    history = HistoricalRecords(m2m_fields=[leadership])

    class Meta:
        verbose_name = "专项行动"
        verbose_name_plural = verbose_name
        ordering = ["-scope_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["town", "name"], name="campaign_unique_name", violation_error_message="本镇已有同名的专项行动。"
            ),
            models.CheckConstraint(
                condition=Q(spot_check_share__gte=30, spot_check_share__lte=100),
                name="campaign_spot_share_range",
                violation_error_message="区级抽查比例不得低于 30%。",
            ),
            models.CheckConstraint(
                condition=Q(appraisal_required=True, publicity_rounds=3)
                | Q(appraisal_required=False, publicity_rounds=2),
                name="campaign_publicity_rounds_range",
                violation_error_message="第二榜和第三榜不能取消；举行民主评议的还须第一榜。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignPhase(models.Model):
    class Kind(models.TextChoices):
        PREPARE = "准备", "准备"
        IMPLEMENT = "清理实施", "清理实施"
        APPROVE = "抽查审批", "抽查审批"
        SUMMARY = "总结", "总结"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name="专项行动")
    kind = models.CharField("阶段", max_length=8, choices=Kind.choices)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "行动阶段"
        verbose_name_plural = verbose_name
        ordering = ["campaign_id", "starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="campaignphase_unique_kind"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="campaignphase_dates_ordered",
                violation_error_message="结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on:%m-%d}→{self.ends_on:%m-%d}"


class Case(models.Model):
    """One household going through the procedure once (a re-check or an application)."""

    class Kind(models.TextChoices):
        RECHECK = "复核", "复核"
        APPLICATION = "新申请", "新申请"
        PERIODIC = "定期核查", "定期核查"

    Status = Status
    Outcome = Outcome

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="cases", verbose_name="低保户"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name="专项行动"
    )
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    team = models.ForeignKey(
        "review.ReviewTeam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name="清理小组",
    )
    status = models.CharField("办理环节", max_length=8, choices=Status.choices, default=Status.ACCEPTANCE)
    outcome = models.CharField("结果", max_length=8, choices=Outcome.choices, blank=True)
    stop_reason = models.PositiveSmallIntegerField("停保原因", choices=ReviewFlag.Kind.choices, null=True, blank=True)
    # Deadlines (Chinese working days, see kanjia.workdays): due_on is the current
    # stage's limit, overall_due the limit for the whole case from acceptance.
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    due_on = models.DateField("本环节期限", null=True, blank=True)
    overall_due = models.DateField("办结期限", null=True, blank=True)
    deadline_notice = models.CharField("期限说明", max_length=100, blank=True)
    # Filled by the near-relatives register (近亲属备案) and by objections (异议):
    # either makes the district's home visit mandatory.
    is_near_relative = models.BooleanField("近亲属备案", default=False)
    has_objection = models.BooleanField("有异议", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "复核审批案件"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        constraints = [
            # Launching a campaign twice creates nothing new.
            models.UniqueConstraint(
                fields=["campaign", "household"],
                name="case_unique_campaign_household",
                violation_error_message="该户在本次专项行动中已有复核案件。",
            ),
            # At most one open application without a campaign per household.
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(campaign__isnull=True) & ~Q(status__in=["办结", "终止"]),
                name="case_one_open_application",
                violation_error_message="该户已有正在办理的申请。",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["status", "due_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}#{self.pk} {self.household}"

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def appraisal_required(self) -> bool:
        # Kanjia 2021 requires appraisal for every case (S12); only a campaign switch turns it off.
        return self.campaign.appraisal_required if self.campaign_id else True

    @property
    def registration_required(self) -> bool:
        """Campaign cases end their team work with a signed 清理核实登记表."""
        return self.campaign_id is not None


class CaseStep(models.Model):
    """One row per transition: the case's timeline and audit trail."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps", verbose_name="案件")
    from_status = models.CharField("原环节", max_length=8, choices=Status.choices)
    to_status = models.CharField("新环节", max_length=8, choices=Status.choices)
    action = models.CharField("操作", max_length=20)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="case_steps", verbose_name="操作人")
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.TextField("说明", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = verbose_name
        ordering = ["case_id", "at", "id"]
        indexes = [models.Index(fields=["actor", "case"])]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status} ({self.action})"


class StageRecord(models.Model):
    """Common columns of the stage records: completion and who last wrote it."""

    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="填写人")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class Acceptance(StageRecord):
    """受理: application, signed promise and authorisation, the one-time notice of missing materials."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="acceptance", verbose_name="案件")
    applied_on = models.DateField("申请日期")
    applicant_name = models.CharField("申请人", max_length=50)
    promise_signed = models.BooleanField("已签诚信承诺书", default=False)
    promise_signed_on = models.DateField("承诺书签署日期", null=True, blank=True)
    authorization_signed = models.BooleanField("已签经济状况核对授权书", default=False)
    authorization_signed_on = models.DateField("授权书签署日期", null=True, blank=True)
    missing_materials = models.TextField("一次性告知补齐材料", blank=True, help_text="每行一项；无则留空")
    special_case = models.BooleanField("特殊情况(办结期限45个工作日)", default=False)
    # S21§22: the 45-day extension needs a reason (shown on the case and in the audit's anomaly report).
    special_case_reason = models.TextField("特殊情况理由", blank=True)
    accepted_on = models.DateField("受理日期")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "受理记录"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"受理记录（案件#{self.case_id}）"


class Investigation(StageRecord):
    """入户调查 and 家庭经济状况核对."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="investigation", verbose_name="案件")
    visited_on = models.DateField("入户调查日期")
    investigators = models.ManyToManyField(USER, related_name="investigations", verbose_name="调查人员")
    family_present = models.CharField("在场家庭成员", max_length=200)
    living_conditions = models.TextField("居住及生活状况")
    recommended_outcome = models.CharField("调查建议", max_length=8, choices=Outcome.choices)
    recommended_amount = models.DecimalField("建议月保障金(元)", null=True, blank=True, **money)
    history = HistoricalRecords(m2m_fields=[investigators])

    class Meta:
        verbose_name = "入户调查"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"入户调查（案件#{self.case_id}）"


class InvestigationItem(models.Model):
    """One of the nine key-review items, answered at the visit."""

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="items")
    kind = models.PositiveSmallIntegerField("复核事项", choices=ReviewFlag.Kind.choices)
    abnormal = models.BooleanField("有异常", default=False)
    note = models.CharField("情况说明", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "重点复核事项"
        verbose_name_plural = verbose_name
        ordering = ["investigation_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "kind"], name="investigationitem_unique_kind"),
            models.CheckConstraint(condition=Q(abnormal=False) | ~Q(note=""), name="investigationitem_abnormal_note"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{'有异常' if self.abnormal else '无异常'}"


class EconomicCheck(models.Model):
    """家庭经济状况核对: the result returned by one data source (S21§17)."""

    class Source(models.TextChoices):
        PENSION = "养老保险", "养老保险"
        UNEMPLOYMENT = "失业保险", "失业保险"
        PROVIDENT_FUND = "住房公积金", "住房公积金"
        VEHICLE = "车辆", "车辆"
        REAL_ESTATE = "不动产", "不动产"
        BUSINESS = "工商", "工商"
        TAX = "税务", "税务"
        OTHER = "其他", "其他"

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="economic_checks")
    source = models.CharField("核对项目", max_length=8, choices=Source.choices)
    received_on = models.DateField("结果回复日期")
    abnormal = models.BooleanField("有异常", default=False)
    note = models.CharField("核对结果说明", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "经济状况核对结果"
        verbose_name_plural = verbose_name
        ordering = ["investigation_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "source"], name="economiccheck_unique_source"),
            models.CheckConstraint(condition=Q(abnormal=False) | ~Q(note=""), name="economiccheck_abnormal_note"),
        ]

    def __str__(self) -> str:
        return f"{self.source}：{'有异常' if self.abnormal else '无异常'}"


class Appraisal(StageRecord):
    """民主评议 (S12§21–24): villager representatives at least 2/3 of participants."""

    class Result(models.TextChoices):
        AGREE = "同意", "同意调查意见"
        DISAGREE = "不同意", "不同意调查意见"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="appraisal", verbose_name="案件")
    held_on = models.DateField("评议日期")
    place = models.CharField("评议地点", max_length=100)
    chair = models.CharField("主持人", max_length=50)
    town_cadres = models.PositiveSmallIntegerField("镇干部人数", default=0)
    village_committee = models.PositiveSmallIntegerField("村两委人数", default=0)
    party_reps = models.PositiveSmallIntegerField("党员代表人数", default=0)
    villager_reps = models.PositiveSmallIntegerField("村民代表人数", default=0)
    votes_agree = models.PositiveSmallIntegerField("同意票", default=0)
    votes_disagree = models.PositiveSmallIntegerField("不同意票", default=0)
    votes_abstain = models.PositiveSmallIntegerField("弃权票", default=0)
    minutes = models.TextField("评议记录")
    result = models.CharField("评议结果", max_length=4, choices=Result.choices)
    # The scan of the signed minutes arrives with the archives issue.
    signed_minutes = models.FileField("签字的评议记录", upload_to="appraisal/%Y/%m/", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "民主评议"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                # v >= 2/3 (o + v)  <=>  v >= 2 o, with o the other participants.
                condition=Q(
                    villager_reps__gte=(
                        (models.F("town_cadres") + models.F("village_committee") + models.F("party_reps")) * 2
                    )
                ),
                name="appraisal_villager_reps_two_thirds",
                violation_error_message="村民代表人数不得少于参会人数的三分之二。",
            ),
        ]

    def __str__(self) -> str:
        return f"民主评议（案件#{self.case_id}）"

    @property
    def participants(self) -> int:
        return self.town_cadres + self.village_committee + self.party_reps + self.villager_reps


class RegistrationForm(models.Model):
    """清理核实登记表: the team's findings, signed by 驻村领导, 驻村干部 and 村干部, handed to the 民政办."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="registration", verbose_name="案件")
    findings = models.TextField("核实情况")
    recommended_outcome = models.CharField("处理意见", max_length=8, choices=Outcome.choices)
    leader_signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="驻村领导签字"
    )
    leader_signed_at = models.DateTimeField("驻村领导签字时间", null=True, blank=True)
    cadre_signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="驻村干部签字"
    )
    cadre_signed_at = models.DateTimeField("驻村干部签字时间", null=True, blank=True)
    village_cadre_signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="村干部签字"
    )
    village_cadre_signed_at = models.DateTimeField("村干部签字时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "清理核实登记表"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"清理核实登记表（案件#{self.case_id}）"

    @property
    def fully_signed(self) -> bool:
        return bool(self.leader_signed_by_id and self.cadre_signed_by_id and self.village_cadre_signed_by_id)


class TownReview(StageRecord):
    class Decision(models.TextChoices):
        PASS = "通过", "通过"
        RETURN = "退回", "退回"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="town_review", verbose_name="案件")
    reviewed_on = models.DateField("审核日期")
    opinion = models.TextField("审核意见")
    decision = models.CharField("审核结论", max_length=4, choices=Decision.choices, blank=True)
    proposed_outcome = models.CharField("拟处理结果", max_length=8, choices=Outcome.choices)
    proposed_amount = models.DecimalField("拟月保障金(元)", null=True, blank=True, **money)
    # The computation for the benefit month when the record was saved (issue 14), and the
    # written reason a decision needs when it departs from it (特殊情形说明).
    computed_month = models.DateField("计算月份", null=True, blank=True)
    computed_base = models.DecimalField("计算月保障金(元)", null=True, blank=True, **money)
    computed_extra = models.DecimalField("计算分类施保金(元)", null=True, blank=True, **money)
    deviation = models.CharField("与计算或条件不符之处", max_length=500, blank=True)
    special_reason = models.TextField("特殊情形说明", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "镇审核"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"镇审核（案件#{self.case_id}）"


class DistrictApproval(StageRecord):
    class Decision(models.TextChoices):
        APPROVE = "批准", "批准"
        RETURN = "退回", "退回"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="district_approval", verbose_name="案件")
    decided_on = models.DateField("审批日期")
    opinion = models.TextField("审批意见", blank=True)
    decision = models.CharField("审批结论", max_length=4, choices=Decision.choices, blank=True)
    outcome = models.CharField("审批结果", max_length=8, choices=Outcome.choices)
    base_amount = models.DecimalField("月保障金(元)", default=ZERO, **money)
    extra_amount = models.DecimalField("分类施保金(元)", default=ZERO, **money)
    category = models.ForeignKey(
        "households.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="分类施保类别",
    )
    stop_reason = models.PositiveSmallIntegerField("停保原因", choices=ReviewFlag.Kind.choices, null=True, blank=True)
    # Mandatory for near-relative cases and cases with an objection (S21§20).
    home_visit_on = models.DateField("入户核查日期", null=True, blank=True)
    home_visit_note = models.TextField("入户核查记录", blank=True)
    # Payment changes from the month after the decision (S21§23); set by the service.
    effective_month = models.DateField("执行起始年月", null=True, blank=True, help_text="取该月1日")
    # The computation for the benefit month when the record was saved (issue 14), and the
    # written reason a decision needs when it departs from it (特殊情形说明).
    computed_month = models.DateField("计算月份", null=True, blank=True)
    computed_base = models.DecimalField("计算月保障金(元)", null=True, blank=True, **money)
    computed_extra = models.DecimalField("计算分类施保金(元)", null=True, blank=True, **money)
    deviation = models.CharField("与计算或条件不符之处", max_length=500, blank=True)
    special_reason = models.TextField("特殊情形说明", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "区审批"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(base_amount__gte=0), name="districtapproval_base_nonneg"),
            models.CheckConstraint(condition=Q(extra_amount__gte=0), name="districtapproval_extra_nonneg"),
        ]

    def __str__(self) -> str:
        return f"区审批（案件#{self.case_id}）"
