"""Household register pages. Thin: scoping in selectors, writes in services.

A household outside the user's villages is a 404; visible but not changeable
is a 403 with the reason.
"""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from households import forms, selectors
from households.benefit import benefit_for
from households.conflicts.services import id_conflicts_record
from households.flags import dispose_flag, raise_manual_flag
from households.history import household_changes
from households.models import Household, IdConflict, ReviewFlag
from households.paychecks.selectors import may_refresh_checks, paid_off_summary
from households.policy.selectors import can_view_policy
from households.services import household_create, household_update, member_id_reveal
from households.towns.selectors import is_district_wide
from kanjia.forms import query_id
from kanjia.middleware import reads_only
from kanjia.roles import INSPECTOR, TOWN_OFFICE, has_role

NO_CHANGE = "您只能查阅此户，没有修改权限（仅负责该村的清理小组和镇民政办可以修改）。"


def _changeable(request: HttpRequest, household: Household) -> Household:
    if not selectors.can_change_village(user=request.user, village_id=household.village_id):
        raise PermissionDenied(NO_CHANGE)
    return household


SEARCHES_KEPT = 20  # saved number searches per session
NUMBER_IN_URL = "为保护个人信息，身份证号、电话、银行账号不能放在网址中查找，请在搜索框中输入后点“查找”。"
SEARCH_EXPIRED = "这个查找已过期（只在本次登录内有效），请重新输入号码查找。"


def _saved_search(request: HttpRequest, token: str) -> str | None:
    return request.session.get("searches", {}).get(token)


@login_required
@require_safe
def household_list(request: HttpRequest) -> HttpResponse:
    """Name searches are bookmarkable GETs (`?q=张`); a number-like query never is: it arrives by POST
    (`household_search`) and is found again here by an opaque per-session token (`?s=…`)."""
    villages = selectors.villages_visible_to(user=request.user)
    data = request.GET.copy()
    if selectors.looks_like_number(data.get("q", "")):
        data.pop("q")
        messages.warning(request, NUMBER_IN_URL)
    token = data.get("s", "")
    if token:
        saved = _saved_search(request, token)
        if saved is None:
            data.pop("s")
            messages.warning(request, SEARCH_EXPIRED)
        else:
            data["q"] = saved
    groups = selectors.list_filter_groups(user=request.user, village=data.get("village", ""))
    form = forms.ListFilterForm(data, villages=villages, groups=groups)
    query, filters, sort = form.values()
    page = selectors.household_list_page(
        user=request.user, query=query, filters=filters, sort=sort, number=request.GET.get("page")
    )
    params = data.copy()
    params.pop("page", None)
    if token and "s" in params:
        params.pop("q", None)  # the token stands for the number
    visible = selectors.households_visible_to(user=request.user)
    # The paid-vs-computed figures are about the whole register: said on its overview (and on the list of
    # those households, ?paid=off), not above every search and filter, where the clerk looks for someone.
    overview = not query and not any(value for key, value in filters.items() if key != "paid")
    large = overview and selectors.scope_is_large(user=request.user)
    context = {
        "page": page,
        "form": form,
        "query_string": params.urlencode(),
        "can_create": selectors.villages_changeable_by(user=request.user).exists(),
        "can_view_policy": can_view_policy(user=request.user),
        "can_view_conflicts": has_role(request.user, TOWN_OFFICE, INSPECTOR),
        # At district scale the summary would read every household in care on every page: the filter
        # (?paid=off) stays, the figures are left out.
        "paid_off": paid_off_summary(visible, month=timezone.localdate()) if overview and not large else None,
        "paid_off_left_out": large,
        # A town office whose own register is that large is not sent to "the town office's list".
        "left_out_for_district": large and is_district_wide(user=request.user),
        "can_refresh_checks": may_refresh_checks(user=request.user),
    }
    return render(request, "households/list.html", context)


@reads_only  # inspectors search too: a saved search changes no data
@login_required
@require_POST
def household_search(request: HttpRequest) -> HttpResponse:
    """The list's search form posts here. A name goes back into the address (bookmarkable); a number
    (ID, its last digits, phone, bank account) is kept in the session under a random token, so it is
    never in a request line, a server or proxy log, the browser history or a Referer header."""
    params = QueryDict(mutable=True)
    for key in forms.ListFilterForm.base_fields:
        value = request.POST.get(key, "")
        if value and key != "q":
            params[key] = value[:100]
    query = request.POST.get("q", "").strip()[:50]
    if selectors.looks_like_number(query):
        token = secrets.token_urlsafe(12)
        searches = request.session.get("searches", {})
        searches = dict(list(searches.items())[-(SEARCHES_KEPT - 1) :])
        searches[token] = query
        request.session["searches"] = searches
        params["s"] = token
    elif query:
        params["q"] = query
    url = reverse("households:list")
    return redirect(f"{url}?{params.urlencode()}" if params else url)


