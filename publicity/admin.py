"""Admin: the office's policy text and per-campaign periods are edited here; rounds and
objections change only through the publicity services (pages), so they are read-only."""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from publicity import models


@admin.register(models.PolicySheet)
class PolicySheetAdmin(SimpleHistoryAdmin):
    list_display = ["title", "active", "updated_by", "updated_at"]
    fields = ["title", "body", "active"]

    def save_model(self, request: HttpRequest, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(models.RoundSetting)
class RoundSettingAdmin(SimpleHistoryAdmin):
    list_display = ["campaign", "days"]


class ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(models.PublicityRound)
class PublicityRoundAdmin(ReadOnly):
    list_display = ["village", "campaign", "number", "status", "starts_on", "ends_on"]
    list_filter = ["status", "number"]


@admin.register(models.Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ["pk", "round", "received_on", "channel", "result"]
    list_filter = ["result", "channel"]
