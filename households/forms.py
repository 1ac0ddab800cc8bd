"""Forms for the household pages: one household form and three formsets on one page.

Forms check input and put a Chinese message next to the field at fault; they
never save. `to_input` hands the cleaned rows to `services.household_create` /
`household_update`, which validate again and save everything or nothing.
Existing ID numbers and bank accounts are never sent back to the browser: the
field is left empty with the masked value as a hint, and empty means "keep".
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from households import idcard
from households.conflicts.selectors import NEUTRAL, THROTTLED, IdCheck, id_holders_check
from households.models import Asset, Category, Household, IncomeItem, Member, ReviewFlag, VillageGroup
from households.selectors import villages_changeable_by
from households.services import MEMBER_FORM_FIELDS, HouseholdInput
from households.towns.forms import VillageChoiceField
from kanjia.forms import bound_integers

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Rows one household page takes (issue 16): a posted TOTAL_FORMS beyond them is refused with
# "请提交不超过 N 个表单" instead of building (and rendering) thousands of empty rows.
MAX_MEMBERS = 30
MAX_ASSETS = 50
MAX_INCOMES = 100


class StyledMixin:
    """Bootstrap classes on every widget; is-invalid where there is an error."""

    def style(self) -> None:
        for name, f in self.fields.items():
            widget = f.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            widget.attrs["class"] = css


class NoModelValidation:
    """The services validate and build the instances; the form must not touch them.

    Model validation never runs, so integer fields get their columns' bounds here
    (an asset quantity of 10^23 was a server error, issue 16).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bound_integers(self)

    def _post_clean(self) -> None:
        pass


