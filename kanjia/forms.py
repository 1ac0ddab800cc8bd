"""Form helpers shared by every app."""

import contextlib
import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The largest id a BigAutoField holds (PostgreSQL bigint, SQLite INTEGER): bigger is never an object.
ID_MAX = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")


def query_id(value: str | None) -> int | None:
    """An object id from a query string or a form value: ASCII digits within ID_MAX, else None.

    `str.isdigit()` is not enough: it accepts "²" and full-width digits, and any length
    (issue 16: `?campaign=99999999999999999999` gave a server error).
    """
    if not value or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= ID_MAX else None


class IdField(forms.IntegerField):
    """An object id typed into a form: 1 … ID_MAX."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


# What each integer column holds (PostgreSQL; SQLite holds 64 bits but the app runs on both).
INT_RANGES = {
    "SmallIntegerField": (-(2**15), 2**15 - 1),
    "PositiveSmallIntegerField": (0, 2**15 - 1),
    "IntegerField": (-(2**31), 2**31 - 1),
    "PositiveIntegerField": (0, 2**31 - 1),
    "AutoField": (1, 2**31 - 1),
    "BigIntegerField": (-ID_MAX - 1, ID_MAX),
    "PositiveBigIntegerField": (0, ID_MAX),
    "BigAutoField": (1, ID_MAX),
}


def bound_integers(form: forms.BaseForm) -> None:
    """Give every integer field of `form` the bounds of the column it ends in (issue 16: no 500 on 10^23).

    A ModelForm's field takes its model field's range; any other integer field is kept
    within 32 bits unless it already has tighter bounds. Forms whose services build the
    instances (so model validation never runs) need this most.
    """
    model = getattr(getattr(form, "_meta", None), "model", None)
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField) or isinstance(field, forms.FloatField | forms.DecimalField):
            continue
        low, high = INT_RANGES["IntegerField"]
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                low, high = INT_RANGES.get(model._meta.get_field(name).get_internal_type(), (low, high))
        if field.max_value is None or field.max_value > high:
            field.max_value = high
            field.validators.append(MaxValueValidator(high))
        if field.min_value is None or field.min_value < low:
            field.min_value = low
            field.validators.append(MinValueValidator(low))


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of objects that refuses ids no integer column holds.

    Django checks each chosen pk with `filter(pk=…)` (safe) but then runs `pk__in=[…]`,
    which fails on a number beyond 64 bits (a server error, issue 16).
    """

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        opts = self.queryset.model._meta
        field = opts.pk if key == "pk" else opts.get_field(key)
        limits = INT_RANGES.get(field.get_internal_type())
        if limits is not None:
            for pk in value:
                number = query_id(str(pk).strip())
                if number is None or not limits[0] <= number <= limits[1]:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)


def attach_errors(form: forms.Form, exc: ValidationError, *, on_top: Iterable[str] = ()) -> None:
    """Put a service's ValidationError next to the fields it names (item_5 → the item_5 field);
    errors for other keys, for fields in `on_top` (e.g. shown but disabled) or without a key go
    above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    top = set(on_top)
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields and key not in top else None, errors)


class HolidayYearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    source = forms.CharField(
        label="依据", max_length=200, help_text="国务院办公厅关于某年部分节假日安排的通知（名称或文号）"
    )
    days = forms.CharField(
        label="放假与调休上班日期",
        widget=forms.Textarea(
            attrs={
                "rows": 14,
                "placeholder": "2027-01-01 休 元旦\n2027-02-05至2027-02-11 休 春节\n2027-02-14 班 春节调休上班",
            }
        ),
        help_text="每行一天或一段日期（用“至”连接）；“休”为放假，“班”为调休上班；其后为说明。整年覆盖系统内置日历。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


def option_tag(value, label, *, selected: bool = False, extra: str = "") -> str:
    """One <option> as Django's option template writes it; `extra`: attributes, already escaped."""
    return f'<option value="{escape(value)}"{" selected" if selected else ""}{extra}>{escape(label)}</option>'


class PlainSelect(forms.Select):
    """A single <select> whose options are written in Python: the HTML of Django's templates, faster.

    Django renders every <option> through two included templates and builds a dict for each
    (about 0.2 ms per option): a district officer's filters list every village of the district
    (493 at 1,000,000 households), which took over 100 ms of the case list page on its own.
    Same rules as `ChoiceWidget.optgroups`: the first option whose value matches is selected,
    a None value is "", a (label, [choices]) pair is an <optgroup>.
    """

    allow_multiple_selected = False

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = self.format_value(value)
        # In the given order, as django/forms/widgets/attrs.html writes them (flatatt sorts).
        html_attrs = "".join(
            f" {escape(key)}" if val is True else f' {escape(key)}="{escape(val)}"'
            for key, val in self.build_attrs(self.attrs, attrs).items()
            if val is not False
        )
        parts = [f'<select name="{escape(name)}"{html_attrs}>']
        found = False

        def option(option_value, label) -> str:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            return option_tag(text, label, selected=selected)

        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(option(v, sub) for v, sub in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)
