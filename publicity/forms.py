"""Forms for publicity pages: field types and Chinese labels; rules live in the services."""

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from households.towns.forms import VillageChoiceField
from kanjia import roles
from kanjia.forms import BoundedModelMultipleChoiceField
from publicity.models import Objection, PublicityRound
from publicity.rounds import MAX_DAYS, MIN_DAYS, PHOTO_MAX_SIZE
from review.cases.forms import DATE, TEXTAREA, StyledForm

NO_CAMPAIGN = "none"


class PrepareForm(StyledForm):
    campaign = forms.ChoiceField(label="专项行动")
    village = VillageChoiceField(label="村(社区)", queryset=None, empty_label="请选择")
    number = forms.TypedChoiceField(label="榜次", coerce=int, choices=PublicityRound.Number.choices)

    def __init__(self, *args, campaigns, villages, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), c.name) for c in campaigns]
        self.fields["campaign"].choices = [*choices, (NO_CAMPAIGN, "新申请（不属于专项行动）")]
        self.fields["village"].queryset = villages


class OpenForm(StyledForm):
    starts_on = forms.DateField(label="公示开始日期", widget=DATE, help_text="发布当天或以后，不能倒签。")
    days = forms.IntegerField(
        label="公示天数",
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        help_text=f"第一、二榜不少于 {MIN_DAYS} 天；第三榜长期公示，不设截止日期。",
    )
    paper = forms.ChoiceField(label="纸张", choices=PublicityRound.Paper.choices)

    def __init__(self, *args, number: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].widget.attrs["min"] = today.isoformat()
        if number == 3:
            # The long-term board has no period: the field is kept for the record only.
            self.fields["days"].min_value = 1
            self.fields["days"].validators = []
            self.fields["days"].widget = forms.HiddenInput()
        self.style()

    def clean_starts_on(self):
        starts_on = self.cleaned_data["starts_on"]
        if starts_on < timezone.localdate():
            raise forms.ValidationError("公示开始日期不能早于发布当天（不能倒签）。")
        return starts_on


class CorrectStartForm(StyledForm):
    starts_on = forms.DateField(label="实际开始日期", widget=DATE)
    reason = forms.CharField(
        label="更正理由", widget=TEXTAREA, help_text="例如：公示名单已于该日张贴，系统登记晚于张贴。"
    )


class RoundSettingForm(StyledForm):
    days = forms.IntegerField(
        label="第一、二榜公示天数", min_value=MIN_DAYS, max_value=MAX_DAYS, help_text=f"不少于 {MIN_DAYS} 天。"
    )


class PaperForm(StyledForm):
    paper = forms.ChoiceField(label="纸张", choices=PublicityRound.Paper.choices, required=False)


class PostingForm(StyledForm):
    posted_on = forms.DateField(label="张贴日期", widget=DATE)
    posted_place = forms.CharField(label="张贴地点", max_length=100)
    # Checked by content in publicity.rounds.round_record_posting (errors come back next to this field).
    posted_photo = forms.FileField(
        label="张贴照片",
        required=False,
        help_text=f"JPEG 或 PNG，不超过 {PHOTO_MAX_SIZE // 1024 // 1024} MB；保存后归入所列各户档案袋（公示照片）。",
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,image/jpeg,image/png"}),
    )


class ObjectionForm(StyledForm):
    case = forms.TypedChoiceField(label="异议针对的户", coerce=int)
    received_on = forms.DateField(label="受理日期", widget=DATE)
    channel = forms.ChoiceField(label="反映方式", choices=[("", "请选择"), *Objection.Channel.choices])
    anonymous = forms.BooleanField(label="匿名反映", required=False)
    objector_name = forms.CharField(label="反映人", max_length=50, required=False)
    objector_contact = forms.CharField(label="反映人联系方式", max_length=50, required=False)
    content = forms.CharField(label="异议内容", widget=TEXTAREA)

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [("", "请选择")] + [
            (e.case_id, f"{e.case.household.head_name}（{e.case.household.group or '未分组'}）") for e in entries
        ]
        self.fields["received_on"].initial = timezone.localdate()


class HandleForm(StyledForm):
    investigated_on = forms.DateField(label="核查日期", widget=DATE, required=False)
    investigators = BoundedModelMultipleChoiceField(
        label="核查人员",
        queryset=User.objects.none(),
        required=False,
        help_text="异议不成立的，也须写明由谁、何时重新调查核实，发现了什么",
    )
    investigation = forms.CharField(label="调查核实情况（发现）", widget=TEXTAREA)
    result = forms.ChoiceField(label="处理结果", choices=[("", "请选择"), *Objection.Result.choices])
    reply = forms.CharField(label="答复反映人", widget=TEXTAREA)
    replied_on = forms.DateField(label="答复日期", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replied_on"].initial = timezone.localdate()
        staff = (roles.TOWN_OFFICE, roles.VILLAGE_TEAM, roles.DISTRICT)
        self.fields["investigators"].queryset = (
            User.objects.filter(is_active=True, groups__name__in=staff).distinct().order_by("username")
        )
        self.fields["investigators"].label_from_instance = lambda u: u.get_full_name() or u.username


class PolicyForm(StyledForm):
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(
        label="正文", widget=forms.Textarea(attrs={"rows": 12}), help_text="每段一行；空行会被忽略。打印时原样排版。"
    )
