from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from households import idcard, models
from households.hooks import households_changed
from households.services import member_id_reveal


class TellsListeners:
    """Admin saves and deletes reach the same listeners as the services' writes
    (near-relatives rematch, archive bag locations), after the commit."""

    def household_ids(self, obj) -> list[int]:
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        ids = self.household_ids(obj)
        moved_from = form.initial.get("household")  # a member moved to another household: both change
        households_changed(household_ids=ids + ([moved_from] if moved_from else []), by=request.user)

    def delete_model(self, request, obj) -> None:
        ids = self.household_ids(obj)
        super().delete_model(request, obj)
        households_changed(household_ids=ids, by=request.user)


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


@admin.register(models.PropertyRule)
class PropertyRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "town", "kind", "max_quantity", "max_value", "active"]
    list_filter = ["town", "kind", "active"]


# Registry data. System administrators see ID numbers, phones and bank accounts
# masked like everyone else (kanjia.admin masks every admin); a full ID number
# is shown only to users with the reveal permission, and logged, as in the app.


class MemberInline(admin.TabularInline):
    model = models.Member
    fields = ["name", "masked_id", "relation", "covered", "died_on", "moved_out_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="身份证号码")
    def masked_id(self, obj: models.Member) -> str:
        return idcard.mask(obj.id_number)


@admin.register(models.Household)
class HouseholdAdmin(TellsListeners, SimpleHistoryAdmin):
    # phone and bank_account are masked and read-only here (kanjia.admin); they change on the household page.
    list_display = ["id", "head_name", "village", "group", "area", "status", "covered_persons", "base_amount"]
    list_filter = ["status", "area", "village"]
    list_select_related = ["village", "group"]
    search_fields = ["head_name"]
    exclude = ["head"]
    readonly_fields = ["version"]
    raw_id_fields = ["group", "category"]
    inlines = [MemberInline]

    def household_ids(self, obj: models.Household) -> list[int]:
        return [obj.pk]


@admin.register(models.Member)
class MemberAdmin(TellsListeners, SimpleHistoryAdmin):
    # id_number is shown masked (kanjia.admin); 查看完整号码 goes through member_id_reveal, as in the app.
    list_display = ["name", "id_number", "sex", "birth_date", "relation", "household", "covered"]
    list_select_related = ["household__village"]
    search_fields = ["name"]
    readonly_fields = ["reveal_link"]
    raw_id_fields = ["household"]

    @admin.display(description="完整身份证号码")
    def reveal_link(self, obj: models.Member) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:households_member_reveal_id", args=[obj.pk])
        return format_html('<a href="{}">查看完整号码（需权限，留痕）</a>', url)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.reveal_id_view)
        return [path("<int:pk>/reveal-id/", view, name="households_member_reveal_id"), *super().get_urls()]

    def reveal_id_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET asks, POST reveals: the same permission and access-log row as the household page."""
        member = get_object_or_404(models.Member.objects.select_related("household"), pk=pk)
        if not request.user.has_perm("households.reveal_id_number"):
            raise PermissionDenied("您没有查看完整身份证号码的权限。")
        number = member_id_reveal(member=member, by=request.user, request=request) if request.method == "POST" else ""
        context = {
            **self.admin_site.each_context(request),
            "title": f"查看 {member.name} 的完整身份证号码",
            "member": member,
            "number": number,
            "opts": self.model._meta,
        }
        return render(request, "admin/households/member_reveal.html", context)

    def household_ids(self, obj: models.Member) -> list[int]:
        return [obj.household_id]


@admin.register(models.Asset)
class AssetAdmin(SimpleHistoryAdmin):
    list_display = ["household", "kind", "quantity", "value"]
    list_filter = ["kind"]
    list_select_related = ["household__village"]
    raw_id_fields = ["household"]


@admin.register(models.IncomeItem)
class IncomeItemAdmin(SimpleHistoryAdmin):
    list_display = ["household", "member", "kind", "counted", "monthly_amount"]
    list_filter = ["kind", "counted"]
    list_select_related = ["household__village", "member"]
    raw_id_fields = ["household", "member"]


@admin.register(models.ReviewFlag)
class ReviewFlagAdmin(SimpleHistoryAdmin):
    list_display = ["household", "kind", "source", "disposition", "raised_at", "disposed_by"]
    list_filter = ["kind", "source", "disposition"]
    list_select_related = ["household__village", "disposed_by"]
    raw_id_fields = ["household", "member", "raised_by", "disposed_by"]
