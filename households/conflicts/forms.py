from django import forms


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="处理情况", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )
