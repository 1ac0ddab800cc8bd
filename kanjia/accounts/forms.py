from django import forms

from households.models import Town
from kanjia.accounts.services import ASSIGNABLE_ROLES
from kanjia.models import RoleChange


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, f in self.fields.items():
            css = "form-select form-select-sm" if isinstance(f.widget, forms.Select) else "form-control form-control-sm"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            f.widget.attrs["class"] = css


class AccountCreateForm(StyledForm):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=150)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(render_value=True),
        help_text="至少 8 位，含大写、小写、数字、符号中的 3 类。",
    )


class RenameForm(StyledForm):
    full_name = forms.CharField(label="姓名", max_length=150)


class PasswordForm(StyledForm):
    password = forms.CharField(
        label="新密码",
        widget=forms.PasswordInput,
        help_text="至少 8 位，含大写、小写、数字、符号中的 3 类；请当面告知本人。",
    )


class RoleForm(StyledForm):
    change = forms.ChoiceField(label="变更", choices=RoleChange.Change.choices)
    role = forms.ChoiceField(label="角色", choices=[(r, r) for r in ASSIGNABLE_ROLES])
    town = forms.ModelChoiceField(
        label="乡镇",
        queryset=Town.objects.order_by("code"),
        required=False,
        empty_label="（区级角色不选）",
        help_text="镇民政办、纪委监察（镇纪委）须选择所在乡镇；区民政局、区纪委监察面向全区。",
        error_messages={"invalid_choice": "所选乡镇不存在，请重新选择。"},
    )
    reason = forms.CharField(label="理由", max_length=200, required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(label="理由", max_length=200, required=False)
