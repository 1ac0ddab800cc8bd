"""How the office names things: objects, field names, coded values, structured data (the labels registry).

The audit pages and exports (archives.audit) show every model of every app. Apps register what only
they know in their `AppConfig.ready()`:

- `register_label(Model, label, related=...)`: the object's name as the office says it
  (成员 张三（胡石桥村 3组）, 专项行动《…》); `related` are the select_related paths the label reads,
  so a page of labels costs one query per model.
- `register_field_names(Model, {"field": "中文名"})`: for fields whose verbose_name was never set.
- `register_codes(Model, "field", {"code": "中文"})`: coded values without Django choices
  (a case step's action `town_review` → 审核通过，报区民政局审批).
- `register_value(Model, "field", formatter)`: structured values (JSON) as labelled fields.

A model nobody registered still gets a readable label: its verbose name, its name-like field, and the
label of the object it belongs to (case, household, member, campaign …), never a bare `#id`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone

Label = Callable[[Any], str]
Formatter = Callable[[Any], list[tuple[str, str]]]

# Name-like attributes, in the order they are tried for an unregistered model.
NAME_FIELDS = ("name", "head_name", "title", "relative_name", "staff_name", "code", "number")
# The object a record belongs to, in the order they are tried (first found names the owner).
OWNER_FIELDS = (
    "case",
    "household",
    "member",
    "investigation",
    "appraisal",
    "campaign",
    "meeting",
    "round",
    "sample",
    "analysis",
    "team",
    "village",
    "town",
    "user",
)
MAX_DEPTH = 3


@dataclass
class Describer:
    label: Label
    related: tuple[str, ...] = ()


_labels: dict[type[models.Model], Describer] = {}
_field_names: dict[tuple[type[models.Model], str], str] = {}
_codes: dict[tuple[type[models.Model], str], dict[str, str]] = {}
_values: dict[tuple[type[models.Model], str], Formatter] = {}
# JSON keys seen in structured values, in Chinese (shared: a key means the same thing everywhere).
_json_keys: dict[str, str] = {}


def register_label(model: type[models.Model], label: Label, *, related: Iterable[str] = ()) -> None:
    _labels[model] = Describer(label, tuple(related))


def register_field_names(model: type[models.Model], names: dict[str, str]) -> None:
    for name, text in names.items():
        _field_names[(model, name)] = text


def register_codes(model: type[models.Model], field: str, codes: dict[str, str]) -> None:
    _codes[(model, field)] = dict(codes)


def register_value(model: type[models.Model], field: str, formatter: Formatter) -> None:
    _values[(model, field)] = formatter


def register_json_keys(keys: dict[str, str]) -> None:
    _json_keys.update(keys)


# --- Objects ------------------------------------------------------------------------------------


def _concrete(model: type[models.Model]) -> type[models.Model]:
    """The tracked model behind a simple-history model (labels speak of the object, not its history)."""
    return getattr(model, "instance_type", None) or model


def _owner_field(model: type[models.Model]) -> models.ForeignKey | None:
    for name in OWNER_FIELDS:
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if (f.many_to_one or f.one_to_one) and f.concrete and f.related_model is not model:
            return f
    return None


def related_paths(model: type[models.Model], depth: int = 0) -> tuple[str, ...]:
    """select_related paths that `label_of` reads for `model` (registered, or derived from its owner)."""
    model = _concrete(model)
    if model in _labels:
        return _labels[model].related
    if depth >= MAX_DEPTH:
        return ()
    owner = _owner_field(model)
    if owner is None:
        return ()
    return (owner.name, *(f"{owner.name}__{p}" for p in related_paths(owner.related_model, depth + 1)))


def verbose(model: type[models.Model]) -> str:
    return str(_concrete(model)._meta.verbose_name)


def _name_of(obj: Any) -> str:
    for attr in NAME_FIELDS:
        value = getattr(obj, attr, None)
        if value not in (None, ""):
            return str(value)
    return ""


def label_of(obj: Any, *, depth: int = 0) -> str:
    """The office's name for `obj` (a model instance, or a historical row of one)."""
    if obj is None:
        return "（空）"
    model = _concrete(type(obj))
    if model is get_user_model():
        return user_label(obj)
    if model in _labels:
        return _labels[model].label(obj)
    text = verbose(model)
    name = _name_of(obj)
    if name:
        text = f"{text} {name}"
    owner = _owner_field(model) if depth < MAX_DEPTH else None
    if owner is not None:
        parent = getattr(obj, owner.name, None) if getattr(obj, owner.attname, None) else None
        if parent is not None:
            return f"{text} · {label_of(parent, depth=depth + 1)}"
    if not name:
        text = f"{text}（编号 {obj.pk}）"
    return text


def user_label(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full}（{user.get_username()}）" if full else user.get_username()


def labels_for(model: type[models.Model], pks: Iterable[Any]) -> dict[Any, str]:
    """{pk: label} for objects of `model`, one query (plus any the registered labels need)."""
    model = _concrete(model)
    wanted = {pk for pk in pks if pk not in (None, "")}
    if not wanted:
        return {}
    pk_field = model._meta.pk
    try:
        wanted = {pk_field.to_python(pk) for pk in wanted}
    except (ValueError, TypeError, ValidationError):  # a malformed id (e.g. in the access log): not found
        wanted = {pk for pk in wanted if str(pk).isdigit()}
    qs = model._base_manager.filter(pk__in=wanted)
    paths = related_paths(model)
    if paths:
        qs = qs.select_related(*paths)
    found = {obj.pk: label_of(obj) for obj in qs}
    for pk in wanted - set(found):
        found[pk] = f"{verbose(model)}（已删除，编号 {pk}）"
    return found


def model_for(label_lower: str) -> type[models.Model] | None:
    """`households.member` → Member; None for an empty or unknown name."""
    try:
        return apps.get_model(label_lower) if label_lower and "." in label_lower else None
    except LookupError:
        return None


# --- Fields and values ------------------------------------------------------------------------------


def field_name(model: type[models.Model], name: str) -> str:
    """A field's name in Chinese: registered, else its verbose name, else its target model's name."""
    model = _concrete(model)
    if (model, name) in _field_names:
        return _field_names[(model, name)]
    try:
        f = model._meta.get_field(name)
    except FieldDoesNotExist:
        return _json_keys.get(name, name)
    text = str(getattr(f, "verbose_name", "") or "")
    derived = f.name.replace("_", " ")
    if text and text != derived:
        return text
    if f.is_relation and f.related_model is not None:
        return verbose(f.related_model)
    return _json_keys.get(name, text or name)


def code_label(model: type[models.Model], field: str, value: Any) -> str | None:
    codes = _codes.get((_concrete(model), field))
    if codes is None:
        return None
    return codes.get(str(value), str(value))


def formatter_for(model: type[models.Model], field: str) -> Formatter | None:
    return _values.get((_concrete(model), field))


def plain(value: Any) -> str:
    """A scalar in the office's words."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def structured(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A JSON value as labelled fields (key names in Chinese where registered), never a Python repr."""
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            name = _json_keys.get(str(key), str(key))
            out += structured(item, f"{prefix}·{name}" if prefix else name)
        return out
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return [(prefix, "、".join(plain(item) for item in value) or "（空）")]
        out = []
        for i, item in enumerate(value, 1):
            out += structured(item, f"{prefix}·第{i}项" if prefix else f"第{i}项")
        return out
    return [(prefix, plain(value))]
