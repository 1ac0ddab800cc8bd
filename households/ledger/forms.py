"""Forms of the ledger pages: uploads (ledger, roster) and the export choice."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from households.ledger.format import MAX_FILE_BYTES
from households.models import Household, Roster
from households.selectors import villages_visible_to
from households.towns.forms import VillageChoiceField


class XlsxField(forms.FileField):
    default_error_messages = {"required": "请选择要上传的 Excel 文件（.xlsx）。", "empty": "文件是空的。"}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".xlsx", "class": "form-control"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None:
            if not upload.name.lower().endswith(".xlsx"):
                raise forms.ValidationError("只接受 .xlsx 文件。若是 .xls 或 .et 文件，请在 Excel/WPS 中另存为 .xlsx。")
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(f"文件过大（{upload.size / 1024 / 1024:.1f} MB），上限为 20 MB。")
        return upload


class LedgerUploadForm(forms.Form):
    file = XlsxField(label="台账文件")


class RosterUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="名单类别",
        choices=[("", "请选择……"), *Roster.Kind.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "请选择名单类别。"},
    )
    file = XlsxField(label="名单文件")


class ExportForm(forms.Form):
    village = VillageChoiceField(
        label="村(社区)",
        queryset=None,
        required=False,
        empty_label="我可查看的全部村(社区)",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label="保障状态",
        choices=[("", "全部状态"), *Household.Status.choices],
        required=False,
        initial=Household.Status.ACTIVE,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages_visible_to(user=user).order_by("order", "pk")
