from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from households.selectors import households_visible_to


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    households = households_visible_to(user=request.user).select_related("village", "group")
    page = Paginator(households.order_by("village__order", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "households/list.html", {"page": page})
