"""Pages for decision notices and complaints. Thin: selectors read (scoped by village), services write.

The town office words, prints and delivers notices and handles complaints; the
district and the inspector read; village teams see their villages' notices (not
the complaints register). Objects of other villages are 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from households.towns.selectors import office_of
from kanjia import roles
from kanjia.forms import attach_errors, query_id
from kanjia.printing import printed_pdf
from review.cases.selectors import case_for_page
from review.dynamic.monthly import towns_for
from review.models import DecisionNotice
from review.notices import selectors, services
from review.notices.forms import ComplaintForm, DeliveryForm, HandleForm, ReasonsForm, SettingForm


def _notice(request: HttpRequest, pk: int) -> DecisionNotice:
    found = (
        selectors.notices_visible_to(user=request.user)
        .select_related("case", "household__village__town", "delivered_by", "created_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("没有找到该决定通知书。")
    return found


def _setting_for(notice: DecisionNotice):
    return services.notice_setting(town_id=notice.household.village.town_id)


# --- Notices --------------------------------------------------------------------------------------


@login_required
@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    if not roles.role_names(request.user):
        raise PermissionDenied("您的账号没有角色。")
    today = timezone.localdate()
    notices = selectors.notices_visible_to(user=request.user).select_related("case", "household__village")
    only = request.GET.get("show", "open")
    if only == "open":
        notices = notices.filter(delivered_on__isnull=True)
    towns = list(towns_for(user=request.user))
    settings = [(town, services.notice_setting(town_id=town.pk)) for town in towns]
    can_manage = services.can_manage_notices(user=request.user)
    forms = []
    for town, setting in settings:
        initial = {f: getattr(setting, f) for f in ("stop_days", "complaint_days", "review_body", "court")}
        forms.append((town, setting, services.deadline_rule_text(setting=setting), SettingForm(initial=initial)))
    context = {
        "notices": notices.order_by("delivered_on", "due_on", "id")[:500],
        "show": only,
        "today": today,
        "settings": forms,
        "can_manage": can_manage,
    }
    return render(request, "review/notices/list.html", context)


@login_required
@require_POST
def notice_settings(request: HttpRequest) -> HttpResponse:
    if not services.can_manage_notices(user=request.user):
        raise PermissionDenied("决定通知书设置由镇民政办修改。")
    town = get_object_or_404(towns_for(user=request.user), pk=query_id(request.POST.get("town")) or 0)
    form = SettingForm(request.POST)
    if form.is_valid():
        try:
            services.notice_setting_save(town=town, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "决定通知书设置已保存；此后作出的决定按新期限计算。")
            return redirect("review:notices")
    messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("review:notices")


def _notice_context(request: HttpRequest, notice: DecisionNotice, **forms) -> dict:
    setting = _setting_for(notice)
    can_manage = services.can_manage_notices(user=request.user)
    context = {
        "notice": notice,
        "appeal": services.appeal_text(setting=setting),
        "rule": services.deadline_rule_text(setting=setting),
        "remedies": services.remedy_deadlines(notice=notice),
        "overdue": not notice.delivered and notice.due_on < timezone.localdate(),
        "can_manage": can_manage,
        "history": notice.history.select_related("history_user").order_by("-history_date")[:20],
    }
    if can_manage and not notice.delivered:
        context["reasons_form"] = forms.get("reasons_form") or ReasonsForm(initial={"reasons": notice.reasons})
        context["delivery_form"] = forms.get("delivery_form") or DeliveryForm()
    return context


@login_required
@require_safe
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    return render(request, "review/notices/notice.html", _notice_context(request, notice))


@login_required
@require_POST
def notice_reasons(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    if not services.can_manage_notices(user=request.user):
        raise PermissionDenied("决定通知书由镇民政办制作。")
    form = ReasonsForm(request.POST)
    if form.is_valid():
        try:
            services.notice_edit_reasons(notice=notice, by=request.user, reasons=form.cleaned_data["reasons"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "决定理由已保存。")
            return redirect("review:notice", pk=pk)
    context = _notice_context(request, notice, reasons_form=form)
    return render(request, "review/notices/notice.html", context, status=400)


@login_required
@require_POST
def notice_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    if not services.can_manage_notices(user=request.user):
        raise PermissionDenied("决定通知书由镇民政办送达登记。")
    form = DeliveryForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            delivered = services.notice_deliver(notice=notice, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "已登记送达。")
            if delivered.scan_note:
                messages.info(request, delivered.scan_note)
            return redirect("review:notice", pk=pk)
    context = _notice_context(request, notice, delivery_form=form)
    return render(request, "review/notices/notice.html", context, status=400)


@login_required
@require_safe
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice as printed for delivery (bundled font; the print is logged)."""
    notice = _notice(request, pk)
    setting = _setting_for(notice)
    context = {
        "notice": notice,
        "household": notice.household,
        "appeal": services.appeal_text(setting=setting),
        "office": office_of(town=notice.household.village.town),
        "printed_at": timezone.localtime(),
    }
    return printed_pdf(
        request=request,
        template="review/notices/notice_pdf.html",
        context=context,
        obj=notice,
        village_id=notice.household.village_id,
        detail=f"{notice.get_kind_display()}决定通知书 案件#{notice.case_id}",
        filename=f"decision-{notice.case_id}.pdf",
    )


