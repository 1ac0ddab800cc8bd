from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class KanjiaConfig(AppConfig):
    default = True
    name = "kanjia"
    verbose_name = "系统"

    def ready(self) -> None:
        # `<int:pk>` in every URLconf (ours and other apps' future ones) matches 1 to 18 digits:
        # a longer number is never an id (a bigint holds 19) and must be a 404, not a database
        # overflow (issue 16: /households/99999999999999999999999/flags/1/ was a server error).
        # Patterns compile their regex on first use, after ready().
        from django.urls.converters import IntConverter

        IntConverter.regex = "[0-9]{1,18}"

        # A role change is the account's (not its town's, which a town-level role also names).
        from kanjia import labels
        from kanjia.models import RoleChange

        labels.register_label(
            RoleChange, lambda change: f"角色变更 · {labels.user_label(change.user)}", related=("user",)
        )


class KanjiaAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "kanjia.admin.KanjiaAdminSite"
