"""Forms for the town office's rules pages: field types and Chinese messages only.

The rules (a standard in force is never changed, no two standards for the same
town, area and date, no backdating, unique category names) live in
`households.policy.services`; the views put its errors next to the fields.
"""

from django import forms

from households.forms import DATE, StyledMixin
from households.models import Area, AssetKind, Category, Rounding, SupplementRule, Town
from kanjia.forms import attach_errors


def _money(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "required": f"请填写{label}。",
            "invalid": f"{label}应为数字，例如 470 或 470.50。",
            "min_value": f"{label}不能为负数。",
            "max_decimal_places": f"{label}最多保留两位小数（到分）。",
            "max_digits": f"{label}数额过大。",
            "max_whole_digits": f"{label}数额过大。",
        },
    )


def _town_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="乡镇",
        queryset=Town.objects.order_by("code"),
        empty_label=None,
        error_messages={"required": "请选择乡镇。", "invalid_choice": "所选乡镇不存在，请重新选择。"},
    )


class PolicyForm(StyledMixin, forms.Form):
    """On an edit page the town (and a standard's area) are shown but not changed."""

    fixed_on_edit: tuple[str, ...] = ("town",)

    def __init__(self, *args, editing: bool = False, towns=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if towns is not None:  # the user's own towns only (issue 19)
            self.fields["town"].queryset = towns
        if editing:
            for name in self.fixed_on_edit:
                self.fields[name].disabled = True
                self.fields[name].required = False
        else:
            self.fields.pop("active", None)
            towns = list(self.fields["town"].queryset[:2])
            if len(towns) == 1:
                self.initial.setdefault("town", towns[0].pk)
        self.style()

    def apply_errors(self, exc) -> None:
        """Put a service's ValidationError next to the fields it names (fixed fields: above the form)."""
        attach_errors(self, exc, on_top=self.fixed_on_edit)
        self.style()

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if not self.fields[k].disabled}


class StandardForm(PolicyForm):
    fixed_on_edit = ("town", "area")

    town = _town_field()
    area = forms.ChoiceField(label="城乡类别", choices=Area.choices, error_messages={"required": "请选择城市或农村。"})
    monthly_amount = _money("月保障标准(元/人)", help_text="每人每月的金额，单位：元")
    effective_from = forms.DateField(
        label="执行起始日期",
        widget=DATE,
        help_text="从这一天起执行；某月的保障金按该月1日执行的标准计算。",
        error_messages={
            "required": "请填写执行起始日期。",
            "invalid": "执行起始日期格式不正确，应为 年-月-日，例如 2022-01-01。",
        },
    )
    rounding = forms.ChoiceField(
        label="保障金取整方式",
        choices=Rounding.choices,
        initial=Rounding.YUAN,
        error_messages={"required": "请选择保障金取整方式。", "invalid_choice": "请选择保障金取整方式。"},
    )
    note = forms.CharField(label="文件依据", max_length=200, required=False, help_text="例如 资民发〔2021〕12号")


class CategoryForm(PolicyForm):
    town = _town_field()
    name = forms.CharField(
        label="类别名称",
        max_length=50,
        error_messages={"required": "请填写类别名称。", "max_length": "类别名称不能超过 50 个字。"},
    )
    extra_amount = _money("每人每月加发金额(元)")
    description = forms.CharField(label="适用说明", max_length=200, required=False)
    active = forms.BooleanField(label="启用（登记低保户时可选）", required=False)


class PropertyRuleForm(PolicyForm):
    town = _town_field()
    name = forms.CharField(
        label="规则名称",
        max_length=100,
        error_messages={"required": "请填写规则名称。", "max_length": "规则名称不能超过 100 个字。"},
    )
    kind = forms.ChoiceField(
        label="财产类型",
        choices=AssetKind.choices,
        error_messages={"required": "请选择财产类型。", "invalid_choice": "请选择财产类型。"},
    )
    max_quantity = forms.IntegerField(
        label="数量上限",
        required=False,
        min_value=0,
        help_text="留空表示不限数量；0 表示不得拥有",
        error_messages={"invalid": "数量上限应为整数。", "min_value": "数量上限不能为负数。"},
    )
    max_value = _money("价值上限(元)", required=False, help_text="留空表示不限价值")
    active = forms.BooleanField(label="启用（计算保障金时核查）", required=False)


def _age(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=150,
        error_messages={"invalid": f"{label}应为整数。", "min_value": "年龄不能为负数。", "max_value": "年龄过大。"},
    )


class CategoryMapForm(StyledMixin, forms.Form):
    """One category's criteria on the mapping page (the category is the form's prefix)."""

    extra_amount = _money("每人每月加发金额(元)")
    age_at_least = _age("年满(岁)及以上")
    age_under = _age("未满(岁)")
    disability_grades = forms.CharField(
        label="残疾等级", required=False, max_length=10, help_text="例如“1,2”表示一、二级残疾"
    )
    serious_illness = forms.BooleanField(label="重病患者", required=False)
    manual = forms.BooleanField(label="人工认定（逐人登记，须写明理由）", required=False)
    nobody = forms.BooleanField(label="无人符合（本类不加发）", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def apply_errors(self, exc) -> None:
        attach_errors(self, exc)


class SupplementRuleForm(StyledMixin, forms.Form):
    rule = forms.ChoiceField(
        label="符合多个类别时",
        choices=SupplementRule.choices,
        error_messages={"required": "请选择发放方式。", "invalid_choice": "请选择发放方式。"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class MemberCategoryForm(StyledMixin, forms.Form):
    id_number = forms.CharField(
        label="成员身份证号码", max_length=18, error_messages={"required": "请填写成员的身份证号码。"}
    )
    category = forms.ModelChoiceField(
        label="分类施保类别",
        queryset=Category.objects.none(),
        error_messages={"required": "请选择类别。", "invalid_choice": "所选类别不存在或不是人工认定的类别。"},
    )
    reason = forms.CharField(
        label="认定理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "人工认定分类施保须写明理由。", "max_length": "理由不能超过 300 个字。"},
    )

    def __init__(self, *args, towns=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(manual=True, active=True, mapped_at__isnull=False)
        self.fields["category"].queryset = categories if towns is None else categories.filter(town__in=towns)
        self.style()

    def apply_errors(self, exc) -> None:
        attach_errors(self, exc)
