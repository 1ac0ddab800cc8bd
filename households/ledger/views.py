"""Pages of the ledger: import (upload → preview → commit), export, roster matching.

Thin views: the work is in ledger_import / ledger_export / rosters. Long work
runs in Celery; its pages poll a small fragment with htmx every second and
reload themselves when the job is done (HX-Refresh).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from households.ledger import exporter as ledger_export
from households.ledger import importer as ledger_import
from households.ledger import rosters
from households.ledger.format import UploadRefused
from households.ledger.forms import ExportForm, LedgerUploadForm, RosterUploadForm
from households.models import ExportJob, ImportBatch, Roster
from households.selectors import villages_changeable_by, villages_visible_to
from kanjia.access import log_access
from kanjia.models import AccessLog
from kanjia.xlsx import XLSX_CONTENT_TYPE


def _require_villages(request: HttpRequest) -> None:
    if not villages_visible_to(user=request.user).exists():
        raise PermissionDenied("您没有可以查看的村(社区)，不能使用台账功能。")


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}"


def _done(request: HttpRequest, busy: bool, template: str, context: dict) -> HttpResponse:
    """The polled fragment; once the job has finished, make htmx reload the whole page."""
    response = render(request, template, context)
    if not busy:
        response["HX-Refresh"] = "true"
    return response


# --- Index and template -----------------------------------------------------------------------


@login_required
@require_GET
def ledger_index(request: HttpRequest) -> HttpResponse:
    _require_villages(request)
    batches = ledger_import.batches_visible_to(user=request.user).select_related("user")
    page = Paginator(batches, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "households/ledger/index.html",
        {
            "page": page,
            "can_import": villages_changeable_by(user=request.user).exists(),
            "can_match": rosters.may_match(request.user),
            "exports": ledger_export.export_jobs_visible_to(user=request.user).filter(user=request.user)[:5],
        },
    )


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    _require_villages(request)
    return _xlsx(ledger_export.template_workbook(), "低保台账导入模板.xlsx")


# --- Import -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not villages_changeable_by(user=request.user).exists():
        raise PermissionDenied("您没有可以导入数据的村(社区)。")
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = ledger_import.import_start(user=request.user, upload=form.cleaned_data["file"])
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("households:ledger:batch", pk=batch.pk)
    return render(request, "households/ledger/upload.html", {"form": form})


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(ledger_import.batches_visible_to(user=request.user).select_related("user"), pk=pk)


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    return render(
        request,
        "households/ledger/batch.html",
        {
            "batch": batch,
            "summary": batch.summary or {},
            "can_commit": batch.user_id == request.user.pk
            and batch.status == ImportBatch.Status.CHECKED
            and not batch.problem_count,
        },
    )


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    return _done(request, batch.busy, "households/ledger/_progress.html", {"job": batch, "url": request.path})


@login_required
@require_POST
def batch_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if batch.user_id != request.user.pk:
        raise PermissionDenied("只有上传此文件的人可以确认导入。")
    try:
        ledger_import.import_commit_request(batch=batch, user=request.user)
    except UploadRefused as exc:
        messages.error(request, str(exc))
    return redirect("households:ledger:batch", pk=batch.pk)


@login_required
@require_GET
def batch_errors(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if not batch.error_file:
        raise PermissionDenied("此批次没有错误说明工作簿。")
    log_access(request=request, user=request.user, action=AccessLog.Action.DOWNLOAD, obj=batch, detail="台账错误说明")
    stem = batch.file_name.rsplit(".", 1)[0]
    return FileResponse(
        batch.error_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}_错误说明.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


# --- Export -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request: HttpRequest) -> HttpResponse:
    _require_villages(request)
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = ledger_export.export_start(
            user=request.user, village=form.cleaned_data["village"], status=form.cleaned_data["status"]
        )
        return redirect("households:ledger:export_job", pk=job.pk)
    return render(
        request,
        "households/ledger/export.html",
        {"form": form, "full_numbers": ledger_export.may_see_full_numbers(request.user)},
    )


def _job(request: HttpRequest, pk: int) -> ExportJob:
    return get_object_or_404(ledger_export.export_jobs_visible_to(user=request.user).select_related("village"), pk=pk)


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "households/ledger/export_job.html", {"job": _job(request, pk)})


@login_required
@require_GET
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    busy = job.status in {ExportJob.Status.QUEUED, ExportJob.Status.RUNNING}
    return _done(request, busy, "households/ledger/_progress.html", {"job": job, "url": request.path})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise PermissionDenied("导出尚未完成。")
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.EXPORT,
        obj=job,
        village_id=job.village_id,
        detail=f"台账导出 {job.rows} 行（{job.village.name if job.village else '全部可见村'}）",
    )
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=ledger_export.download_name(job),
        content_type=XLSX_CONTENT_TYPE,
    )


# --- Rosters ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def roster_list(request: HttpRequest) -> HttpResponse:
    _require_villages(request)
    can_match = rosters.may_match(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_match:
            raise PermissionDenied("您不能上传比对名单。")
        if form.is_valid():
            try:
                roster = rosters.roster_start(
                    user=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
                )
            except UploadRefused as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("households:ledger:roster", pk=roster.pk)
    page = Paginator(rosters.rosters_visible_to(user=request.user).select_related("uploaded_by"), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "households/ledger/rosters.html", {"form": form, "page": page, "can_match": can_match})


def _roster(request: HttpRequest, pk: int) -> Roster:
    return get_object_or_404(rosters.rosters_visible_to(user=request.user), pk=pk)


@login_required
@require_GET
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    result = rosters.roster_result(roster, user=request.user) if roster.status == Roster.Status.DONE else None
    context = {
        "roster": roster,
        "result": result,
        "full": request.user.has_perm("households.reveal_id_number"),
        "can_raise": rosters.may_raise_roster_flags(request.user),
    }
    return render(request, "households/ledger/roster.html", context)


@login_required
@require_POST
def roster_flags(request: HttpRequest, pk: int) -> HttpResponse:
    """The town office turns a roster's report (the district's or a team's) into key-review flags."""
    roster = _roster(request, pk)
    raised = rosters.roster_flags_raise(roster=roster, by=request.user)
    messages.success(request, f"已根据此名单新增重点复核标记 {raised} 条。")
    return redirect("households:ledger:roster", pk=roster.pk)


@login_required
@require_GET
def roster_progress(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    busy = roster.status not in {Roster.Status.DONE, Roster.Status.FAILED}
    return _done(request, busy, "households/ledger/_progress.html", {"job": roster, "url": request.path})


@login_required
@require_GET
def roster_download(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    if roster.status != Roster.Status.DONE:
        raise PermissionDenied("比对尚未完成。")
    log_access(request=request, user=request.user, action=AccessLog.Action.EXPORT, obj=roster, detail="名单比对结果")
    return _xlsx(rosters.result_workbook(roster, user=request.user), f"{roster.kind}名单比对结果.xlsx")