# --- Complaints -------------------------------------------------------------------------------------


def _complaint(request: HttpRequest, pk: int):
    found = (
        selectors.complaints_visible_to(user=request.user)
        .select_related("case", "household__village", "notice", "handler", "registered_by", "follow_up_case")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("没有找到该申诉、复核申请。")
    return found


@login_required
@require_safe
def complaint_list(request: HttpRequest) -> HttpResponse:
    if not roles.reads_whole_town(request.user):
        raise PermissionDenied("申诉、复核申请登记簿由镇民政办管理，区民政局和纪委监察可以查阅。")
    complaints = selectors.complaints_visible_to(user=request.user).select_related(
        "case", "household__village", "handler", "follow_up_case"
    )
    if request.GET.get("show", "open") == "open":
        complaints = complaints.filter(result="")
    context = {
        "complaints": complaints.order_by("result", "due_on", "id")[:500],
        "show": request.GET.get("show", "open"),
        "today": timezone.localdate(),
    }
    return render(request, "review/notices/complaints.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for_page(user=request.user, pk=pk)
    if case is None:
        raise Http404("没有找到该案件。")
    if not services.can_manage_notices(user=request.user):
        raise PermissionDenied("申诉、复核申请由镇民政办登记。")
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_register(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"已登记{complaint.kind}，答复期限 {complaint.due_on:%Y-%m-%d}。")
            return redirect("review:complaint", pk=complaint.pk)
    status = 400 if form.errors else 200
    return render(request, "review/notices/complaint_new.html", {"case": case, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint(request, pk)
    can_handle = complaint.is_open and services.can_manage_notices(user=request.user)
    if request.method == "POST" and not can_handle:
        raise PermissionDenied("申诉、复核申请由镇民政办办理。")
    form = HandleForm(request.POST or None) if can_handle else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            handled = services.complaint_handle(complaint=complaint, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if handled.follow_up is None:
                messages.success(request, "已答复，维持原决定。")
            elif handled.created:
                messages.success(request, f"已答复；另案复查：新建案件#{handled.follow_up.pk}（已标记有异议）。")
            else:
                messages.success(request, f"已答复；该户正在办理的案件#{handled.follow_up.pk}已标记有异议，一并复查。")
            return redirect("review:complaint", pk=pk)
    context = {
        "complaint": complaint,
        "form": form,
        "remedies": services.remedy_deadlines(notice=complaint.notice),
        "overdue": complaint.is_open and complaint.due_on < timezone.localdate(),
        "history": complaint.history.select_related("history_user").order_by("-history_date")[:20],
    }
    return render(request, "review/notices/complaint.html", context, status=400 if form and form.errors else 200)
