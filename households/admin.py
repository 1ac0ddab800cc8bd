from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from households import models


@admin.register(models.Town)
class TownAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "district"]


@admin.register(models.Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "code", "town", "order"]
    list_filter = ["town", "kind"]


@admin.register(models.VillageGroup)
class VillageGroupAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "village", "number"]
    list_filter = ["village"]


@admin.register(models.Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "town", "extra_amount", "active"]


@admin.register(models.Standard)
class StandardAdmin(SimpleHistoryAdmin):
    list_display = ["town", "area", "monthly_amount", "effective_from"]
    list_filter = ["town", "area"]
