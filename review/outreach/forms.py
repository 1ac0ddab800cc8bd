from django import forms

from households.selectors import villages_changeable_by
from review import filing
from review.cases.forms import DATE, StyledForm
from review.cases.selectors import campaigns_visible_to
from review.meetings.forms import ACCEPT, FILE_HELP, file_field
from review.models import Outreach


class OutreachForm(StyledForm):
    campaign = forms.ModelChoiceField(label="专项行动", queryset=None, required=False, empty_label="（不属于专项行动）")
    village = forms.ModelChoiceField(label="村(社区)", queryset=None, empty_label=None)
    held_on = forms.DateField(label="日期", widget=DATE)
    kind = forms.ChoiceField(label="宣传形式", choices=Outreach.Kind.choices)
    count = forms.IntegerField(
        label="数量", min_value=1, max_value=1_000_000, help_text="宣传单份数、标语条数、院坝会场数、广播次数、入户户数"
    )
    audience = forms.IntegerField(label="受众人数", min_value=0, max_value=1_000_000, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)
    photo = file_field("照片")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns_visible_to(user=user)
        self.fields["village"].queryset = villages_changeable_by(user=user).order_by("order", "id")
        if not filing.can_attach():
            del self.fields["photo"]
        self.style()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("photo", None)
        data["note"] = data.get("note") or ""
        return data


class PhotoForm(StyledForm):
    file = forms.FileField(
        label="照片或记录", help_text=FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