class GroupSelect(forms.Select):
    """组 options carry their village (data-village); static/js/app.js shows only the chosen village's groups."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None) -> dict:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-village"] = str(instance.village_id)
        return option


class HouseholdForm(StyledMixin, NoModelValidation, forms.ModelForm):
    start_month = forms.DateField(
        label="纳入保障年月",
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    class Meta:
        model = Household
        fields = [
            "village",
            "group",
            "address",
            "area",
            "category",
            "phone",
            "bank_name",
            "bank_account",
            "start_month",
        ]

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        villages = villages_changeable_by(user=user)
        self.fields["village"].queryset = villages
        self.fields["group"].queryset = VillageGroup.objects.filter(village__in=villages).select_related("village")
        self.fields["group"].label_from_instance = lambda g: f"{g.village.name} {g}"
        self.fields["group"].widget = GroupSelect(
            choices=self.fields["group"].choices, attrs={"data-filter-by": self.add_prefix("village")}
        )
        # A deactivated category stays selectable for a household that already has it,
        # so that saving the household does not silently drop it.
        self.fields["category"].queryset = Category.objects.filter(Q(active=True) | Q(pk=self.instance.category_id))
        self.fields["category"].empty_label = "（不分类）"
        self.stored_account = self.instance.bank_account if self.instance.pk else ""
        if self.stored_account:
            self.initial["bank_account"] = ""
            self.fields["bank_account"].help_text = f"当前：{idcard.mask(self.stored_account)}，留空表示不修改"
        self.style()

    def clean_phone(self) -> str:
        phone = idcard.normalize(self.cleaned_data["phone"]).replace("-", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            raise ValidationError("联系电话应为 7–12 位数字（手机号 11 位）。")
        return phone

    def clean_bank_account(self) -> str:
        account = idcard.normalize(self.cleaned_data["bank_account"])
        if account and not (account.isdigit() and 10 <= len(account) <= 30):
            raise ValidationError("银行账号应为 10–30 位数字。")
        return account

    def clean(self) -> dict:
        data = super().clean()
        group, village = data.get("group"), data.get("village")
        if group and village and group.village_id != village.pk:
            self.add_error("group", f"{group}不属于{village}，请重新选择。")
        return data

    def household_fields(self) -> dict:
        fields = dict(self.cleaned_data)
        if self.stored_account and not fields["bank_account"]:
            del fields["bank_account"]
        return fields


class MemberForm(StyledMixin, NoModelValidation, forms.ModelForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    id_number = forms.CharField(label="身份证号码", required=False, max_length=40)

    class Meta:
        model = Member
        fields = list(MEMBER_FORM_FIELDS)  # the services' allowlist, one place
        widgets = {"died_on": DATE, "moved_out_on": DATE}

    field_order = ["id", "name", "id_number", "relation"]

    def __init__(self, *args, masked: dict[int, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        member_id = self.initial.get("id")
        self.masked = (masked or {}).get(member_id, "")
        if self.masked:
            self.fields["id_number"].widget.attrs["placeholder"] = self.masked
            self.fields["id_number"].help_text = "已登记，留空表示不修改"
        self.style()

    def clean_id_number(self) -> str:
        raw = self.cleaned_data["id_number"]
        return idcard.parse(raw).number if raw.strip() else ""

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("id") and not data.get("id_number") and "id_number" not in self.errors:
            self.add_error("id_number", "请填写身份证号码。")
        if data.get("health") == Member.Health.SERIOUS and not data.get("illness"):
            self.add_error("illness", "重病须填写病种。")
        if data.get("disability") and not data.get("disability_grade"):
            self.add_error("disability_grade", "有残疾的须填写残疾等级（1–4 级）。")
        if data.get("disability_grade") and not data.get("disability"):
            self.add_error("disability", "填写了残疾等级，请选择残疾类别。")
        return data


class AssetForm(StyledMixin, NoModelValidation, forms.ModelForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Asset
        fields = ["kind", "description", "quantity", "value"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()


HOUSEHOLD_INCOME = "household"
NEW_MEMBER = "new-"


@dataclass(frozen=True)
class NewMemberRef:
    """An income row's member that is being added in the same submit: the member formset's row index."""

    index: int


class IncomeForm(StyledMixin, NoModelValidation, forms.ModelForm):
    """An income row. Its member may be a stored member or one added in the same submit.

    The edit page is rendered before any new member exists, so a new member
    cannot be offered on the first submit. When the submit adds members, a new
    income row left at the default is therefore refused with a message (nothing
    is saved, everything entered comes back) and the new members are offered,
    next to an explicit "家庭" choice: an income meant for the new member is
    never silently stored as household income.
    """

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    member = forms.ChoiceField(
        label="成员",
        required=False,
        error_messages={"invalid_choice": "所选成员不在本户（或本次已删除），请重新选择这项收入属于谁。"},
    )

    class Meta:
        model = IncomeItem
        fields = ["member", "kind", "counted", "monthly_amount", "source", "period_start", "period_end"]
        widgets = {"period_start": DATE, "period_end": DATE}

    def __init__(
        self,
        *args,
        members: QuerySet[Member] | None = None,
        new_members: dict[int, str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stored_members = {m.pk: m for m in (members if members is not None else [])}
        self.new_members = new_members or {}
        stored_row = self.initial.get("id") or (self.is_bound and self.data.get(self.add_prefix("id")))
        self.must_choose = bool(self.new_members) and not stored_row
        field = self.fields["member"]
        if self.must_choose:
            field.choices = [("", "（请选择收入归属）"), (HOUSEHOLD_INCOME, "家庭（不指定成员）")]
        else:
            field.choices = [("", "家庭（不指定成员）")]
        field.choices += [(str(pk), m.name) for pk, m in self.stored_members.items()]
        field.choices += [(f"{NEW_MEMBER}{i}", f"{name}（本次新增）") for i, name in self.new_members.items()]
        field.help_text = "新增的成员在此按行号列出，提交一次后按姓名列出"
        self.style()

    def clean_member(self) -> Member | NewMemberRef | None:
        value = self.cleaned_data["member"]
        if value == HOUSEHOLD_INCOME:
            return None
        if not value:
            if self.must_choose:
                names = "、".join(self.new_members.values())
                raise ValidationError(
                    f"本次同时新增了成员{names}，请在此选择这项收入属于谁（新增成员已列入选项）；"
                    "属于全家的收入请选“家庭（不指定成员）”。"
                )
            return None
        if value.startswith(NEW_MEMBER):
            return NewMemberRef(int(value.removeprefix(NEW_MEMBER)))
        return self.stored_members[int(value)]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "截止日期不能早于起始日期。")
        return data


class MemberFormSet(forms.BaseFormSet):
    def __init__(self, *args, household: Household | None = None, user=None, **kwargs) -> None:
        self.household = household
        self.user = user
        self.id_check = IdCheck()  # what the duplicate check answered; the view records it
        self.stored = {m.pk: m.id_number for m in household.members.all()} if household else {}
        masked = {pk: idcard.mask(number) for pk, number in self.stored.items()}
        kwargs["form_kwargs"] = {"masked": masked}
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not self._should_delete_form(f) and (f.initial.get("id") or f.has_changed())
        ]
        if not kept:
            raise ValidationError("每户至少要有一名家庭成员（户主）。")
        heads = [f for f in kept if f.cleaned_data["relation"] == Member.Relation.HEAD]
        if len(heads) != 1:
            raise ValidationError(f"每户须有且只有一名户主（当前为 {len(heads)} 名），请检查“与户主关系”。")
        numbers: dict[str, MemberForm] = {}
        for f in kept:
            number = f.cleaned_data["id_number"] or self.stored.get(f.cleaned_data.get("id"), "")
            if number in numbers:
                f.add_error("id_number", f"与成员{numbers[number].cleaned_data['name']}的身份证号码重复。")
            numbers[number] = f
        current = [n for n, f in numbers.items() if not f.cleaned_data.get("moved_out_on")]
        self.id_check = check = id_holders_check(
            user=self.user,
            numbers=current,
            known=set(self.stored.values()),
            exclude_household_id=self.household.pk if self.household else None,
        )
        if check.throttled:
            raise ValidationError(THROTTLED)
        for number, other in check.visible.items():
            where = f"{other.household.village} {other.household.head_name}户"
            numbers[number].add_error("id_number", f"该身份证号码已是{where}的在册成员，不能重复登记。")
        for number in check.hidden:  # outside the user's villages: no village, head or name
            numbers[number].add_error("id_number", NEUTRAL)


def member_formset(*, data=None, household: Household | None = None, user=None) -> MemberFormSet:
    factory = forms.formset_factory(
        MemberForm,
        formset=MemberFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_MEMBERS,
        absolute_max=MAX_MEMBERS,
        validate_max=True,
    )
    initial = [
        {**{f: getattr(m, f) for f in MemberForm.Meta.fields}, "id": m.pk}
        for m in (household.members.all() if household else [])
    ] or [{"relation": Member.Relation.HEAD}]
    return factory(data=data, prefix="members", household=household, user=user, initial=initial)


def asset_formset(*, data=None, household: Household | None = None) -> forms.BaseFormSet:
    factory = forms.formset_factory(
        AssetForm, extra=1, can_delete=True, max_num=MAX_ASSETS, absolute_max=MAX_ASSETS, validate_max=True
    )
    initial = [{**{f: getattr(a, f) for f in AssetForm.Meta.fields}, "id": a.pk} for a in _all(household, "assets")]
    return factory(data=data, prefix="assets", initial=initial)


def income_formset(*, data=None, household: Household | None = None, member_rows: int = 0) -> forms.BaseFormSet:
    """`member_rows`: how many rows the page's member formset shows (used before the first submit)."""
    factory = forms.formset_factory(
        IncomeForm, extra=1, can_delete=True, max_num=MAX_INCOMES, absolute_max=MAX_INCOMES, validate_max=True
    )
    fields = [f for f in IncomeForm.Meta.fields if f != "member"]
    initial = [
        {**{f: getattr(i, f) for f in fields}, "member": str(i.member_id or ""), "id": i.pk}
        for i in _all(household, "incomes")
    ]
    members = household.members.all() if household else Member.objects.none()
    if data is None:
        # Before the first submit the new members have no names yet: offer the member rows the page shows.
        new_members = {i: f"成员栏第 {i + 1} 行" for i in range(len(members), member_rows)}
    else:
        new_members = _new_members(data)
    form_kwargs = {"members": members, "new_members": new_members}
    return factory(data=data, prefix="incomes", initial=initial, form_kwargs=form_kwargs)


