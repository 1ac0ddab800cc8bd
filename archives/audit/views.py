"""The audit viewer (纪委监察 read-only, 镇民政办): timeline, trails, anomaly reports, export, chain status."""

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from archives.audit import services as audit
from archives.audit.forms import TimelineFilterForm
from archives.audit.seals import head_seal, last_verification, parse_receipt, seal_audit, verify_audit
from archives.clues import services as clue_services
from households.selectors import households_visible_to, villages_visible_to
from households.towns.selectors import accounts_of_towns
from kanjia import roles
from kanjia.access import log_access
from kanjia.middleware import reads_only
from kanjia.models import AccessLog
from kanjia.printing import printed_pdf
from kanjia.xlsx import SheetSpec, write_xlsx

EXPORT_LIMIT = 5000
TRAIL_LIMIT = 500


def _require_auditor(request: HttpRequest) -> None:
    if not roles.has_role(request.user, *roles.INSPECTORS, roles.TOWN_OFFICE):
        raise PermissionDenied("审计记录仅供纪委监察和镇民政办查阅。")


def _filters(request: HttpRequest) -> tuple[TimelineFilterForm, audit.Filters]:
    form = TimelineFilterForm(request.GET or None, villages=villages_visible_to(user=request.user))
    f = audit.Filters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        tz = timezone.get_current_timezone()
        if data["user"]:
            f.user_id, f.username = data["user"].pk, data["user"].username
        if data["since"]:
            f.since = datetime.combine(data["since"], time.min, tzinfo=tz)
        if data["until"]:
            f.until = datetime.combine(data["until"], time.max, tzinfo=tz)
        f.village_id = data["village"].pk if data["village"] else None
        f.household_id = data["household"]
        f.object_kind, f.change, f.before = data["object_kind"], data["change"], data["before"]
    return form, f


def _next_link(request: HttpRequest, entries: list) -> str:
    if len(entries) < audit.PAGE:
        return ""
    query = request.GET.copy()
    query["before"] = entries[-1].when.isoformat()
    return "?" + query.urlencode()


@login_required
@require_GET
def audit_index(request: HttpRequest) -> HttpResponse:
    """The timeline across all history, the access log and logins, with filters."""
    _require_auditor(request)
    form, f = _filters(request)
    entries = audit.timeline(f) if not form.errors else []
    export_query = request.GET.copy()
    export_query.pop("before", None)
    return render(
        request,
        "archives/audit/index.html",
        {
            "form": form,
            # The validated id, never the raw query value (issue 16: `?household=abc` was a server error).
            "household_id": f.household_id,
            "entries": entries,
            "next_link": _next_link(request, entries),
            "export_query": export_query.urlencode(),
            "verification": last_verification(),
            "anomalies": audit.ANOMALIES,
            "can_verify": roles.has_role(request.user, roles.TOWN_OFFICE) and not roles.is_read_only(request.user),
        },
    )


