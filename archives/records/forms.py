"""Forms of the town's and campaigns' files: fields listed explicitly."""

from django import forms

from archives.documents.services import MAX_SIZE
from archives.models import RecordKind
from archives.models.records import PHASES
from archives.records.selectors import uploadable_kinds
from review.cases.selectors import campaigns_visible_to

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        elif not isinstance(field.widget, forms.HiddenInput):
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class RecordUploadForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label="专项行动", queryset=None, required=False, empty_label="（镇级材料，不属于专项行动）"
    )
    year = forms.IntegerField(
        label="年度", min_value=2000, max_value=2100, required=False, help_text="不属于专项行动的材料按年度装盒"
    )
    kind = forms.ModelChoiceField(label="材料类别", queryset=None, empty_label=None)
    title = forms.CharField(
        label="文件题名", max_length=200, required=False, help_text="如“关于成立低保专项提升行动领导小组的通知”"
    )
    file = forms.FileField(
        label="文件",
        help_text=f"PDF、JPEG 或 PNG，不超过 {MAX_SIZE // 1024 // 1024} MB。",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user, campaign=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns_visible_to(user=user)
        self.fields["kind"].queryset = uploadable_kinds()
        self.fields["kind"].label_from_instance = lambda k: (
            f"{k.get_file_display()}：{k.name}" + (f"（{k.phase}阶段）" if k.phase else "")
        )
        if campaign is not None:  # the campaign's own page files into that campaign
            self.fields["campaign"].widget = forms.HiddenInput()
            self.initial["campaign"] = campaign.pk
            del self.fields["year"]
        _style(self)


class KindForm(forms.Form):
    retention_years = forms.IntegerField(
        label="保管期限(年)", min_value=1, max_value=100, required=False, help_text="留空为永久保存"
    )
    phase = forms.ChoiceField(label="所属阶段", choices=[("", "—"), *PHASES], required=False)
    expected = forms.BooleanField(label="每次专项行动应有", required=False)
    active = forms.BooleanField(label="启用", required=False)
    description = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    @staticmethod
    def initial_for(kind: RecordKind) -> dict:
        return {
            "retention_years": kind.retention_years,
            "phase": kind.phase,
            "expected": kind.expected,
            "active": kind.active,
            "description": kind.description,
        }