def _new_members(data) -> dict[int, str]:
    """{member row index: name} of the members this submit adds (named, not stored, not deleted)."""
    if data is None:
        return {}
    try:
        total = min(int(data.get("members-TOTAL_FORMS") or 0), 1000)
    except ValueError:
        return {}
    found = {}
    for i in range(total):
        name = (data.get(f"members-{i}-name") or "").strip()
        if name and not data.get(f"members-{i}-id") and not data.get(f"members-{i}-DELETE"):
            found[i] = name
    return found


def _all(household: Household | None, related: str) -> list:
    return list(getattr(household, related).all()) if household else []


def _rows(formset: forms.BaseFormSet) -> list[dict]:
    rows = []
    for form in formset.forms:
        if not form.initial.get("id") and not form.has_changed():
            continue  # an untouched blank row
        data = dict(form.cleaned_data)
        data["delete"] = bool(data.pop("DELETE", False))
        rows.append(data)
    return rows


def to_input(*, form: HouseholdForm, members, assets, incomes) -> HouseholdInput:
    member_rows = _rows(members)
    # Member formset row index -> position in member_rows, for incomes of members added now.
    kept = [i for i, f in enumerate(members.forms) if f.initial.get("id") or f.has_changed()]
    position = {index: n for n, index in enumerate(kept)}
    income_rows = _rows(incomes)
    for row in income_rows:
        if isinstance(row.get("member"), NewMemberRef):
            row["member_row"] = position.get(row.pop("member").index)
    return HouseholdInput(
        fields=form.household_fields(),
        members=member_rows,
        assets=_rows(assets),
        incomes=income_rows,
    )


