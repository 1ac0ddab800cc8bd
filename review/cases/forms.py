"""Forms for campaigns and case stages: field types and Chinese messages only.

The rules (≥2 investigators, 2/3 villager representatives, outcomes by case
kind, …) live in `review.cases.workflow`; these forms turn a POST into the plain
dicts the services take, and show the services' errors next to the fields.
"""

from django import forms
from django.contrib.auth import get_user_model

from households.models import Category, ReviewFlag
from households.towns.forms import VillageChoiceField
from kanjia import roles
from kanjia.forms import BoundedModelMultipleChoiceField, PlainSelect, bound_integers
from review.cases.campaigns import default_phases
from review.cases.workflow import OUTCOMES_BY_KIND
from review.models import Appraisal, Campaign, CampaignPhase, Case, EconomicCheck, TeamMembership
from review.models.cases import SPOT_CHECK_FLOOR

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = forms.Textarea(attrs={"rows": 3})
ABNORMAL_CHOICES = [("0", "无异常"), ("1", "有异常")]
FLAG_CHOICES = [("", "待核实（暂不作结论）")] + [
    (value, label) for value, label in ReviewFlag.Disposition.choices if value != ReviewFlag.Disposition.PENDING
]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (templates render `{{ field }}`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_integers(self)  # no 500 on a huge number (issue 16)
        self.style()

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                # Django puts a widget's class on the wrapping <div> too: leave these unstyled.
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE)


