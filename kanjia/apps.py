from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class KanjiaConfig(AppConfig):
    default = True
    name = "kanjia"
    verbose_name = "系统"


class KanjiaAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "kanjia.admin.KanjiaAdminSite"
