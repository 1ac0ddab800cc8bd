"""Archive pages: the home (locations, completeness, recent payment rolls), bags, documents, labels.

Thin views: every queryset goes through the scoping selectors (another village's
object is a 404; visible but not changeable is a 403 with the reason); writes go
through archives.documents.services / archives.payments.services / archives.documents.locations.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from archives.documents import checklist, forms, labels, selectors
from archives.documents import services as documents
from archives.documents.locations import bag_for, locations_sync
from archives.models import Box, Cabinet
from archives.payments import selectors as roll_selectors
from households.models import Household
from households.selectors import households_changeable_by, households_visible_to, villages_visible_to
from households.towns.selectors import towns_seen_by
from households.towns.views import TownChoice, town_choice
from kanjia import roles
from kanjia.access import log_access
from kanjia.forms import attach_errors, query_id
from kanjia.models import AccessLog
from kanjia.printing import attachment
from kanjia.xlsx import XLSX_CONTENT_TYPE


def _int(value: str | None) -> int | None:
    return query_id(value)


# --- Home -------------------------------------------------------------------------------------


@login_required
@require_GET
def archive_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    villages = list(villages_visible_to(user=user).select_related("town").order_by("town__code", "order", "id"))
    village_id = _int(request.GET.get("village"))
    if village_id and village_id not in {v.pk for v in villages}:
        raise Http404("没有该村(社区)。")
    towns = towns_seen_by(user=user)
    several = len(towns) > 1
    households = households_visible_to(user=user)
    if village_id:
        households = households.filter(village_id=village_id)
    # Bring the shelves in step with the registry before showing them (cheap when nothing changed):
    # the village's, or the town's when one of its households has no bag yet (moves are healed per
    # village, per bag and nightly). Only the households the user sees: another town's shelves are
    # not this account's to write. Not for an account that sees several towns: a district-wide sync
    # is the worker's (after each change, and nightly), not a page's.
    if village_id or (not several and households.filter(archive_bag__isnull=True).exists()):
        locations_sync(household_ids=households.values("pk"), by=user)
    cabinets = (
        Cabinet.objects.filter(village__in=[v for v in villages if not village_id or v.pk == village_id])
        .select_related("village__town", "room")
        .annotate(box_count=Count("boxes", distinct=True))
        .order_by("village__town__code", "village__order", "village_id")
    )
    boxes = (
        Box.objects.filter(cabinet__in=cabinets).annotate(bag_count=Count("bags")).order_by("cabinet_id", "number")
        if village_id
        else Box.objects.none()
    )
    # Several towns: the completeness card lists the towns (a row per household of every town would
    # outlast the request); each links to its town's report.
    report = None if several and not village_id else checklist.completeness_report(user=user, village_id=village_id)
    context = {
        "villages": villages,
        "village_id": village_id,
        "towns": towns if several else [],
        "cabinets": cabinets,
        "boxes": boxes,
        "bags": (
            households.select_related("archive_bag__box").order_by("group__number", "archive_bag__number")
            if village_id
            else []
        ),
        "report": report,
        "incomplete": [h for h in report.households if not h.checklist.complete][:50] if village_id else [],
        "rolls": roll_selectors.rolls_visible_to(user=user)[:6],
        "can_read_rolls": roll_selectors.can_read_rolls(user=user),
        "can_read_records": roles.reads_whole_town(user),
        "can_sync": roles.has_role(user, roles.TOWN_OFFICE) and not roles.is_read_only(user),
        "levels": forms.LEVEL_CHOICES,
    }
    return render(request, "archives/documents/index.html", context)


@login_required
@require_POST
def locations_sync_view(request: HttpRequest) -> HttpResponse:
    if not roles.has_role(request.user, roles.TOWN_OFFICE) or roles.is_read_only(request.user):
        raise PermissionDenied("只有镇民政办可以整理全镇档案位置。")
    # The office's own town (the nightly task syncs every town): another town's shelves and retention
    # dates are not this clerk's to write, and at district scale the whole deployment outlasts a request.
    own = households_visible_to(user=request.user).values("pk")
    result = locations_sync(household_ids=own, by=request.user)
    documents.documents_refresh_retention(household_ids=own, by=request.user)
    messages.success(
        request,
        f"档案位置已与登记信息同步：新建 {result.created} 袋，迁移 {result.moved} 袋，更新编码 {result.renamed} 处。",
    )
    return redirect("archives:index")


# --- The household's bag ------------------------------------------------------------------------


def _bag_page(request: HttpRequest, household: Household, form: forms.UploadForm | None, status: int = 200):
    bag = bag_for(household=household, by=request.user)
    documents.documents_refresh_retention(household_ids=[household.pk], by=request.user)
    can_file = households_changeable_by(user=request.user).filter(pk=household.pk).exists()
    context = {
        "household": household,
        "bag": bag,
        "checklist": checklist.household_checklist(household=household),
        "documents": selectors.household_documents(household=household),
        "warnings": selectors.household_warnings(household=household)[:10],
        "can_file": can_file,
        "can_delete": can_file and roles.has_role(request.user, roles.TOWN_OFFICE),
        "form": form if form is not None else (forms.UploadForm(household=household) if can_file else None),
        "today": timezone.localdate(),
    }
    return render(request, "archives/documents/bag.html", context, status=status)


def _visible_household(request: HttpRequest, pk: int) -> Household:
    return get_object_or_404(households_visible_to(user=request.user).select_related("village", "group"), pk=pk)


@login_required
@require_GET
def bag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _bag_page(request, _visible_household(request, pk), None)


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    household = _visible_household(request, pk)
    if not households_changeable_by(user=request.user).filter(pk=household.pk).exists():
        raise PermissionDenied("您只能查阅该户档案，不能上传材料（仅负责该村的清理小组和镇民政办可以上传）。")
    form = forms.UploadForm(request.POST, request.FILES, household=household)
    if form.is_valid():
        data = form.cleaned_data
        try:
            document = documents.document_upload(
                household=household,
                kind=data["kind"],
                case=data["case"],
                stage=data["stage"],
                note=data["note"],
                file=data["file"],
                by=request.user,
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"已上传“{document.kind.name}”：{document.original_name}")
            return redirect("archives:bag", pk=household.pk)
    return _bag_page(request, household, form, status=400)


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(selectors.documents_visible_to(user=request.user).select_related("household"), pk=pk)
    path = documents.document_path(document)
    if not path.is_file():
        raise Http404("文件不存在，请联系系统管理员。")
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=document,
        village_id=document.household.village_id,
        detail=f"档案材料：{document.kind_id}",
    )
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(selectors.documents_visible_to(user=request.user).select_related("household"), pk=pk)
    household_id = document.household_id
    try:
        documents.document_delete(document=document, by=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已删除该材料（删除记录已保留）。")
    return redirect("archives:bag", pk=household_id)


# --- Completeness and labels ----------------------------------------------------------------------


@login_required
@require_GET
def completeness(request: HttpRequest) -> HttpResponse:
    choice, village_id, villages = _completeness_scope(request)
    context = {
        "villages": villages.filter(town=choice.town) if choice.town is not None else villages.none(),
        "village_id": village_id,
        "towns": choice.picker,
        "town": choice.town,
        "report": None,
    }
    if not choice.pending:  # else several towns, none chosen yet: the list of towns
        report = checklist.completeness_report(user=request.user, village_id=village_id, town_id=choice.town_id)
        context.update(report=report, incomplete=[h for h in report.households if not h.checklist.complete])
    return render(request, "archives/documents/completeness.html", context)


def _completeness_scope(request: HttpRequest) -> tuple[TownChoice, int | None, QuerySet]:
    """The town and village the completeness report covers (?town=, ?village=, or the account's
    only town), and the villages the user sees."""
    village_id = _int(request.GET.get("village"))
    villages = villages_visible_to(user=request.user).order_by("order", "id")
    village = villages.filter(pk=village_id).first() if village_id else None
    if village_id and village is None:
        raise Http404("没有该村(社区)。")
    choice = town_choice(request, village_town_id=village.town_id if village else None)
    if village is not None and choice.town is not None and village.town_id != choice.town.pk:
        village_id = None  # the town was changed in the form: its villages, not the one chosen before
    return choice, village_id, villages


@login_required
@require_GET
def completeness_export(request: HttpRequest) -> HttpResponse:
    choice, village_id, _villages = _completeness_scope(request)
    if choice.pending:
        messages.error(request, "请先选择乡镇(街道)，再导出该镇的档案完整率。")
        return redirect("archives:completeness")
    report = checklist.completeness_report(user=request.user, village_id=village_id, town_id=choice.town_id)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.EXPORT,
        village_id=village_id,
        detail="档案完整率" + (f"（{choice.town.name}）" if choice.town_id else ""),
    )
    name = f"档案完整率_{timezone.localdate():%Y%m%d}.xlsx"
    return attachment(checklist.completeness_xlsx(report=report), filename=name, content_type=XLSX_CONTENT_TYPE)


@login_required
@require_GET
def labels_print(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "bag")
    if level not in labels.LEVELS:
        raise Http404("没有这种标签。")
    village_id = _int(request.GET.get("village"))
    if village_id and not villages_visible_to(user=request.user).filter(pk=village_id).exists():
        raise Http404("没有该村(社区)。")
    if not village_id and len(towns_seen_by(user=request.user)) > 1:
        # Every town's shelves at once: a sync of every household and thousands of labels in one request.
        messages.error(request, "您可以查看多个乡镇，请先选择村(社区)，再按村分别打印标签。")
        return redirect("archives:index")
    if level == "bag" and not village_id:
        count = households_visible_to(user=request.user).count()
        if count > labels.MAX_BAG_LABELS:
            # Layout takes about 50 ms per label: a town-wide sheet would outlast the request.
            messages.error(
                request, f"共 {count} 个档案袋，请按村(社区)分别打印（每次不超过 {labels.MAX_BAG_LABELS} 张）。"
            )
            return redirect("archives:index")
    items = labels.labels_for(user=request.user, level=level, village_id=village_id)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.PRINT,
        village_id=village_id,
        detail=f"{labels.LEVELS[level]}标签 {len(items)} 张",
    )
    pdf = labels.labels_pdf(labels=items, level=level)
    return attachment(pdf, filename=f"{labels.LEVELS[level]}标签.pdf", content_type="application/pdf", inline=True)
