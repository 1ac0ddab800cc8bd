"""Payment-roll pages (发放花名册): list and generate, view, Excel and PDF (each export logged)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from archives.payments import selectors
from archives.payments import services as payments
from archives.payments.forms import RollForm
from households.models import Town
from households.selectors import villages_visible_to
from kanjia.access import log_access
from kanjia.forms import attach_errors
from kanjia.models import AccessLog
from kanjia.printing import attachment
from kanjia.xlsx import XLSX_CONTENT_TYPE

ROLLS_ONLY = "发放花名册仅限镇民政办、区民政局和纪委监察查阅。"


def _rolls_reader(request: HttpRequest) -> None:
    if not selectors.can_read_rolls(user=request.user):
        raise PermissionDenied(ROLLS_ONLY)


@login_required
def roll_list(request: HttpRequest) -> HttpResponse:
    _rolls_reader(request)
    can_generate = selectors.can_generate_rolls(user=request.user)
    form = RollForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST":
        if not can_generate:
            raise PermissionDenied("只有镇民政办可以生成发放花名册。")
        if form.is_valid():
            town = Town.objects.filter(villages__in=villages_visible_to(user=request.user)).distinct().first()
            try:
                if town is None:
                    raise ValidationError({"month": "还没有登记任何村(社区)。"})
                month = payments.parse_month(form.cleaned_data["month"])
                roll = payments.roll_generate(town=town, month=month, by=request.user, note=form.cleaned_data["note"])
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, f"已生成{roll}。")
                return redirect("archives:roll", pk=roll.pk)
    context = {"rolls": selectors.rolls_visible_to(user=request.user), "form": form, "can_generate": can_generate}
    return render(request, "archives/payments/rolls.html", context, status=400 if form.errors else 200)


def _visible_roll(request: HttpRequest, pk: int):
    _rolls_reader(request)
    return get_object_or_404(selectors.rolls_visible_to(user=request.user), pk=pk)


@login_required
@require_GET
def roll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roll = _visible_roll(request, pk)
    context = {
        "roll": roll,
        "lines": roll.lines.order_by("id"),
        "totals": payments.roll_village_totals(roll=roll),
        "diff": payments.roll_diff(roll=roll),
        "reconciliation": payments.roll_reconcile(roll=roll),
    }
    return render(request, "archives/payments/roll.html", context)


@login_required
@require_GET
def roll_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    roll = _visible_roll(request, pk)
    log_access(request=request, user=request.user, action=AccessLog.Action.EXPORT, obj=roll, detail=str(roll))
    name = f"发放花名册_{roll.month:%Y%m}_第{roll.sequence}版.xlsx"
    return attachment(payments.roll_xlsx(roll=roll), filename=name, content_type=XLSX_CONTENT_TYPE)


@login_required
@require_GET
def roll_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    roll = _visible_roll(request, pk)
    log_access(request=request, user=request.user, action=AccessLog.Action.PRINT, obj=roll, detail=str(roll))
    name = f"发放花名册_{roll.month:%Y%m}_第{roll.sequence}版.pdf"
    return attachment(payments.roll_pdf(roll=roll), filename=name, content_type="application/pdf", inline=True)
