"""Pages of the town's and campaigns' files (综合档案, 财务档案): for the town-wide roles only.

Thin views: reads through archives.records.selectors, writes through
archives.records.services. Everyone else gets 403 on these pages; a team
member may download only the minutes and photos of their own villages'
meetings and outreach (from those records' pages), 404 for anything else.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from archives.models import RecordKind
from archives.records import checklist, labels, selectors, services
from archives.records.forms import KindForm, RecordUploadForm
from households.models import Town
from households.selectors import villages_visible_to
from kanjia.access import log_access
from kanjia.forms import attach_errors, query_id
from kanjia.models import AccessLog
from kanjia.printing import attachment
from review.cases.selectors import campaigns_visible_to


def _require_reader(request: HttpRequest) -> None:
    if not selectors.can_read_records(user=request.user):
        raise PermissionDenied("综合档案和财务档案仅供镇民政办、区民政局和纪委监察查阅。")


def _town(request: HttpRequest) -> Town | None:
    return Town.objects.filter(pk__in=villages_visible_to(user=request.user).values("town_id")).order_by("pk").first()


@login_required
@require_GET
def records_index(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    return _index_page(request)


def _index_page(request: HttpRequest, form: RecordUploadForm | None = None, status: int = 200) -> HttpResponse:
    can_file = services.can_file_records(user=request.user)
    campaigns = list(campaigns_visible_to(user=request.user).order_by("-scope_date", "-id")[:20])
    context = {
        "cabinets": selectors.shelves(user=request.user),
        "campaigns": checklist.campaign_overview(campaigns=campaigns),
        "documents": selectors.documents_of(user=request.user)
        .filter(campaign__isnull=True)
        .order_by("-year", "-uploaded_at")[:100],
        "can_file": can_file,
        "form": form
        or (RecordUploadForm(user=request.user, initial={"year": timezone.localdate().year}) if can_file else None),
        "today": timezone.localdate(),
        "levels": labels.LEVELS,
    }
    return render(request, "archives/records/index.html", context, status=status)


@login_required
@require_GET
def records_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    return _campaign_page(request, get_object_or_404(campaigns_visible_to(user=request.user), pk=pk))


def _campaign_page(request: HttpRequest, campaign, form: RecordUploadForm | None = None, status: int = 200):
    can_file = services.can_file_records(user=request.user)
    context = {
        "campaign": campaign,
        "file": checklist.campaign_checklist(campaign=campaign),
        "documents": selectors.documents_of(user=request.user)
        .filter(campaign=campaign)
        .order_by("kind__order", "-uploaded_at"),
        "can_file": can_file,
        "form": form or (RecordUploadForm(user=request.user, campaign=campaign) if can_file else None),
        "today": timezone.localdate(),
    }
    return render(request, "archives/records/campaign.html", context, status=status)


@login_required
@require_POST
def record_upload(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    if not services.can_file_records(user=request.user):
        raise PermissionDenied("综合档案和财务档案由镇民政办归档。")
    campaign_id = query_id(request.POST.get("campaign"))
    campaign = (
        get_object_or_404(campaigns_visible_to(user=request.user), pk=campaign_id) if campaign_id is not None else None
    )
    form = RecordUploadForm(request.POST, request.FILES, user=request.user, campaign=campaign)
    town = _town(request)
    if form.is_valid() and town is not None:
        data = form.cleaned_data
        try:
            document = services.record_upload(
                town=town,
                kind=data["kind"],
                file=data["file"],
                by=request.user,
                campaign=data["campaign"],
                year=data.get("year"),
                title=data["title"],
                note=data["note"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已归档“{document.kind.name}”：{document.title}（{document.box.code}）。")
            if document.campaign_id:
                return redirect("archives:records_campaign", pk=document.campaign_id)
            return redirect("archives:records")
    if town is None:
        form.add_error(None, "您的账号没有可归档的乡镇。")
    if campaign is not None:
        return _campaign_page(request, campaign, form=form, status=400)
    return _index_page(request, form=form, status=400)


@login_required
@require_GET
def record_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(selectors.record_documents_visible_to(user=request.user), pk=pk)
    path = services.record_path(document)
    if not path.is_file():
        raise Http404("文件不存在，请联系系统管理员。")
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=document,
        village_id=document.village_id,
        detail=f"综合档案材料：{document.kind_id}",
    )
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def record_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    document = get_object_or_404(selectors.record_documents_visible_to(user=request.user), pk=pk)
    campaign_id = document.campaign_id
    try:
        services.record_delete(document=document, by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已删除该材料（删除记录已保留）。")
    return redirect("archives:records_campaign", pk=campaign_id) if campaign_id else redirect("archives:records")


@login_required
@require_GET
def record_box(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    box = get_object_or_404(selectors.boxes_visible_to(user=request.user).select_related("cabinet", "campaign"), pk=pk)
    documents = selectors.documents_of(user=request.user).filter(box=box).order_by("kind__order", "uploaded_at")
    return render(request, "archives/records/box.html", {"box": box, "documents": documents})


@login_required
@require_GET
def record_labels(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    level = request.GET.get("level", "box")
    if level not in labels.LEVELS:
        raise Http404("没有这种标签。")
    items = labels.record_labels(user=request.user, level=level)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.PRINT,
        detail=f"{labels.LEVELS[level]}标签 {len(items)} 张",
    )
    pdf = labels.record_labels_pdf(labels=items, level=level)
    return attachment(pdf, filename=f"{labels.LEVELS[level]}标签.pdf", content_type="application/pdf", inline=True)


@login_required
@require_GET
def record_kinds(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    context = {"kinds": selectors.kinds(), "can_edit": services.can_file_records(user=request.user)}
    return render(request, "archives/records/kinds.html", context)


@login_required
def record_kind_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    kind = get_object_or_404(RecordKind, pk=pk)
    if not services.can_file_records(user=request.user):
        raise PermissionDenied("综合档案材料类别由镇民政办设置。")
    form = KindForm(request.POST or None, initial=KindForm.initial_for(kind))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.kind_update(
                kind=kind,
                by=request.user,
                retention_years=data["retention_years"],
                phase=data["phase"],
                expected=data["expected"],
                active=data["active"],
                description=data["description"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存“{kind.name}”。")
            return redirect("archives:record_kinds")
    return render(
        request, "archives/records/kind_form.html", {"kind": kind, "form": form}, status=400 if form.errors else 200
    )
