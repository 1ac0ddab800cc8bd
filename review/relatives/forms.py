"""Forms for declarations and the register: field types and Chinese labels; rules live in review.relatives.services."""

from django import forms

from households.towns.forms import VillageChoiceField
from kanjia.forms import IdField
from review.cases.forms import DATE, TEXTAREA, StyledForm
from review.models import Relation, RelativeFiling
from review.relatives.services import RelativeIn


class RelativeForm(StyledForm):
    relation = forms.ChoiceField(label="关系", choices=[("", "请选择"), *Relation.choices])
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=20)
    address = forms.CharField(label="住址", max_length=200, required=False)

    def to_input(self) -> RelativeIn:
        d = self.cleaned_data
        return RelativeIn(d["relation"], d["name"], d["id_number"], d.get("address") or "")


RelativeFormSet = forms.formset_factory(
    RelativeForm, extra=2, can_delete=True, max_num=30, absolute_max=30, validate_max=True
)


class RegisterFilterForm(StyledForm):
    village = VillageChoiceField(label="村(社区)", queryset=None, required=False, empty_label="全部")
    status = forms.ChoiceField(label="备案状态", choices=[("", "全部"), *RelativeFiling.Status.choices], required=False)
    source = forms.ChoiceField(label="来源", choices=[("", "全部"), *RelativeFiling.Source.choices], required=False)
    q = forms.CharField(label="姓名", required=False, max_length=50)

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class ReportForm(StyledForm):
    reported_on = forms.DateField(label="报区民政局日期", widget=DATE)


class VerifyForm(StyledForm):
    verified_on = forms.DateField(label="核查日期", widget=DATE)
    note = forms.CharField(label="核查情况", widget=TEXTAREA)


class ManualFilingForm(StyledForm):
    user = forms.ModelChoiceField(label="工作人员", queryset=None)
    household = IdField(label="低保户编号")
    relation = forms.ChoiceField(label="关系", choices=[("", "请选择"), *Relation.choices])
    name = forms.CharField(label="近亲属姓名", max_length=50)
    id_number = forms.CharField(label="近亲属身份证号码", max_length=20)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, users, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name() or u.username}（{u.username}）"
