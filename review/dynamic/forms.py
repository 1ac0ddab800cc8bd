"""Forms for dynamic management, 月解剖/月上报 and spot checks: field types and Chinese labels only.

The rules live in the services (`review.dynamic.services`, `review.dynamic.monthly`, `review.dynamic.spotchecks`);
their errors are put next to these fields with `kanjia.forms.attach_errors`.
"""

from django import forms

from kanjia.forms import IdField
from review.cases.forms import DATE, TEXTAREA, StyledForm
from review.models import Campaign, MonthlyAnalysisItem, SpotCheck
from review.models.cases import SPOT_CHECK_FLOOR
from review.models.dynamic import GRACE_MONTHS_MAX

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


def _month(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"])


class RuleForm(StyledForm):
    interval_months = forms.IntegerField(label="核查周期(月)", min_value=1, max_value=12)
    active = forms.BooleanField(label="启用", required=False)


class ChangeReportForm(StyledForm):
    detail = forms.CharField(label="变化情况", max_length=300, widget=TEXTAREA)
    occurred_on = forms.DateField(label="发生日期", widget=DATE)


class GraceForm(StyledForm):
    case = forms.TypedChoiceField(label="停保案件", coerce=int, choices=())
    months = forms.IntegerField(label="渐退月数", min_value=1, max_value=GRACE_MONTHS_MAX, initial=GRACE_MONTHS_MAX)
    monthly_amount = forms.DecimalField(
        label="渐退期月发放金额(元)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="留空则按停保前的月保障金",
    )
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(c.pk, f"案件#{c.pk}（{c.closed_at:%Y-%m-%d}停保）") for c in cases]


class MonthForm(StyledForm):
    month = _month("月份")


class PickRuleForm(StyledForm):
    source = forms.ChoiceField(
        label="选取规则",
        choices=[(v, label) for v, label in MonthlyAnalysisItem.Source.choices if v != MonthlyAnalysisItem.Source.HAND],
    )


class PickCaseForm(StyledForm):
    case_id = IdField(label="案件编号")


class FindingForm(StyledForm):
    finding = forms.CharField(label="解剖发现", widget=TEXTAREA)


class ConcludeForm(StyledForm):
    held_on = forms.DateField(label="会议日期", widget=DATE)
    participants = forms.CharField(label="参会人员", max_length=300)
    findings = forms.CharField(label="总体结论", widget=TEXTAREA)


class DrawForm(StyledForm):
    campaign = forms.ModelChoiceField(
        label="专项行动", queryset=Campaign.objects.none(), required=False, empty_label="（按期间抽取）"
    )
    period_start = forms.DateField(label="期间开始（不选专项行动时）", widget=DATE, required=False)
    period_end = forms.DateField(label="期间结束", widget=DATE, required=False)
    share = forms.DecimalField(
        label="抽查比例(%)",
        min_value=SPOT_CHECK_FLOOR,
        max_value=100,
        required=False,
        help_text="不少于 30%；留空则按专项行动的设置。近亲属备案和有异议的案件另行全部抽查。",
    )
    seed = forms.IntegerField(
        label="随机种子", min_value=0, required=False, help_text="留空则随机产生并记录；填写可重现以往抽样"
    )
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaigns is not None:
            self.fields["campaign"].queryset = campaigns


class CheckForm(StyledForm):
    heard_on = forms.DateField(label="核查日期", widget=DATE)
    heard_report = forms.CharField(label="听：汇报情况", widget=TEXTAREA)
    doc_hukou = forms.BooleanField(label="户口簿", required=False)
    doc_id_card = forms.BooleanField(label="身份证", required=False)
    doc_dibao_card = forms.BooleanField(label="低保证", required=False)
    doc_social_security = forms.BooleanField(label="社保卡", required=False)
    doc_archive_bag = forms.BooleanField(label="档案袋", required=False)
    documents_note = forms.CharField(label="查：资料核查情况", widget=TEXTAREA)
    seen_housing = forms.CharField(label="看：住房情况", widget=TEXTAREA)
    seen_living = forms.CharField(label="看：生活水平", widget=TEXTAREA)
    seen_assets = forms.CharField(label="看：家庭财产", widget=TEXTAREA, required=False)
    seen_income = forms.CharField(label="看：收入来源", widget=TEXTAREA, required=False)
    seen_occupation = forms.CharField(label="看：从事职业", widget=TEXTAREA, required=False)
    neighbours_visited = forms.CharField(label="访：走访邻居", max_length=200)
    neighbours_said = forms.CharField(label="访：邻居反映", widget=TEXTAREA)
    conclusion = forms.ChoiceField(label="核查结论", choices=[("", "请选择"), *SpotCheck.Conclusion.choices])
    rectification = forms.CharField(label="整改要求（需整改时）", widget=TEXTAREA, required=False)
    rectification_due = forms.DateField(label="整改期限", widget=DATE, required=False)


class AssignForm(StyledForm):
    assignee = forms.ModelChoiceField(label="走访人员", queryset=None, empty_label=None)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class RectifyForm(StyledForm):
    rectified_on = forms.DateField(label="整改完成日期", widget=DATE)
    rectification_report = forms.CharField(label="整改情况", widget=TEXTAREA)
