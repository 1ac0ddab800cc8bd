from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kanjia import roles
from kanjia.models import AccessLog


@login_required
def audit_index(request: HttpRequest) -> HttpResponse:
    """The audit trail is for discipline inspectors and the town office only."""
    if not roles.has_role(request.user, roles.INSPECTOR, roles.TOWN_OFFICE):
        raise PermissionDenied("审计记录仅供纪委监察和镇民政办查阅。")
    recent = AccessLog.objects.select_related("user")[:50]
    return render(request, "archives/audit.html", {"recent": recent})
