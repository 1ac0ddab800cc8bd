"""Admin for the archive's configuration (document kinds, checklist rows) and read-only records.

Imported by archives/admin.py. Documents, locations and payment rolls change only
through the services (uploads, retention, sync, generation): read-only here.
"""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from archives.models import Bag, ChecklistRequirement, Document, DocumentKind, PaymentRoll


@admin.register(DocumentKind)
class DocumentKindAdmin(SimpleHistoryAdmin):
    list_display = ["name", "retention", "order", "active"]
    list_editable = ["order", "active"]
    fields = ["name", "retention", "order", "active", "description"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # documents refer to their kind: switch it off instead


@admin.register(ChecklistRequirement)
class ChecklistRequirementAdmin(SimpleHistoryAdmin):
    list_display = ["case_kind", "stage", "kind", "blocks_approval", "active"]
    list_filter = ["case_kind", "stage", "active"]
    list_editable = ["blocks_approval", "active"]
    fields = ["case_kind", "stage", "kind", "blocks_approval", "active"]


class ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ["household", "kind", "original_name", "uploaded_at", "keep_until"]
    list_filter = ["kind"]


@admin.register(Bag)
class BagAdmin(ReadOnly):
    list_display = ["code", "household"]
    search_fields = ["code"]


@admin.register(PaymentRoll)
class PaymentRollAdmin(ReadOnly):
    list_display = ["__str__", "households", "total", "generated_at", "generated_by"]
