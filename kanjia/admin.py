from django.contrib.admin import AdminSite
from django.http import HttpRequest

from kanjia.roles import SYSADMIN, has_role


class KanjiaAdminSite(AdminSite):
    """/admin/ is for 系统管理员 only: town officers work in the app's own pages."""

    site_header = "堪嘉镇城乡低保系统 · 系统管理"
    site_title = "系统管理"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or has_role(user, SYSADMIN)))
