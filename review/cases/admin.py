"""Admin for campaigns and cases: read-only with history.

Cases change only through `review.cases.workflow.case_advance` (locks, checks, steps);
the admin is for system administrators to look things up, never to edit.
"""

from django.contrib import admin

from review import models
from review.teams.admin import ReadOnlyAdmin


class CampaignPhaseInline(admin.TabularInline):
    model = models.CampaignPhase
    fields = ["kind", "starts_on", "ends_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class CaseStepInline(admin.TabularInline):
    model = models.CaseStep
    fields = ["at", "from_status", "to_status", "action", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "scope_date", "appraisal_required", "launched_at"]
    inlines = [CampaignPhaseInline]


@admin.register(models.Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "household", "campaign", "team", "status", "outcome", "due_on", "overall_due"]
    list_filter = ["status", "kind", "outcome", "campaign"]
    list_select_related = ["household__village", "campaign", "team"]
    search_fields = ["household__head_name"]
    raw_id_fields = ["household"]
    inlines = [CaseStepInline]


for model in (
    models.Acceptance,
    models.Investigation,
    models.Appraisal,
    models.RegistrationForm,
    models.TownReview,
    models.DistrictApproval,
):
    admin.site.register(model, ReadOnlyAdmin)
