from django import forms

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
    reason = forms.CharField(label="理由", max_length=200, required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(label="理由", max_length=200, required=False)
