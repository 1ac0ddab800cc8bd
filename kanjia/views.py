from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from households.selectors import dashboard_counts, dashboard_towns
from kanjia import holidays, roles
from kanjia.forms import HolidayYearForm, attach_errors, query_id
from kanjia.models import HolidayYear
from kanjia.worklists import work_items


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "counts": dashboard_counts(user=request.user),
        "by_town": dashboard_towns(user=request.user),
        "work_items": work_items(user=request.user),
    }
    if holidays.can_edit_calendar(user=request.user):
        context["calendar_warning"] = holidays.missing_year_warning()
    return render(request, "dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    """节假日安排: the town office enters each year's holidays and make-up workdays; town-wide roles read."""
    user = request.user
    can_edit = holidays.can_edit_calendar(user=user)
    if not (can_edit or roles.reads_whole_town(user)):
        raise PermissionDenied("节假日安排由镇民政办录入。")
    form = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("节假日安排由镇民政办录入。")
        form = HolidayYearForm(request.POST)
        if form.is_valid():
            try:
                result = holidays.holiday_year_save(
                    year=form.cleaned_data["year"],
                    source=form.cleaned_data["source"],
                    text=form.cleaned_data["days"],
                    by=user,
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request,
                    f"已保存 {result.year.year} 年节假日安排（{result.days} 天），"
                    f"重新计算了 {result.recomputed} 项已存储的期限。",
                )
                return redirect("calendar")
    elif can_edit:
        edit = HolidayYear.objects.filter(year=query_id(request.GET.get("year")) or 0).first()
        initial = {"year": edit.year, "source": edit.source, "days": holidays.calendar_text(year=edit)} if edit else {}
        form = HolidayYearForm(initial=initial)
    context = {
        "form": form,
        "years": holidays.years_overview(),
        "warning": holidays.missing_year_warning(),
        "can_edit": can_edit,
    }
    return render(request, "calendar.html", context, status=400 if form is not None and form.errors else 200)


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """Shown by django-axes instead of the login form while an account is locked."""
    return render(request, "registration/locked_out.html", status=429)
