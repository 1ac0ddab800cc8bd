from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from households import idcard, models
from households.hooks import households_changed


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


# Registry data. System administrators see ID numbers and bank accounts masked
# like everyone else: the full number is shown (and logged) only on the
# household page, to users with the reveal permission.


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
    list_display = ["id", "head_name", "village", "group", "area", "status", "covered_persons", "base_amount"]
    list_filter = ["status", "area", "village"]
    list_select_related = ["village", "group"]
    search_fields = ["head_name"]
    exclude = ["bank_account", "head"]
    readonly_fields = ["masked_account", "version"]
    raw_id_fields = ["group", "category"]
    inlines = [MemberInline]

    @admin.display(description="银行账号")
    def masked_account(self, obj: models.Household) -> str:
        return idcard.mask(obj.bank_account)

    def household_ids(self, obj: models.Household) -> list[int]:
        return [obj.pk]


@admin.register(models.Member)
class MemberAdmin(TellsListeners, SimpleHistoryAdmin):
    list_display = ["name", "masked_id", "sex", "birth_date", "relation", "household", "covered"]
    list_select_related = ["household__village"]
    search_fields = ["name"]
    exclude = ["id_number"]
    readonly_fields = ["masked_id"]
    raw_id_fields = ["household"]

    @admin.display(description="身份证号码")
    def masked_id(self, obj: models.Member) -> str:
        return idcard.mask(obj.id_number)

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