@login_required
@require_GET
def audit_household(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's full trail: the household, its members, assets, incomes, flags, cases, filings, reads."""
    _require_auditor(request)
    household = get_object_or_404(households_visible_to(user=request.user).select_related("village"), pk=pk)
    entries = audit.timeline(audit.Filters(household_id=household.pk), limit=TRAIL_LIMIT)
    return render(
        request,
        "archives/audit/trail.html",
        {"title": f"{household} 的审计轨迹", "entries": entries, "household": household},
    )


@login_required
@require_GET
def audit_user(request: HttpRequest, pk: int) -> HttpResponse:
    """A user's full trail: every change they made, every sensitive read, every login."""
    _require_auditor(request)
    # Another town's staff are not in this town's audit (issue 19): the district's inspectors see all.
    accounts = accounts_of_towns(user=request.user)
    person = get_object_or_404(get_user_model().objects.all() if accounts is None else accounts, pk=pk)
    entries = audit.timeline(audit.Filters(user_id=person.pk, username=person.username), limit=TRAIL_LIMIT)
    name = person.get_full_name() or person.username
    return render(
        request, "archives/audit/trail.html", {"title": f"{name} 的审计轨迹", "entries": entries, "person": person}
    )


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    _form, f = _filters(request)
    f.before = None
    entries = audit.timeline(f, limit=EXPORT_LIMIT)
    rows = (
        [
            timezone.localtime(e.when).strftime("%Y-%m-%d %H:%M:%S"),
            e.user,
            e.ip,
            e.kind_display,
            e.source,
            e.label,
            "；".join(f"{d.field}：{d.old} → {d.new}" for d in e.diffs),
            e.reason,
        ]
        for e in entries
    )
    content = write_xlsx(
        [SheetSpec("审计记录", ["时间", "操作人", "IP", "变动类型", "对象类型", "对象", "字段变化", "说明"], rows)]
    )
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.EXPORT,
        village_id=f.village_id,
        detail=f"审计记录导出 {len(entries)} 条 {request.GET.urlencode()}"[:255],
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="audit.xlsx"'
    return response


@login_required
@require_GET
def audit_anomaly(request: HttpRequest, slug: str) -> HttpResponse:
    _require_auditor(request)
    if slug not in audit.ANOMALIES:
        raise Http404("没有这个异常报告。")
    context: dict = {
        "slug": slug,
        "title": audit.ANOMALIES[slug],
        "anomalies": audit.ANOMALIES,
        # Each row links to 登记问题线索, prefilled (the inspector's one write).
        "can_register_clue": clue_services.can_register(user=request.user),
    }
    if slug == "near-relatives":
        filings = list(audit.near_relative_cases()[:500])
        cases = audit.cases_of_filings(filings)
        for filing in filings:
            filing.cases = cases.get(filing.household_id, [])
            filing.case_ids = ",".join(str(c.pk) for c in filing.cases)
        context["filings"] = filings
    elif slug == "flags-without-note":
        context["flags"] = audit.flags_without_note()[:500]
    elif slug == "two-levels":
        context["pairs"] = audit.two_level_actors()
    elif slug == "amounts-outside-pipeline":
        context["changes"] = audit.amounts_outside_pipeline()
    elif slug == "unusual-hours":
        context["logins"] = audit.unusual_hour_logins()[:500]
    elif slug == "special-cases":
        context["specials"] = audit.special_cases()[:500]
    elif slug == "computation-deviations":
        context["deviations"] = audit.computation_deviations()
    else:
        context["lockouts"] = audit.lockouts()[:500]
    return render(request, "archives/audit/anomaly.html", context)


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Seal what has settled, then verify the whole chain (town office; inspectors read the result)."""
    if not roles.has_role(request.user, roles.TOWN_OFFICE) or roles.is_read_only(request.user):
        raise PermissionDenied("审计链封存和校验由镇民政办发起；纪委监察可查看校验结果。")
    sealed = seal_audit()
    run = verify_audit(by=request.user, trigger="page")
    if run.ok:
        messages.success(request, f"新封存 {sealed} 个数据块；审计链校验通过（{run.rows_checked} 行）。")
    else:
        messages.error(request, f"审计链校验发现 {len(run.problems)} 处问题，详见下方。")
    return redirect("audit:index")


@login_required
@require_GET
def seal_receipt(request: HttpRequest) -> HttpResponse:
    """The 封存回执 of the latest seal: the inspector prints it and keeps it (logged as a print)."""
    _require_auditor(request)
    seal = head_seal()
    if seal is None:
        raise Http404("还没有任何封存，无法打印回执。")
    digest = seal.digest
    return printed_pdf(
        request=request,
        template="archives/audit/receipt_pdf.html",
        context={
            "seal": seal,
            "groups": [digest[i : i + 4] for i in range(0, len(digest), 4)],
            "short": digest[:16],
            "printed_at": timezone.localtime(),
            "by": request.user,
        },
        obj=seal,
        village_id=None,
        detail=f"封存回执 #{seal.number}",
        filename=f"seal-receipt-{seal.number}.pdf",
    )


@login_required
@require_POST
@reads_only
def audit_verify_receipt(request: HttpRequest) -> HttpResponse:
    """Verify the whole chain against the last 封存回执 the inspector holds (records the run, changes no data)."""
    _require_auditor(request)
    try:
        receipt = parse_receipt(request.POST.get("receipt", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("audit:index")
    run = verify_audit(by=request.user, trigger="receipt", receipt=receipt)
    if run.ok:
        messages.success(request, f"审计链与封存回执 #{receipt.number} 相符，校验通过（{run.rows_checked} 行）。")
    else:
        messages.error(request, f"审计链校验发现 {len(run.problems)} 处问题（核对回执 #{receipt.number}），详见下方。")
    return redirect("audit:index")
