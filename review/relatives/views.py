"""Pages of the near-relatives register: my declaration (every staff user), the register, 备案表 PDF, export."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from households import idcard
from households.selectors import households_visible_to, villages_visible_to
from kanjia import roles
from kanjia.access import log_access
from kanjia.forms import attach_errors
from kanjia.models import AccessLog
from kanjia.printing import printed_pdf
from kanjia.xlsx import SheetSpec, write_xlsx
from review.relatives import services as relatives
from review.relatives.forms import ManualFilingForm, RegisterFilterForm, RelativeFormSet, ReportForm, VerifyForm
from review.relatives.selectors import filing_list, filings_visible_to, may_read_register
from review.relatives.selectors import my_declaration as read_mine
from review.relatives.services import RelativeIn

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _full_ids(user) -> bool:
    return user.has_perm("households.reveal_id_number")


def _initial(declared) -> list[dict]:
    return [{"relation": d.relation, "name": d.name, "id_number": d.id_number, "address": d.address} for d in declared]


@login_required
def my_declaration(request: HttpRequest) -> HttpResponse:
    """Every staff user's own declaration: list close relatives, or declare "无"."""
    status, declared = read_mine(user=request.user)
    formset = RelativeFormSet(request.POST or None, initial=_initial(declared), prefix="rel")
    if request.method == "POST":
        if roles.is_read_only(request.user):
            raise PermissionDenied("您的账号为只读账号。")
        if formset.is_valid():
            items = [f.to_input() for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            try:
                result = relatives.declare(user=request.user, relatives=items, by=request.user)
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                note = f"，其中 {result.created} 位在低保户中，已自动登记近亲属备案" if result.created else ""
                messages.success(request, f"已保存近亲属申报{note}。")
                return redirect("review:relatives:mine")
    return render(
        request,
        "review/relatives/mine.html",
        {
            "formset": formset,
            "status": status,
            "declared": declared,
            "on_file": relatives.has_declaration(user=request.user),
            "filings": request.user.relative_filings.select_related("village").order_by("-created_at"),
        },
    )


@login_required
@require_POST
def my_declaration_none(request: HttpRequest) -> HttpResponse:
    relatives.declare_none(user=request.user, by=request.user)
    messages.success(request, f"已申报：无近亲属享受低保（{timezone.localdate():%Y-%m-%d}）。")
    return redirect("review:relatives:mine")


def _require_reader(request: HttpRequest) -> None:
    if not may_read_register(request.user):
        raise PermissionDenied("近亲属备案登记册仅供镇民政办、区民政局和纪委监察查阅。")


def _filtered(request: HttpRequest):
    form = RegisterFilterForm(request.GET or None, villages=villages_visible_to(user=request.user))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = filing_list(
        user=request.user,
        village=data.get("village"),
        status=data.get("status", ""),
        source=data.get("source", ""),
        q=(data.get("q") or "").strip(),
    )
    return form, qs


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(f, idcard.mask(f.relative_id_number)) for f in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "review/relatives/register.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_add": roles.has_role(request.user, roles.TOWN_OFFICE) and not roles.is_read_only(request.user),
        },
    )


@login_required
@require_safe  # a read page: POSTs go to the report/verify URLs (a POST here was answered as a GET)
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    filing = get_object_or_404(filings_visible_to(user=request.user), pk=pk)
    return _detail(request, filing)


def _detail(request, filing, *, report_form=None, verify_form=None) -> HttpResponse:
    user = request.user
    writable = not roles.is_read_only(user)
    can_report = writable and roles.has_role(user, roles.TOWN_OFFICE) and filing.status == filing.Status.PENDING
    can_verify = writable and roles.has_role(user, roles.DISTRICT) and filing.status == filing.Status.REPORTED
    today = timezone.localdate()
    return render(
        request,
        "review/relatives/filing.html",
        {
            "filing": filing,
            "masked": idcard.mask(filing.relative_id_number),
            "cases": filing.household.cases.order_by("-id"),
            "report_form": report_form or (ReportForm(initial={"reported_on": today}) if can_report else None),
            "verify_form": verify_form or (VerifyForm(initial={"verified_on": today}) if can_verify else None),
            "history": filing.history.select_related("history_user").order_by("-history_id"),
        },
    )


