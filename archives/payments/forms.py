"""Payment-roll forms."""

from django import forms


class RollForm(forms.Form):
    month = forms.CharField(
        label="发放年月",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}),
    )
    note = forms.CharField(
        label="备注",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
