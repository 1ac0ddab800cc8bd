from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from households import idcard
from review import models
from review.teams.services import staff_upsert


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Teams, their villages and members change only through `review.teams.services` (the team pages):
    the guardian grants must change in the same transaction, which the admin cannot guarantee."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TeamVillageInline(admin.TabularInline):
    model = models.TeamVillage
    fields = ["village", "active", "assigned_at", "unassigned_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TeamMembershipInline(admin.TabularInline):
    model = models.TeamMembership
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(models.ReviewTeam)
class ReviewTeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "leader", "active_from", "active_to"]
    inlines = [TeamVillageInline, TeamMembershipInline]


@admin.register(models.TeamVillage)
class TeamVillageAdmin(ReadOnlyAdmin):
    list_display = ["team", "village", "active", "assigned_at", "unassigned_at"]
    list_filter = ["active", "team"]


@admin.register(models.TeamMembership)
class TeamMembershipAdmin(ReadOnlyAdmin):
    list_display = ["team", "user", "role", "joined_at"]
    list_filter = ["team", "role"]


class StaffForm(forms.ModelForm):
    # The stored numbers are never put back into the page: they are shown masked
    # (kanjia.admin) and only replaced when a new one is typed.
    new_id_number = forms.CharField(label="公民身份号码（留空则不变）", max_length=18, required=False)
    new_phone = forms.CharField(label="联系电话（留空则不变）", max_length=20, required=False)

    class Meta:
        model = models.Staff
        fields = ["user", "name", "unit", "post"]

    def clean_new_id_number(self) -> str:
        raw = self.cleaned_data.get("new_id_number", "")
        if not raw:
            return ""
        try:
            return idcard.parse(raw).number
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


@admin.register(models.Staff)
class StaffAdmin(SimpleHistoryAdmin):
    form = StaffForm
    # phone and id_number are shown masked by kanjia.admin; every view of a profile is access-logged.
    list_display = ["name", "unit", "post", "phone", "id_number", "user"]
    list_filter = ["unit"]
    search_fields = ["name", "user__username"]

    def save_model(self, request: HttpRequest, obj: models.Staff, form: StaffForm, change: bool) -> None:
        data = form.cleaned_data
        staff = staff_upsert(
            user=data["user"],
            name=data["name"],
            unit=data["unit"],
            post=data.get("post", ""),
            phone=data.get("new_phone") or (obj.phone if change else ""),
            id_number=data.get("new_id_number") or (obj.id_number if change else ""),
            by=request.user,
        )
        obj.pk = staff.pk

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Campaigns and cases (issue 5) register their own read-only admins.