class CampaignForm(StyledForm):
    name = forms.CharField(label="行动名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=Campaign.Kind.choices)
    scope_date = _date("核查范围日期（截至该日在保）")
    appraisal_required = forms.BooleanField(
        label="必须民主评议",
        required=False,
        initial=True,
        help_text="举行民主评议的案件公示三榜；不举行的公示第二、三榜。第二、三榜不能取消。",
    )
    spot_check_share = forms.DecimalField(
        label="区级抽查比例(%)",
        min_value=SPOT_CHECK_FLOOR,
        max_value=100,
        initial=SPOT_CHECK_FLOOR,
        help_text="近亲属备案和有异议的案件全部抽查；其余案件抽查不少于 30%，可以更高。",
    )
    leadership = BoundedModelMultipleChoiceField(
        label="领导小组成员", required=False, queryset=get_user_model().objects.none(), widget=forms.SelectMultiple
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leadership"].queryset = (
            get_user_model().objects.filter(is_active=True, groups__name__in=roles.ALL_ROLES).distinct()
        )
        for phase in default_phases(year=year):
            self.fields[f"phase_{phase.kind}_start"] = _date(f"{phase.kind}开始")
            self.fields[f"phase_{phase.kind}_end"] = _date(f"{phase.kind}结束")
            self.initial.setdefault(f"phase_{phase.kind}_start", phase.starts_on)
            self.initial.setdefault(f"phase_{phase.kind}_end", phase.ends_on)
        self.style()

    def phase_fields(self):
        return [(self[f"phase_{k}_start"], self[f"phase_{k}_end"]) for k in CampaignPhase.Kind.values]


class AcceptanceForm(StyledForm):
    applied_on = _date("申请日期")
    applicant_name = forms.CharField(label="申请人", max_length=50)
    promise_signed = forms.BooleanField(label="已签诚信承诺书", required=False)
    promise_signed_on = _date("承诺书签署日期", required=False)
    authorization_signed = forms.BooleanField(label="已签经济状况核对授权书", required=False)
    authorization_signed_on = _date("授权书签署日期", required=False)
    missing_materials = forms.CharField(
        label="一次性告知补齐材料（每行一项，补齐后清空）", required=False, widget=TEXTAREA
    )
    special_case = forms.BooleanField(label="特殊情况（办结期限45个工作日）", required=False)
    special_case_reason = forms.CharField(
        label="特殊情况理由", required=False, widget=TEXTAREA, help_text="勾选特殊情况的必须填写（S21第22条）。"
    )
    accepted_on = _date("受理日期")

    def to_data(self) -> dict:
        return dict(self.cleaned_data)


def investigator_choices(case: Case):
    """Members of the case's team and the town office: the people who may investigate."""
    users = get_user_model().objects.filter(is_active=True)
    team = TeamMembership.objects.filter(team_id=case.team_id).values("user_id")
    return users.filter(pk__in=team) | users.filter(groups__name=roles.TOWN_OFFICE)


def _outcome_choices(case: Case) -> list[tuple[str, str]]:
    return [("", "请选择")] + [(o, o) for o in OUTCOMES_BY_KIND[case.kind]]


class InvestigationForm(StyledForm):
    visited_on = _date("入户调查日期")
    investigators = BoundedModelMultipleChoiceField(
        label="调查人员（至少两人）", queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple
    )
    family_present = forms.CharField(label="在场家庭成员", max_length=200)
    living_conditions = forms.CharField(label="居住及生活状况", widget=TEXTAREA)
    recommended_outcome = forms.ChoiceField(label="调查建议")
    recommended_amount = forms.DecimalField(label="建议月保障金(元)", required=False, min_value=0, decimal_places=2)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigators"].queryset = investigator_choices(case).distinct().order_by("username")
        self.fields["investigators"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["recommended_outcome"].choices = _outcome_choices(case)
        for kind in ReviewFlag.Kind:
            self.fields[f"item_{kind.value}"] = forms.ChoiceField(
                label=kind.label, choices=ABNORMAL_CHOICES, widget=forms.RadioSelect, initial="0"
            )
            self.fields[f"item_{kind.value}_note"] = forms.CharField(label="情况说明", required=False, max_length=300)
        for source in EconomicCheck.Source:
            self.fields[f"check_{source.value}"] = _date(f"{source.label}回复日期", required=False)
            self.fields[f"check_{source.value}_abnormal"] = forms.ChoiceField(
                label="核对结果", choices=ABNORMAL_CHOICES, initial="0"
            )
            self.fields[f"check_{source.value}_note"] = forms.CharField(label="说明", required=False, max_length=300)
        # The household's open key-review flags are disposed here, with the investigation (not on
        # another page where this form's input would be lost).
        self.flags = list(
            ReviewFlag.objects.filter(household_id=case.household_id, disposition=ReviewFlag.Disposition.PENDING)
            .select_related("member")
            .order_by("kind", "pk")
        )
        for flag in self.flags:
            self.fields[f"flag_{flag.pk}"] = forms.ChoiceField(
                label=f"{flag.get_kind_display()}：{flag.reason}", required=False, choices=FLAG_CHOICES
            )
            self.fields[f"flag_{flag.pk}_note"] = forms.CharField(
                label="核实说明", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 1})
            )
        self.style()

    def flag_rows(self):
        return [(flag, self[f"flag_{flag.pk}"], self[f"flag_{flag.pk}_note"]) for flag in self.flags]

    def item_rows(self):
        return [(k, self[f"item_{k.value}"], self[f"item_{k.value}_note"]) for k in ReviewFlag.Kind]

    def check_rows(self):
        return [
            (s, self[f"check_{s.value}"], self[f"check_{s.value}_abnormal"], self[f"check_{s.value}_note"])
            for s in EconomicCheck.Source
        ]

    def to_data(self) -> dict:
        c = self.cleaned_data
        return {
            **{k: c.get(k) for k in ("visited_on", "family_present", "living_conditions", "recommended_outcome")},
            "recommended_amount": c.get("recommended_amount"),
            "investigators": list(c.get("investigators") or []),
            "items": {
                k.value: (c[f"item_{k.value}"] == "1", c[f"item_{k.value}_note"])
                for k in ReviewFlag.Kind
                if c.get(f"item_{k.value}")
            },
            "flags": {
                flag.pk: (c[f"flag_{flag.pk}"], c[f"flag_{flag.pk}_note"])
                for flag in self.flags
                if c.get(f"flag_{flag.pk}")
            },
            "checks": {
                s.value: (c[f"check_{s.value}"], c[f"check_{s.value}_abnormal"] == "1", c[f"check_{s.value}_note"])
                for s in EconomicCheck.Source
            },
        }

    @staticmethod
    def initial_from(record) -> dict:
        if record is None:
            return {}
        initial = {
            "visited_on": record.visited_on,
            "investigators": list(record.investigators.all()),
            "family_present": record.family_present,
            "living_conditions": record.living_conditions,
            "recommended_outcome": record.recommended_outcome,
            "recommended_amount": record.recommended_amount,
        }
        for item in record.items.all():
            initial[f"item_{item.kind}"] = "1" if item.abnormal else "0"
            initial[f"item_{item.kind}_note"] = item.note
        for check in record.economic_checks.all():
            initial[f"check_{check.source}"] = check.received_on
            initial[f"check_{check.source}_abnormal"] = "1" if check.abnormal else "0"
            initial[f"check_{check.source}_note"] = check.note
        return initial


