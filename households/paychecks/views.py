from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from households.paychecks.selectors import may_refresh_checks
from households.paychecks.tasks import refresh_payment_checks
from households.selectors import villages_visible_to


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """立即测算: recompute the in-care households of the officer's town(s) (a background job with a worker)."""
    if not may_refresh_checks(user=request.user):
        raise PermissionDenied("只有镇民政办可以发起测算。")
    towns = villages_visible_to(user=request.user).values_list("town_id", flat=True).distinct()
    for town_id in towns:
        refresh_payment_checks.delay_on_commit(town_id=town_id)
    messages.success(request, "已开始按本月条件重新测算在保户的保障金，完成后刷新本页即可看到结果。")
    return redirect("households:list")