@login_required
@require_POST
def filing_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    filing = get_object_or_404(filings_visible_to(user=request.user), pk=pk)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            relatives.filing_report(filing=filing, reported_on=form.cleaned_data["reported_on"], by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已登记报区民政局。")
            return redirect("review:relatives:filing", pk=pk)
    return _detail(request, filing, report_form=form)


@login_required
@require_POST
def filing_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    filing = get_object_or_404(filings_visible_to(user=request.user), pk=pk)
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            relatives.filing_verify(
                filing=filing,
                verified_on=form.cleaned_data["verified_on"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已登记核查结果。")
            return redirect("review:relatives:filing", pk=pk)
    return _detail(request, filing, verify_form=form)


@login_required
def filing_new(request: HttpRequest) -> HttpResponse:
    """A hand-made entry (town office)."""
    if not roles.has_role(request.user, roles.TOWN_OFFICE) or roles.is_read_only(request.user):
        raise PermissionDenied("手工登记近亲属备案须由镇民政办办理。")
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    form = ManualFilingForm(request.POST or None, users=users)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        household = households_visible_to(user=request.user).filter(pk=d["household"]).first()
        if household is None:
            form.add_error("household", "没有这个低保户编号。")
        else:
            try:
                filing = relatives.filing_create(
                    user=d["user"],
                    household=household,
                    relative=RelativeIn(d["relation"], d["name"], d["id_number"]),
                    note=d["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "已登记近亲属备案。")
                return redirect("review:relatives:filing", pk=filing.pk)
    return render(request, "review/relatives/new.html", {"form": form})


@login_required
@require_GET
def filing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 备案表 for the district, one entry; full ID numbers only for those allowed to see them."""
    _require_reader(request)
    filing = get_object_or_404(filings_visible_to(user=request.user), pk=pk)
    number = filing.relative_id_number if _full_ids(request.user) else idcard.mask(filing.relative_id_number)
    return printed_pdf(
        request=request,
        template="review/relatives/filing_pdf.html",
        context={"filing": filing, "id_number": number, "printed_at": timezone.localtime()},
        obj=filing,
        village_id=filing.village_id,
        detail=f"近亲属备案表 #{filing.pk}",
        filename=f"relative-filing-{filing.pk}.pdf",
    )


HEADER = [
    "序号", "工作人员", "工作单位", "职务", "近亲属姓名", "关系", "近亲属身份证号码", "村(社区)", "户主",
    "救助类型", "月救助金额(元)", "享受起始年月", "备案状态", "报区民政局日期", "核查日期", "来源",
]  # fmt: skip


@login_required
@require_GET
def register_export(request: HttpRequest) -> HttpResponse:
    """The register for the district, as filtered on the page."""
    _require_reader(request)
    _form, qs = _filtered(request)
    full = _full_ids(request.user)
    filings = list(qs)
    rows = (
        [
            n,
            f.staff_name,
            f.unit,
            f.post,
            f.relative_name,
            f.relation,
            f.relative_id_number if full else idcard.mask(f.relative_id_number),
            f.village.name,
            f.household.head_name,
            f.aid_type,
            f.monthly_amount,
            f"{f.start_month:%Y-%m}" if f.start_month else "",
            f.status,
            f.reported_on,
            f.verified_on,
            f.get_source_display(),
        ]
        for n, f in enumerate(filings, start=1)
    )
    content = write_xlsx([SheetSpec("近亲属备案", HEADER, rows)])
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.EXPORT,
        detail=f"近亲属备案登记册 {len(filings)} 条{'（完整身份证号）' if full else ''}",
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="relative-filings.xlsx"'
    return response