# People at one 民主评议 (each count, and each vote), as for a meeting's attendance (review/meetings):
# the columns are smallints, and a form bound only to 32 bits let 40,000 through (issue 16).
MEETING_MAX = 2000


class AppraisalForm(StyledForm):
    held_on = _date("评议日期")
    place = forms.CharField(label="评议地点", max_length=100)
    chair = forms.CharField(label="主持人", max_length=50)
    town_cadres = forms.IntegerField(label="镇干部", min_value=0, max_value=MEETING_MAX, initial=0)
    village_committee = forms.IntegerField(label="村两委", min_value=0, max_value=MEETING_MAX, initial=0)
    party_reps = forms.IntegerField(label="党员代表", min_value=0, max_value=MEETING_MAX, initial=0)
    villager_reps = forms.IntegerField(label="村民代表", min_value=0, max_value=MEETING_MAX, initial=0)
    votes_agree = forms.IntegerField(label="同意", min_value=0, max_value=MEETING_MAX, initial=0)
    votes_disagree = forms.IntegerField(label="不同意", min_value=0, max_value=MEETING_MAX, initial=0)
    votes_abstain = forms.IntegerField(label="弃权", min_value=0, max_value=MEETING_MAX, initial=0)
    minutes = forms.CharField(label="评议记录", widget=TEXTAREA)
    result = forms.ChoiceField(label="评议结果", choices=[("", "请选择"), *Appraisal.Result.choices])

    def to_data(self) -> dict:
        return dict(self.cleaned_data)