@login_required
@require_safe
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(selectors.household_detail(user=request.user), pk=pk)
    flags = list(household.flags.all())
    computation = benefit_for(household=household)
    context = {
        "household": household,
        "computation": computation,
        # Paid other than computed (issue 14): said next to what is paid, not only in the lists.
        "paid_differs": household.status == Household.Status.ACTIVE and computation.total != household.monthly_total,
        "open_flags": [f for f in flags if f.is_open],
        "closed_flags": [f for f in flags if not f.is_open],
        "can_change": selectors.can_change_village(user=request.user, village_id=household.village_id),
        "can_reveal": request.user.has_perm("households.reveal_id_number"),
        "tab": "detail",
    }
    return render(request, "households/detail.html", context)


@login_required
@require_safe
def household_history(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(selectors.households_visible_to(user=request.user).select_related("village"), pk=pk)
    context = {"household": household, "changes": household_changes(household=household), "tab": "history"}
    return render(request, "households/history.html", context)


def _edit_page(request: HttpRequest, household: Household | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = forms.HouseholdForm(data, instance=household or Household(), user=request.user)
    members = forms.member_formset(data=data, household=household, user=request.user)
    assets = forms.asset_formset(data=data, household=household)
    incomes = forms.income_formset(data=data, household=household, member_rows=len(members.forms))
    valid = data is not None and all([form.is_valid(), members.is_valid(), assets.is_valid(), incomes.is_valid()])
    if data is not None:
        village = form.cleaned_data.get("village") if hasattr(form, "cleaned_data") else None
        id_conflicts_record(
            check=members.id_check,
            user=request.user,
            source=IdConflict.Source.FORM,
            village_id=village.pk if village else (household.village_id if household else None),
        )
    if valid:
        payload = forms.to_input(form=form, members=members, assets=assets, incomes=incomes)
        try:
            if household is None:
                household = household_create(data=payload, by=request.user)
            else:
                # A version that is not a number is a stale form: the service says so, nothing is lost.
                version = query_id(request.POST.get("version")) or 0
                household = household_update(household=household, version=version, data=payload, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存 {household.head_name} 户的信息。")
            return redirect("households:detail", pk=household.pk)
    context = {"form": form, "members": members, "assets": assets, "incomes": incomes, "household": household}
    return render(request, "households/edit.html", context, status=400 if data is not None else 200)


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    if not selectors.villages_changeable_by(user=request.user).exists():
        raise PermissionDenied("您没有登记低保户的权限。")
    return _edit_page(request, None)


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(selectors.households_visible_to(user=request.user), pk=pk)
    return _edit_page(request, _changeable(request, household))


@reads_only  # inspectors may reveal: it records a read, changes nothing
@login_required
@require_POST
def member_reveal_id(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    member = get_object_or_404(
        selectors.members_visible_to(user=request.user).select_related("household"), pk=member_pk, household_id=pk
    )
    member_id_reveal(member=member, by=request.user, request=request)
    template = "households/_revealed_id.html" if request.headers.get("HX-Request") else "households/revealed.html"
    return render(request, template, {"member": member})


@login_required
def flag_dispose(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    flag = get_object_or_404(
        selectors.flags_visible_to(user=request.user).select_related("household__village", "member"),
        pk=flag_pk,
        household_id=pk,
    )
    form = forms.FlagDispositionForm(request.POST or None)
    if request.method == "POST":
        _changeable(request, flag.household)
        if form.is_valid():
            try:
                dispose_flag(flag=flag, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "已记录核实结论。")
                return redirect("households:detail", pk=pk)
    can_change = selectors.can_change_village(user=request.user, village_id=flag.household.village_id)
    context = {"flag": flag, "form": form, "household": flag.household, "can_change": can_change}
    return render(request, "households/flag.html", context)


@login_required
def flag_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(selectors.households_visible_to(user=request.user).select_related("village"), pk=pk)
    _changeable(request, household)
    form = forms.ManualFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            raise_manual_flag(household=household, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已登记重点复核标记。")
            return redirect("households:detail", pk=pk)
    return render(request, "households/flag_new.html", {"form": form, "household": household, "kinds": ReviewFlag.Kind})
