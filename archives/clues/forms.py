"""Forms of the inspector's register: fields listed explicitly; ids of cases and households typed as numbers."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from archives.clues.selectors import staff_candidates_for
from archives.clues.services import parse_ids
from archives.models import Clue
from households.models import Town
from kanjia.forms import BoundedModelMultipleChoiceField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.Select | forms.SelectMultiple):
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


def staff_label(user) -> str:
    staff = getattr(user, "staff", None)
    name = (staff.name if staff is not None else "") or user.get_full_name() or user.username
    post = f"，{staff.unit}{staff.post}" if staff is not None else ""
    return f"{name}（{user.username}{post}）"


class IdsField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_ids(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class ClueForm(forms.Form):
    found_on = forms.DateField(label="发现日期", widget=DATE)
    source = forms.ChoiceField(label="线索来源", choices=Clue.Source.choices)
    source_detail = forms.CharField(
        label="来源说明", max_length=100, required=False, help_text="如异常报告名称、举报编号"
    )
    title = forms.CharField(label="问题摘要", max_length=100)
    description = forms.CharField(label="发现的问题", widget=forms.Textarea(attrs={"rows": 4}))
    cases = IdsField(label="涉及案件编号", required=False, max_length=2000, help_text="多个编号用逗号或空格分隔")
    households = IdsField(label="涉及低保户编号", required=False, max_length=2000, help_text="多个编号用逗号或空格分隔")
    staff = BoundedModelMultipleChoiceField(
        label="涉及工作人员",
        queryset=get_user_model().objects.none(),
        required=False,
        help_text="被列为涉及人员的，看不到这条线索",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, user, towns: list[Town], **kwargs) -> None:
        """`towns`: the towns the clue may belong to. With more than one (a 区纪委 registering), the
        inspector picks the town first; its office is the one the clue is referred to."""
        super().__init__(*args, **kwargs)
        if len(towns) > 1:
            self.fields["town"] = forms.ModelChoiceField(
                label="乡镇(街道)",
                queryset=Town.objects.filter(pk__in=[t.pk for t in towns]).order_by("pk"),
                empty_label="请选择线索所在乡镇",
                help_text="线索按乡镇编号，交办该镇民政办",
                error_messages={"required": "请选择线索所在乡镇。", "invalid_choice": "请选择线索所在乡镇。"},
            )
            self.order_fields(["town"])
        # Nobody names themselves (the service refuses it too).
        candidates = staff_candidates_for(town_ids=[t.pk for t in towns])
        self.fields["staff"].queryset = candidates.exclude(pk=getattr(user, "pk", None))
        self.fields["staff"].label_from_instance = staff_label
        _style(self)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("town", None)  # the view passes the town
        data["case_ids"], data["household_ids"] = data.pop("cases"), data.pop("households")
        data["staff"] = list(data["staff"])
        return data


class ClueEditForm(ClueForm):
    status = forms.ChoiceField(label="办理状态", choices=Clue.Status.choices)
    findings = forms.CharField(label="核实情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    measure = forms.CharField(
        label="处理措施", widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="已处理时必填"
    )
    concluded_on = forms.DateField(label="办结日期", widget=DATE, required=False)

    @staticmethod
    def initial_for(clue: Clue) -> dict:
        return {
            "found_on": clue.found_on,
            "source": clue.source,
            "source_detail": clue.source_detail,
            "title": clue.title,
            "description": clue.description,
            "cases": " ".join(str(pk) for pk in clue.cases.values_list("pk", flat=True)),
            "households": " ".join(str(pk) for pk in clue.households.values_list("pk", flat=True)),
            "staff": list(clue.staff.values_list("pk", flat=True)),
            "status": clue.status,
            "findings": clue.findings,
            "measure": clue.measure,
            "concluded_on": clue.concluded_on,
        }


class ReferForm(forms.Form):
    note = forms.CharField(label="交办要求", widget=forms.Textarea(attrs={"rows": 2}))
    answer_due = forms.DateField(label="答复期限", widget=DATE, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
