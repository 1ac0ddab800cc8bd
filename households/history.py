"""The history tab: who changed what in a household, when, old → new.

Reads django-simple-history rows of the household and of its members, assets,
income items and flags: one query per model, diffs computed in memory. Field
names are the models' Chinese verbose names; ID numbers and bank accounts stay
masked in the diffs as everywhere else.
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from households import idcard
from households.models import Asset, Category, Household, IncomeItem, Member, ReviewFlag, Village, VillageGroup

# Bookkeeping fields; who raised or disposed of a flag is the history row's user.
SKIP = {"id", "household", "version", "created_at", "updated_at", "raised_at", "source_key", "raised_by", "disposed_by"}
MASKED = {"id_number", "bank_account"}
ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
LIMIT = 300


@dataclass
class Diff:
    field: str
    old: str
    new: str


@dataclass
class Change:
    when: datetime
    user: str
    what: str
    action: str
    diffs: list[Diff] = field(default_factory=list)


def _display(model, name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "（空）"
    if name in MASKED:
        return idcard.mask(str(value))
    f = model._meta.get_field(name)
    if f.is_relation:
        return names.get((f.related_model, value), f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in SKIP]


def _label(model, row) -> str:
    title = model._meta.verbose_name
    if model is Member:
        return f"{title} {row.name}"
    if model is Household:
        return f"{title} {row.head_name}" if row.head_name else str(title)
    if model is ReviewFlag:
        return f"{title} {dict(ReviewFlag.Kind.choices).get(row.kind, row.kind)}"
    return f"{title} {row.get_kind_display() if hasattr(row, 'get_kind_display') else ''}"


def _names(rows_by_model: dict) -> dict:
    names: dict = {}
    for r in rows_by_model[Member]:
        names[(Member, r.id)] = r.name
    ids = {f: set() for f in ("village_id", "group_id", "category_id")}
    for r in rows_by_model[Household]:
        for key in ids:
            ids[key].add(getattr(r, key))
    names.update({(Village, v.pk): v.name for v in Village.objects.filter(pk__in=ids["village_id"])})
    names.update({(VillageGroup, g.pk): str(g) for g in VillageGroup.objects.filter(pk__in=ids["group_id"])})
    names.update({(Category, c.pk): c.name for c in Category.objects.filter(pk__in=ids["category_id"])})
    return names


def household_changes(*, household: Household) -> list[Change]:
    models = {
        Household: Household.history.filter(id=household.pk),
        Member: Member.history.filter(household_id=household.pk),
        Asset: Asset.history.filter(household_id=household.pk),
        IncomeItem: IncomeItem.history.filter(household_id=household.pk),
        ReviewFlag: ReviewFlag.history.filter(household_id=household.pk),
    }
    rows_by_model = {
        m: list(qs.select_related("history_user").order_by("id", "history_date", "history_id"))
        for m, qs in models.items()
    }
    names = _names(rows_by_model)
    changes: list[Change] = []
    for model, rows in rows_by_model.items():
        fields = _fields(model)
        per_object: dict[int, list] = {}
        for r in rows:
            per_object.setdefault(r.id, []).append(r)
        for versions in per_object.values():
            for prev, row in [(None, versions[0]), *pairwise(versions)]:
                diffs = []
                for f in fields:
                    old = getattr(prev, f.attname) if prev is not None else None
                    new = getattr(row, f.attname)
                    if old != new and (prev is not None or new not in (None, "")):
                        diffs.append(
                            Diff(
                                str(f.verbose_name),
                                _display(model, f.name, old, names),
                                _display(model, f.name, new, names),
                            )
                        )
                if diffs or row.history_type != "~":
                    user = row.history_user
                    changes.append(
                        Change(
                            when=row.history_date,
                            user=(user.get_full_name() or user.username) if user else "系统",
                            what=_label(model, row),
                            action=ACTIONS[row.history_type],
                            diffs=diffs if row.history_type != "-" else [],
                        )
                    )
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:LIMIT]
