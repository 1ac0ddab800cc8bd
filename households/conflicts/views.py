"""/households/conflicts/: duplicate ID numbers met outside a user's villages, for the town office to resolve."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from households.conflicts import selectors, services
from households.conflicts.forms import ResolveForm
from households.selectors import villages_visible_to
from kanjia import roles


def _readable(request: HttpRequest):
    conflicts = selectors.conflicts_visible_to(user=request.user)
    if not roles.has_role(request.user, roles.TOWN_OFFICE, roles.DISTRICT, *roles.INSPECTORS):
        raise Http404
    return conflicts


@login_required
@require_safe
def conflict_list(request: HttpRequest) -> HttpResponse:
    conflicts = _readable(request)
    show = request.GET.get("show", "open")
    if show != "all":
        conflicts = conflicts.filter(resolved_at__isnull=True)
    page = Paginator(conflicts, 50).get_page(request.GET.get("page"))
    can_resolve = roles.has_role(request.user, roles.TOWN_OFFICE) and not roles.is_read_only(request.user)
    # A holder in another town (重复享受) is named by town only: its household is that town's (issue 19).
    mine = set(villages_visible_to(user=request.user).values_list("pk", flat=True))
    for conflict in page:
        conflict.holder_here = bool(conflict.holder and conflict.holder.household.village_id in mine)
    context = {"page": page, "show": show, "can_resolve": can_resolve, "form": ResolveForm()}
    return render(request, "households/conflicts/list.html", context)


@login_required
@require_POST
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(_readable(request), pk=pk)
    if not (roles.has_role(request.user, roles.TOWN_OFFICE) and not roles.is_read_only(request.user)):
        raise PermissionDenied("只有镇民政办可以处理重复登记线索。")
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.id_conflict_resolve(conflict=conflict, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已记录处理情况。")
    else:
        messages.error(request, "请填写处理情况（不超过 300 字）。")
    return redirect("households:conflicts")
