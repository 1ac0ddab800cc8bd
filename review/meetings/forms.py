"""Meeting forms: fields listed explicitly; the rules are in review.meetings.services."""

from django import forms

from households.towns.forms import VillageChoiceField
from kanjia import roles
from kanjia.uploads import FILE_TYPES
from review import filing
from review.cases.forms import DATE, StyledForm
from review.cases.selectors import campaigns_visible_to
from review.meetings.selectors import village_choices
from review.models import Meeting

MAX_MB = 20
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
FILE_HELP = f"{'、'.join(t.label for t in FILE_TYPES)} 文件，不超过 {MAX_MB} MB（按文件内容识别）。"


def file_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label, required=False, help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )


class MeetingForm(StyledForm):
    campaign = forms.ModelChoiceField(label="专项行动", queryset=None, required=False, empty_label="（不属于专项行动）")
    kind = forms.ChoiceField(label="会议类型", choices=Meeting.Kind.choices)
    village = VillageChoiceField(label="村(社区)", queryset=None, required=False, empty_label="（镇级会议）")
    held_on = forms.DateField(label="会议日期", widget=DATE)
    place = forms.CharField(label="会议地点", max_length=100)
    chair = forms.CharField(label="主持人", max_length=50, required=False)
    attendee_count = forms.IntegerField(label="参会人数", min_value=1, max_value=2000)
    attendees = forms.CharField(
        label="参会人员",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="姓名及单位；民主评议写明镇干部、村两委、党员代表和村民代表",
    )
    summary = forms.CharField(label="会议内容", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    minutes = file_field("会议记录（签字扫描件）")

    def __init__(self, *args, user, meeting: Meeting | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns_visible_to(user=user)
        self.fields["village"].queryset = village_choices(user=user)
        if not roles.has_role(user, roles.TOWN_OFFICE):
            # Teams record the 民主评议 meetings of their own villages only.
            self.fields["kind"].choices = [(Meeting.Kind.APPRAISAL, Meeting.Kind.APPRAISAL.label)]
            self.fields["village"].required = True
            self.fields["village"].empty_label = None
        if meeting is not None:  # kind and village stay; files are added on the meeting's page
            for name in ("kind", "village", "minutes"):
                del self.fields[name]
        elif not filing.can_attach():
            del self.fields["minutes"]
        self.style()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("minutes", None)
        data["chair"], data["summary"] = data.get("chair") or "", data.get("summary") or ""
        return data


class LinkForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(label="本次会议评议的案件", coerce=int, choices=())

    def __init__(self, *args, appraisals, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [
            (a.case_id, f"案件#{a.case_id} {a.case.household.group or ''} {a.case.household.head_name}户")
            for a in appraisals
        ]
        self.fields["cases"].widget = forms.CheckboxSelectMultiple(choices=self.fields["cases"].choices)


class MinutesForm(StyledForm):
    file = forms.FileField(
        label="会议记录（签字扫描件）", help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
