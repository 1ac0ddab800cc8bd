"""Outreach pages: per-village totals and records, record an activity, an activity's photos. Thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from households.selectors import villages_visible_to
from kanjia.forms import attach_errors, query_id
from review import filing
from review.cases.selectors import campaigns_visible_to
from review.models import Outreach
from review.outreach import selectors, services
from review.outreach.forms import OutreachForm, PhotoForm


def _int(value: str | None) -> int | None:
    return query_id(value)


@login_required
@require_safe
def outreach_list(request: HttpRequest) -> HttpResponse:
    campaign_id = _int(request.GET.get("campaign"))
    village_id = _int(request.GET.get("village"))
    records = list(selectors.outreach_list(user=request.user, campaign_id=campaign_id, village_id=village_id)[:200])
    photos = filing.files_of(user=request.user, outreach=records)
    for record in records:
        record.photos = photos.get(("outreach", record.pk), [])
    context = {
        "totals": selectors.outreach_totals(user=request.user, campaign_id=campaign_id),
        "records": records,
        "campaigns": campaigns_visible_to(user=request.user),
        "villages": villages_visible_to(user=request.user).order_by("order", "id"),
        "campaign_id": campaign_id,
        "village_id": village_id,
        "can_record": services.outreach_refusal(user=request.user, village=None) is None,
    }
    return render(request, "review/outreach/list.html", context)


@login_required
def outreach_new(request: HttpRequest) -> HttpResponse:
    refusal = services.outreach_refusal(user=request.user, village=None)
    if refusal:
        raise PermissionDenied(refusal)
    initial = {"held_on": timezone.localdate()}
    for name in ("campaign", "village"):
        if (value := _int(request.GET.get(name))) is not None:
            initial[name] = value
    form = OutreachForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.outreach_create(
                by=request.user, photo=form.cleaned_data.get("photo"), **form.service_kwargs()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记宣传记录：{record}。")
            query = f"?campaign={record.campaign_id}" if record.campaign_id else ""
            return redirect(reverse("review:outreach") + query)
    return render(request, "review/outreach/form.html", {"form": form}, status=400 if form.errors else 200)


def _record(request: HttpRequest, pk: int) -> Outreach:
    return get_object_or_404(
        selectors.outreach_visible_to(user=request.user).select_related("village", "campaign", "created_by"), pk=pk
    )


def _detail(request: HttpRequest, record: Outreach, *, form=None, status: int = 200) -> HttpResponse:
    can_change = services.outreach_refusal(user=request.user, village=record.village) is None
    context = {
        "record": record,
        "files": filing.files_of(user=request.user, outreach=[record]).get(("outreach", record.pk), []),
        "form": form or (PhotoForm() if can_change and filing.can_attach() else None),
    }
    return render(request, "review/outreach/detail.html", context, status=status)


@login_required
@require_safe
def outreach_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _record(request, pk))


@login_required
@require_POST
def outreach_photo(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    refusal = services.outreach_refusal(user=request.user, village=record.village)
    if refusal:
        raise PermissionDenied(refusal)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, record, form=form, status=400)
    try:
        filed = services.outreach_attach(record=record, file=form.cleaned_data["file"], by=request.user)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _detail(request, record, form=form, status=400)
    messages.success(request, f"已上传：{filed.name}（归入综合档案）。")
    return redirect("review:outreach_detail", pk=record.pk)