class FlagDispositionForm(StyledMixin, forms.Form):
    disposition = forms.ChoiceField(
        label="处理结论",
        choices=[c for c in ReviewFlag.Disposition.choices if c[0] != ReviewFlag.Disposition.PENDING],
    )
    note = forms.CharField(
        label="核实说明",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写核实说明（核实了什么、依据是什么）。"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ManualFlagForm(StyledMixin, forms.Form):
    kind = forms.TypedChoiceField(label="复核类别", choices=ReviewFlag.Kind.choices, coerce=int, initial=9)
    reason = forms.CharField(label="登记原因", max_length=300, error_messages={"required": "请填写登记原因。"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ListFilterForm(forms.Form):
    """The list page's search, filters and sort; unknown values are simply ignored."""

    q = forms.CharField(label="搜索", required=False, max_length=50)
    village = VillageChoiceField(label="村(社区)", queryset=None, required=False, empty_label="全部村(社区)")
    group = forms.ModelChoiceField(label="组", queryset=None, required=False, empty_label="全部组")
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Household.Status.choices])
    category = forms.ModelChoiceField(
        label="分类", queryset=Category.objects.all(), required=False, empty_label="全部分类"
    )
    area = forms.ChoiceField(label="城乡", required=False, choices=[("", "城市和农村"), *Household.area.field.choices])
    flag = forms.ChoiceField(
        label="复核标记",
        required=False,
        choices=[("", "不限复核标记"), ("any", "有待核实的标记"), *[(str(k), v) for k, v in ReviewFlag.Kind.choices]],
    )
    paid = forms.ChoiceField(label="金额核对", required=False, choices=[("", "不限"), ("off", "现发与本月测算不一致")])
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("", "按村组"),
            ("head", "户主姓名"),
            ("status", "状态"),
            ("-persons", "保障人数(多→少)"),
            ("-amount", "月保障金(高→低)"),
            ("-updated", "最近更新"),
        ],
    )

    def __init__(self, *args, villages, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        # Every visible group, each option marked with its village: static/js/app.js keeps only the
        # chosen village's groups as soon as a village is picked (no submit needed first).
        self.fields["group"].queryset = groups.select_related("village")
        self.fields["group"].label_from_instance = lambda g: f"{g.village.name} {g}"
        self.fields["group"].widget = GroupSelect(
            choices=self.fields["group"].choices, attrs={"data-filter-by": self.add_prefix("village")}
        )
        for f in self.fields.values():
            select = isinstance(f.widget, forms.Select)
            f.widget.attrs["class"] = "form-select form-select-sm" if select else "form-control form-control-sm"

    def clean(self) -> dict:
        data = super().clean()
        village, group = data.get("village"), data.get("group")
        if village is not None and group is not None and group.village_id != village.pk:
            self.add_error("group", "所选组不属于所选村(社区)。")  # dropped by values(): the village still filters
        return data

    def values(self) -> tuple[str, dict, str]:
        """(query, filters, sort) from what was valid; invalid filters are dropped."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        filters = {
            "village": data["village"].pk if data.get("village") else None,
            "group": data["group"].pk if data.get("group") else None,
            "status": data.get("status"),
            "category": data["category"].pk if data.get("category") else None,
            "area": data.get("area"),
            "flag": data.get("flag"),
            "paid": data.get("paid"),
        }
        return data.get("q", ""), filters, data.get("sort", "")
