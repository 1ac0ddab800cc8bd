"""Forms for publicity pages: field types and Chinese labels; rules live in the services."""

from django import forms
from django.utils import timezone

from publicity.models import Objection, PublicityRound
from publicity.rounds import PHOTO_MAX_SIZE
from review.cases.forms import DATE, TEXTAREA, StyledForm

NO_CAMPAIGN = "none"


class PrepareForm(StyledForm):
    campaign = forms.ChoiceField(label="专项行动")
    village = forms.ModelChoiceField(label="村(社区)", queryset=None, empty_label="请选择")
    number = forms.TypedChoiceField(label="榜次", coerce=int, choices=PublicityRound.Number.choices)

    def __init__(self, *args, campaigns, villages, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), c.name) for c in campaigns]
        self.fields["campaign"].choices = [*choices, (NO_CAMPAIGN, "新申请（不属于专项行动）")]
        self.fields["village"].queryset = villages


class OpenForm(StyledForm):
    starts_on = forms.DateField(label="公示开始日期", widget=DATE)
    days = forms.IntegerField(label="公示天数", min_value=1, max_value=60)
    paper = forms.ChoiceField(label="纸张", choices=PublicityRound.Paper.choices)


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
    investigation = forms.CharField(label="调查核实情况", widget=TEXTAREA)
    result = forms.ChoiceField(label="处理结果", choices=[("", "请选择"), *Objection.Result.choices])
    reply = forms.CharField(label="答复反映人", widget=TEXTAREA)
    replied_on = forms.DateField(label="答复日期", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replied_on"].initial = timezone.localdate()


class PolicyForm(StyledForm):
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(
        label="正文", widget=forms.Textarea(attrs={"rows": 12}), help_text="每段一行；空行会被忽略。打印时原样排版。"
    )
