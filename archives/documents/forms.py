"""Archive forms: fields listed explicitly; the household comes from the URL, never the form."""

from django import forms

from archives.documents.services import MAX_SIZE
from archives.models import DocumentKind
from archives.models.documents import STAGES
from review.models import Case


class UploadForm(forms.Form):
    kind = forms.ModelChoiceField(label="材料类别", queryset=DocumentKind.objects.filter(active=True), empty_label=None)
    case = forms.ModelChoiceField(
        label="所属案件", queryset=Case.objects.none(), required=False, empty_label="不限（本户通用）"
    )
    stage = forms.ChoiceField(label="环节", choices=[("", "—"), *STAGES], required=False)
    file = forms.FileField(
        label="文件",
        help_text=f"PDF、JPEG 或 PNG，不超过 {MAX_SIZE // 1024 // 1024} MB。",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cases = Case.objects.filter(household=household).order_by("-id")
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda c: f"{c.kind}#{c.pk}（{c.status}）"
        open_case = next((c for c in cases if c.is_open), None)
        if open_case is not None and not self.is_bound:
            self.initial.setdefault("case", open_case.pk)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if name in ("kind", "case", "stage") else "form-control form-control-sm",
            )


LEVEL_CHOICES = [("bag", "档案袋"), ("box", "档案盒"), ("cabinet", "档案柜")]
