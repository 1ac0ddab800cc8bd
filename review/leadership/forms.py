from django import forms

from review.leadership.selectors import leadership_candidates, person_name
from review.models import LeadershipMember


class LeadershipForm(forms.Form):
    user = forms.ModelChoiceField(label="人员", queryset=LeadershipMember.objects.none(), empty_label="请选择")
    role = forms.ChoiceField(label="职务", choices=LeadershipMember.Role.choices, initial=LeadershipMember.Role.MEMBER)
    duty = forms.CharField(label="单位职务", max_length=50, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = leadership_candidates()
        self.fields["user"].label_from_instance = lambda u: f"{person_name(u)}（{u.username}）"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-control form-control-sm" if name == "duty" else "form-select form-select-sm"
            )