class TownReviewForm(StyledForm):
    reviewed_on = _date("审核日期")
    opinion = forms.CharField(label="审核意见", widget=TEXTAREA)
    proposed_outcome = forms.ChoiceField(label="拟处理结果")
    proposed_amount = forms.DecimalField(
        label="拟月保障金(元)",
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="月保障金与分类施保金合计；已按执行月份的系统计算预填",
    )
    special_reason = forms.CharField(
        label="特殊情形说明",
        required=False,
        widget=TEXTAREA,
        help_text="金额与系统计算不一致，或维持、纳入人均收入达到标准或财产不符合规定的户时必须填写",
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_outcome"].choices = _outcome_choices(case)

    def to_data(self) -> dict:
        return dict(self.cleaned_data)


class DistrictApprovalForm(StyledForm):
    decided_on = _date("审批日期")
    outcome = forms.ChoiceField(label="审批结果")
    base_amount = forms.DecimalField(label="月保障金(元)", required=False, min_value=0, decimal_places=2)
    extra_amount = forms.DecimalField(label="分类施保金(元)", required=False, min_value=0, decimal_places=2)
    category = forms.ModelChoiceField(label="分类施保类别", required=False, queryset=Category.objects.none())
    stop_reason = forms.TypedChoiceField(
        label="停保原因", required=False, coerce=int, empty_value=None, choices=[("", "—"), *ReviewFlag.Kind.choices]
    )
    opinion = forms.CharField(label="审批意见", required=False, widget=TEXTAREA)
    home_visit_on = _date("入户核查日期", required=False)
    home_visit_note = forms.CharField(label="入户核查记录", required=False, widget=TEXTAREA)
    special_reason = forms.CharField(
        label="特殊情形说明",
        required=False,
        widget=TEXTAREA,
        help_text="金额与系统计算不一致，或维持、纳入人均收入达到标准或财产不符合规定的户时必须填写",
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = _outcome_choices(case)
        self.fields["category"].queryset = Category.objects.filter(town_id=case.household.village.town_id, active=True)

    def to_data(self) -> dict:
        return dict(self.cleaned_data)


class ReturnForm(StyledForm):
    target = forms.ChoiceField(label="退回到")
    note = forms.CharField(label="退回理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(t, t) for t in targets]


class ReasonForm(StyledForm):
    note = forms.CharField(label="终止理由", widget=forms.Textarea(attrs={"rows": 2}))


STAGE_FORMS = {
    "acceptance": AcceptanceForm,
    "investigation": InvestigationForm,
    "appraisal": AppraisalForm,
    "town_review": TownReviewForm,
    "district_approval": DistrictApprovalForm,
}
NEEDS_CASE = {"investigation", "town_review", "district_approval"}


def stage_form(name: str, case: Case, *args, **kwargs) -> forms.Form:
    """A stage's form. Its fields only parse; what is required is the workflow writer's to say, so
    one submit shows every missing item at once (the asterisk stays on the label)."""
    cls = STAGE_FORMS[name]
    form = cls(*args, case=case, **kwargs) if name in NEEDS_CASE else cls(*args, **kwargs)
    for field in form.fields.values():
        if field.required:
            field.required = False
            field.marked_required = True
    return form


class ApplicationForm(StyledForm):
    """登记新申请: optionally a household found missing (漏保) during a launched campaign."""

    campaign = forms.ModelChoiceField(
        label="漏保户：在哪次专项行动中发现",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="不是（群众自行申请）",
        help_text="专项行动中排查发现的应保未保户，选择该行动；群众到村(社区)或镇提出的申请不选。",
    )

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.none() if campaigns is None else campaigns  # the user's own (towns)
        self.fields["campaign"].queryset = campaigns.filter(launched_at__isnull=False).order_by("-scope_date")


UNSIGNED_CHOICES = [("", "不限"), ("1", "公示期满，待签字上交"), ("me", "登记表待我签字")]


class CaseFilterForm(StyledForm):
    """The case list's filters (GET): every one optional; unknown values are ignored, not errors."""

    # PlainSelect: a district's village filter has hundreds of options (kanjia.forms).
    campaign = forms.ModelChoiceField(
        label="专项行动", required=False, queryset=Campaign.objects.none(), widget=PlainSelect
    )
    status = forms.ChoiceField(label="环节", required=False, widget=PlainSelect)
    village = VillageChoiceField(label="村(社区)", required=False, queryset=None, widget=PlainSelect)
    team = forms.ModelChoiceField(label="清理小组", required=False, queryset=None, widget=PlainSelect)
    outcome = forms.ChoiceField(label="结果", required=False, widget=PlainSelect)
    overdue = forms.BooleanField(label="逾期", required=False)
    flags = forms.BooleanField(label="有待核实的重点复核标记", required=False)
    objection = forms.BooleanField(label="有异议", required=False)
    unsigned = forms.ChoiceField(label="清理核实登记表", required=False, choices=UNSIGNED_CHOICES, widget=PlainSelect)
    mine = forms.BooleanField(label="只看待我办理的", required=False)

    def __init__(self, *args, campaigns, villages, teams, extra: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["village"].queryset = villages
        self.fields["team"].queryset = teams
        self.fields["status"].choices = [("", "全部环节"), *Case.Status.choices]
        self.fields["outcome"].choices = [("", "不限"), *Case.Outcome.choices]
        for name, label in extra.items():
            self.fields[name] = forms.BooleanField(label=label, required=False)
        self.style()

    def filters(self) -> dict:
        """The valid filters only: a stale link (a team or village no longer visible) drops that filter."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}
