"""The /admin/ site: for 系统管理员 only, with the app's privacy rules.

Every ModelAdmin registered on this site (the project's and Django's own) is
wrapped in `PrivacyAdminMixin` by `KanjiaAdminSite.register`, so no admin can
forget them:
- personal numbers (`kanjia.masking.SENSITIVE_FIELDS`: ID numbers, bank accounts,
  phones) never reach a list, a form, a read-only page or a history diff
  unmasked; they are neither searchable nor sortable;
- a changelist accepts only the lookups of the filters the admin declares
  (`list_filter`, `date_hierarchy`, raw-id popups): `?id_number__startswith=`
  is refused with 400, so no count can spell a number out;
- every view of a model in `ACCESS_LOGGED` (households, members, staff profiles:
  list, page, history, old version) writes an access-log row.
A full ID number is revealed only through `households.services.member_id_reveal`
(the permission `households.reveal_id_number`, the same log as in the app).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.forms import widgets
from django.http import Http404, HttpRequest, HttpResponse

from kanjia.access import log_access
from kanjia.masking import SENSITIVE_FIELDS
from kanjia.models import AccessLog
from kanjia.roles import SYSADMIN, has_role

# Models whose every admin view is recorded in the access log (model label, lower case).
ACCESS_LOGGED = frozenset({"households.household", "households.member", "review.staff"})
# What may follow a declared filter's field path in a changelist query (the
# parameters Django's own list filters use; date_hierarchy uses the date parts).
FILTER_SUFFIXES = frozenset(
    {"", "exact", "isnull", "in", "id__exact", "pk__exact", "gte", "lt", "lte", "gt", "year", "month", "day"}
)


def _masked_display(name: str, label: str, masker: Callable[[str | None], str]) -> Callable[[Any], str]:
    @admin.display(description=label)
    def show(obj: Any) -> str:
        return masker(getattr(obj, name, "") or "")

    return show


class MaskingHistoryHelper:
    """Wraps simple-history's context helper: a diff of a personal number shows both sides masked."""

    def __init__(self, helper: Any, sensitive: dict[str, Callable[[str | None], str]]) -> None:
        self.helper = helper
        self.sensitive = sensitive
        original = helper.prepare_delta_change_value

        def prepare(change: Any, value: Any) -> Any:
            if change.field in sensitive:
                return sensitive[change.field](value if isinstance(value, str) else str(value or ""))
            return original(change, value)

        helper.prepare_delta_change_value = prepare

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        return self.helper.context_for_delta_changes(delta)


class PrivacyAdminMixin:
    """Masking, declared-lookups-only and access logging for one ModelAdmin (see the module docstring)."""

    model: type[models.Model]

    def __init__(self, model: type[models.Model], admin_site: AdminSite) -> None:
        super().__init__(model, admin_site)
        self.sensitive = {
            f.name: SENSITIVE_FIELDS[f.name] for f in model._meta.concrete_fields if f.name in SENSITIVE_FIELDS
        }
        for name, masker in self.sensitive.items():
            label = str(model._meta.get_field(name).verbose_name)
            setattr(self, f"masked_{name}", _masked_display(name, label, masker))

    # --- masking --------------------------------------------------------------------
    def _masked_names(self) -> list[str]:
        return [f"masked_{name}" for name in self.sensitive]

    def _swap(self, names: Any) -> list:
        out: list = []
        for name in names:
            item = f"masked_{name}" if isinstance(name, str) and name in self.sensitive else name
            if item not in out:
                out.append(item)
        return out

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        return self._swap(super().get_fields(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        return [
            (title, {**options, "fields": self._swap(options.get("fields", ()))})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        readonly = [f for f in super().get_readonly_fields(request, obj) if f not in self.sensitive]
        return readonly + [name for name in self._masked_names() if name not in readonly]

    def get_exclude(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        return [*(super().get_exclude(request, obj) or ()), *self.sensitive]

    def get_list_display(self, request: HttpRequest) -> list:
        return self._swap(super().get_list_display(request))

    def get_search_fields(self, request: HttpRequest) -> list:
        return [
            f
            for f in super().get_search_fields(request)
            if not set(f.lstrip("^=@").split(LOOKUP_SEP)) & set(SENSITIVE_FIELDS)
        ]

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        helper = super().get_historical_record_context_helper(request, historical_record)
        return MaskingHistoryHelper(helper, self.sensitive)

    # --- lookups: only the declared filters -----------------------------------------
    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        for fk_lookup in self.model._meta.related_fkey_lookups:  # raw-id popups (limit_choices_to)
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        if set(lookup.split(LOOKUP_SEP)) & set(SENSITIVE_FIELDS):
            return False
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        declared = {self.date_hierarchy} if self.date_hierarchy else set()
        for item in list_filter:
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                declared.add(item.parameter_name)
            elif isinstance(item, (list, tuple)):
                declared.add(item[0])
            else:
                declared.add(item)
        for path in declared:
            if lookup == path or (lookup.startswith(path + LOOKUP_SEP) and lookup[len(path) + 2 :] in FILTER_SUFFIXES):
                return True
        return False

    # --- access log ------------------------------------------------------------------
    def _logged(self) -> bool:
        return self.model._meta.label_lower in ACCESS_LOGGED

    def _log_view(self, request: HttpRequest, obj: models.Model | None, what: str) -> None:
        if not self._logged() or request.method not in ("GET", "HEAD"):
            return
        village_id = getattr(obj, "village_id", None)
        if village_id is None and obj is not None and getattr(obj, "household_id", None):
            village_id = obj.household.village_id
        label = self.model._meta.verbose_name
        log_access(
            request=request,
            user=request.user,
            action=AccessLog.Action.VIEW,
            obj=obj,
            village_id=village_id,
            detail=f"系统管理后台：{what}{label}" + (f"（{obj}）" if obj is not None else ""),
        )

    def _object(self, request: HttpRequest, object_id: str) -> models.Model | None:
        return self.get_object(request, object_id)

    # --- ids that are not ids (issue 16: no server error on any input) ----------------------------
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> models.Model | None:
        # `?_to_field=` (empty) passes Django's to_field check and then names a field "": not found, not a 500.
        return super().get_object(request, object_id, from_field or None)

    @staticmethod
    def _is_id(field: models.Field, value: str) -> bool:
        try:
            field.to_python(unquote(value))
        except (ValidationError, ValueError):
            return False
        return True

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            self._log_view(request, None, "查看列表：")
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            self._log_view(request, self._object(request, object_id), "查看")
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        if not self._is_id(self.model._meta.pk, object_id):  # simple-history filters by it unchecked
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._log_view(request, self._object(request, object_id), "查看变更记录：")
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        if not (self._is_id(self.model._meta.pk, object_id) and self._is_id(models.AutoField(), version_id)):
            raise Http404("没有找到这条历史版本。")
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200:
            self._log_view(request, self._object(request, object_id), "查看历史版本：")
        return response


class KanjiaAdminSite(AdminSite):
    """/admin/ is for 系统管理员 only: town officers work in the app's own pages."""

    site_header = "堪嘉镇城乡低保系统 · 系统管理"
    site_title = "系统管理"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or has_role(user, SYSADMIN)))

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, PrivacyAdminMixin):
            base = type(base.__name__, (PrivacyAdminMixin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)
