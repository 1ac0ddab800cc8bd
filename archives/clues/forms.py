"""Forms of the inspector's register: fields listed explicitly; ids of cases and households typed as numbers."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from archives.clues.selectors import staff_candidates_for
from archives.clues.services import parse_ids
from archives.models import Clue
from households.models import Town
from households.towns.selectors import towns_of_accounts
from kanjia import roles
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


class StaffByTownIterator(forms.models.ModelChoiceIterator):
    """A 区纪委's staff choices: each town's people under the town's name, then the district's and
    those working in no town. Each person carries the towns they work in (`town_ids`), for the
    widget's data-town attribute. Three queries (people, their towns, the district's)."""

    def __iter__(self):
        people = list(self.queryset)
        ids = [person.pk for person in people]
        towns = towns_of_accounts(user_ids=ids)
        district = set(
            get_user_model()
            .objects.filter(pk__in=ids, groups__name__in=roles.DISTRICT_LEVEL)
            .values_list("pk", flat=True)
        )
        names = dict(Town.objects.filter(pk__in={t for ts in towns.values() for t in ts}).values_list("pk", "name"))
        by_town: dict[int, list] = {}
        others: dict[str, list] = {"区民政局、区纪委": [], "未在任何乡镇工作": []}
        for person in people:
            person.town_ids = sorted(towns.get(person.pk, ()))
            if person.town_ids:
                by_town.setdefault(person.town_ids[0], []).append(self.choice(person))
            else:
                others["区民政局、区纪委" if person.pk in district else "未在任何乡镇工作"].append(self.choice(person))
        yield from ((names[town], items) for town, items in sorted(by_town.items()))
        yield from ((label, items) for label, items in others.items() if items)


class StaffByTownSelect(forms.SelectMultiple):
    """Options say which towns the person works in; static/js/app.js hides other towns' people once
    the clue's town is chosen (the service checks it again on saving)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        towns = getattr(getattr(value, "instance", None), "town_ids", None)
        if towns:
            option["attrs"]["data-town"] = " ".join(str(t) for t in towns)
        return option


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
            staff = self.fields["staff"]
            staff.iterator = StaffByTownIterator
            staff.widget = StaffByTownSelect(
                attrs={
                    "size": 10,
                    "data-filter-by": self.add_prefix("town"),
                    "data-filter-key": "town",
                    "data-filter-empty": "all",
                }
            )
            staff.help_text = "选定乡镇后只列出该镇和区级的人员；被列为涉及人员的，看不到这条线索"
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
