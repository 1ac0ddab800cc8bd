from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from households.selectors import dashboard_counts


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard.html", {"counts": dashboard_counts(user=request.user)})


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """Shown by django-axes instead of the login form while an account is locked."""
    return render(request, "registration/locked_out.html", status=429)
