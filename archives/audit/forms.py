from django import forms
from django.contrib.auth import get_user_model

from archives.audit.services import CHANGE_KINDS, object_kinds
from households.models import Village
from households.towns.forms import VillageChoiceField
from kanjia.forms import IdField


class TimelineFilterForm(forms.Form):
    user = forms.ModelChoiceField(label="操作人", queryset=get_user_model().objects.none(), required=False)
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    village = VillageChoiceField(label="村(社区)", queryset=Village.objects.none(), required=False)
    household = IdField(label="低保户编号", required=False)
    object_kind = forms.ChoiceField(label="对象类型", required=False)
    change = forms.ChoiceField(label="变动类型", required=False)
    before = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.order_by("username")
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name() or u.username}（{u.username}）"
        self.fields["village"].queryset = villages
        self.fields["object_kind"].choices = [("", "全部"), *object_kinds()]
        self.fields["change"].choices = [("", "全部"), *CHANGE_KINDS.items()]
        for f in self.fields.values():
            f.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if isinstance(f, forms.ChoiceField) else "form-control form-control-sm",
            )
