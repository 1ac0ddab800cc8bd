"""Payment-roll pages (发放花名册): list and generate, view, Excel and PDF (each export logged)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from archives.payments import district, selectors
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
    context = {
        "rolls": selectors.rolls_visible_to(user=request.user),
        "form": form,
        "can_generate": can_generate,
        **_district_context(request),
    }
    return render(request, "archives/payments/rolls.html", context, status=400 if form.errors else 200)


# --- The district's set of rolls (区民政局) ---------------------------------------------------------


def _district_context(request: HttpRequest, form: RollForm | None = None) -> dict:
    if not district.can_read_district_rolls(user=request.user):
        return {}
    initial = {"month": f"{timezone.localdate():%Y-%m}"}
    return {
        "district_jobs": district.district_rolls_visible_to(user=request.user)[:24],
        "district_form": form or RollForm(initial=initial, prefix="d"),
        "can_start_district": district.can_start_district_rolls(user=request.user),
    }


@login_required
@require_POST
def district_start(request: HttpRequest) -> HttpResponse:
    if not district.can_start_district_rolls(user=request.user):
        raise PermissionDenied("全区发放花名册由区民政局汇总。")
    form = RollForm(request.POST, prefix="d")
    if form.is_valid():
        try:
            job = district.district_roll_start(month=payments.parse_month(form.cleaned_data["month"]), by=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("archives:district_rolls", pk=job.pk)
    context = {
        "rolls": selectors.rolls_visible_to(user=request.user),
        "form": RollForm(),
        "can_generate": selectors.can_generate_rolls(user=request.user),
        **_district_context(request, form),
    }
    return render(request, "archives/payments/rolls.html", context, status=400)


def _district_job(request: HttpRequest, pk: int):
    if not district.can_read_district_rolls(user=request.user):
        raise PermissionDenied("全区发放花名册仅限区民政局和区纪委查阅。")
    return get_object_or_404(district.district_rolls_visible_to(user=request.user), pk=pk)


@login_required
@require_GET
def district_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _district_job(request, pk)
    return render(request, "archives/payments/district.html", {"job": job, "data": job.summary})


@login_required
@require_GET
def district_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled fragment (htmx, every second); reloads the page once the job has finished."""
    job = _district_job(request, pk)
    response = render(request, "households/ledger/_progress.html", {"job": job, "url": request.path})
    if not job.busy:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def district_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _district_job(request, pk)
    if job.status != job.Status.DONE or not job.file:
        raise Http404("全区发放花名册尚未生成。")
    log_access(request=request, user=request.user, action=AccessLog.Action.EXPORT, obj=job, detail=str(job))
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"全区发放花名册_{job.month:%Y%m}.zip",
        content_type="application/zip",
    )


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
        "pdf_max_lines": payments.PDF_MAX_LINES,
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
    if roll.households > payments.PDF_MAX_LINES:
        raise PermissionDenied(f"花名册超过 {payments.PDF_MAX_LINES} 户，请在村(社区)汇总中按村打印。")
    log_access(request=request, user=request.user, action=AccessLog.Action.PRINT, obj=roll, detail=str(roll))
    name = f"发放花名册_{roll.month:%Y%m}_第{roll.sequence}版.pdf"
    return attachment(payments.roll_pdf(roll=roll), filename=name, content_type="application/pdf", inline=True)


@login_required
@require_GET
def roll_village_pdf(request: HttpRequest, pk: int, village_id: int) -> HttpResponse:
    """One village's part of the roll (a whole town's PDF would hold WeasyPrint for minutes)."""
    roll = _visible_roll(request, pk)
    if not roll.lines.filter(village_id=village_id).exists():
        raise Http404("本花名册没有该村(社区)。")
    village = roll.lines.filter(village_id=village_id).values_list("village_name", flat=True).first()
    log_access(request=request, user=request.user, action=AccessLog.Action.PRINT, obj=roll, detail=f"{roll} {village}")
    name = f"发放花名册_{roll.month:%Y%m}_第{roll.sequence}版_{village}.pdf"
    pdf = payments.roll_pdf(roll=roll, village_id=village_id)
    return attachment(pdf, filename=name, content_type="application/pdf", inline=True)
