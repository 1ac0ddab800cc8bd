"""Pages of dynamic management, 月解剖/月上报, district spot checks and the campaign summary.

Thin: selectors read (scoped by village), services write and decide who may.
- 镇民政办: rhythm rules, the daily run on demand, reported changes, 渐退期,
  月解剖, 月上报, rectification reports;
- 清理小组: their villages' due re-checks, reported changes, their villages' spot checks;
- 区民政局: draws samples, records 听查看访, closes rectifications; reads the rest;
- 纪委监察: reads everything (the middleware refuses their POSTs).
Objects outside the user's villages are 404; visible but not theirs to change, 403.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from households.selectors import households_visible_to
from kanjia import roles
from kanjia.access import log_access
from kanjia.forms import attach_errors
from kanjia.models import AccessLog
from kanjia.xlsx import XLSX_CONTENT_TYPE
from review.cases.selectors import campaigns_visible_to
from review.dynamic import district, monthly, spotchecks, summary
from review.dynamic import selectors as dynamic_selectors
from review.dynamic import services as dynamic
from review.dynamic.forms import (
    AssignForm,
    ChangeReportForm,
    CheckForm,
    ConcludeForm,
    DrawForm,
    FindingForm,
    GraceForm,
    MonthForm,
    PickCaseForm,
    PickRuleForm,
    RectifyForm,
    RuleForm,
)
from review.dynamic.tasks import dynamic_daily
from review.models import Case, Outcome, Status


def _download(request: HttpRequest, *, data: bytes, filename: str, content_type: str, obj, detail: str):
    log_access(request=request, user=request.user, action=AccessLog.Action.EXPORT, obj=obj, detail=detail)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- Dynamic management -------------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not roles.role_names(user):
        raise PermissionDenied("您的账号没有角色，不能查看动态管理。")
    context = {
        "rechecks": Paginator(dynamic_selectors.open_rechecks(user=user), 50).get_page(request.GET.get("page")),
        "upcoming": dynamic_selectors.upcoming(user=user)[:50],
        "triggers": dynamic_selectors.waiting_triggers(user=user)[:50],
        "can_manage": dynamic.can_manage_dynamic(user=user),
        "town_reader": monthly.can_read_reports(user=user),
        "today": timezone.localdate(),
    }
    return render(request, "review/dynamic/index.html", context)


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    if not dynamic.can_manage_dynamic(user=request.user):
        raise PermissionDenied("定期核查由镇民政办安排。")
    # The daily job covers the deployment and takes minutes at district scale (45 s with nothing to
    # do at 100,000 households, inside the request until now): the worker runs it, as it does nightly.
    dynamic_daily.delay_on_commit()
    messages.success(
        request,
        "已交后台运行定期核查（与每天夜间的自动运行相同：生成到期的定期核查案件、登记触发核查、结束期满的渐退期）。"
        "稍后刷新本页查看结果。",
    )
    return redirect("review:dynamic:index")


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if not monthly.can_read_reports(user=request.user):
        raise PermissionDenied("核查周期规则由镇民政办设置。")
    towns = list(monthly.towns_for(user=request.user))
    if request.method == "POST" and "seed" in request.POST:
        # The town's rows are seeded on first use (also by the daily run); GET writes nothing.
        if not dynamic.can_manage_dynamic(user=request.user):
            raise PermissionDenied("核查周期由镇民政办设置。")
        for town in towns:
            dynamic.ensure_default_rules(town=town)
        return redirect("review:dynamic:rules")
    rows = list(dynamic_selectors.rules_for(town_ids=[t.pk for t in towns]))
    forms = {
        r.pk: RuleForm(
            request.POST if request.method == "POST" else None,
            prefix=f"r{r.pk}",
            initial={"interval_months": r.interval_months, "active": r.active},
        )
        for r in rows
    }
    if request.method == "POST":
        if not dynamic.can_manage_dynamic(user=request.user):
            raise PermissionDenied("核查周期由镇民政办设置。")
        if all(f.is_valid() for f in forms.values()):
            for r in rows:
                data = forms[r.pk].cleaned_data
                if (data["interval_months"], data["active"]) != (r.interval_months, r.active):
                    dynamic.rule_update(rule=r, by=request.user, **data)
            dynamic.assign_rhythms()
            messages.success(request, "核查周期已保存，各户下次核查日期已重新计算。")
            return redirect("review:dynamic:rules")
    context = {"rows": [(r, forms[r.pk]) for r in rows], "can_manage": dynamic.can_manage_dynamic(user=request.user)}
    return render(request, "review/dynamic/rules.html", context)


def _household(request: HttpRequest, pk: int):
    return get_object_or_404(households_visible_to(user=request.user).select_related("village"), pk=pk)


def _stopped_cases(household) -> list[Case]:
    cases = Case.objects.filter(household=household, status=Status.DONE, outcome=Outcome.STOP, stop_reason=8)
    return list(cases.exclude(grace_periods__isnull=False).order_by("-closed_at"))


def _render_household(request: HttpRequest, household, *, change_form=None, grace_form=None, status=200):
    user = request.user
    context = {
        "household": household,
        **dynamic_selectors.household_dynamic(household=household),
        "change_form": change_form or ChangeReportForm(initial={"occurred_on": timezone.localdate()}),
        "grace_form": grace_form or GraceForm(cases=_stopped_cases(household)),
        "can_report": not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE, roles.VILLAGE_TEAM),
        "can_manage": dynamic.can_manage_dynamic(user=user),
    }
    return render(request, "review/dynamic/household.html", context, status=status)


@login_required
@require_safe
def household(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_household(request, _household(request, pk))


@login_required
@require_POST
def household_change(request: HttpRequest, pk: int) -> HttpResponse:
    found = _household(request, pk)
    dynamic.require_change_reporter(user=request.user, household=found)
    form = ChangeReportForm(request.POST)
    if form.is_valid():
        try:
            dynamic.report_change(household=found, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已登记家庭情况变化，将安排核查。")
            return redirect("review:dynamic:household", pk=found.pk)
    return _render_household(request, found, change_form=form, status=400)


@login_required
@require_POST
def household_grace(request: HttpRequest, pk: int) -> HttpResponse:
    found = _household(request, pk)
    if not dynamic.can_manage_dynamic(user=request.user):
        raise PermissionDenied("渐退期由镇民政办设置。")
    cases = _stopped_cases(found)
    form = GraceForm(request.POST, cases=cases)
    if form.is_valid():
        data = form.cleaned_data
        case = next(c for c in cases if c.pk == data["case"])
        try:
            grace = dynamic.grace_start(
                case=case,
                months=data["months"],
                monthly_amount=data["monthly_amount"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已设置渐退期，至{grace.end_month:%Y年%m月}止。")
            return redirect("review:dynamic:household", pk=found.pk)
    return _render_household(request, found, grace_form=form, status=400)


@login_required
@require_safe
def graces(request: HttpRequest) -> HttpResponse:
    page = Paginator(dynamic_selectors.graces_visible_to(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "review/dynamic/graces.html", {"page": page, "today": timezone.localdate()})


# --- 月上报 ----------------------------------------------------------------------------------------


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    if not monthly.can_read_reports(user=request.user):
        raise PermissionDenied("月报由镇民政办生成，区民政局和纪委监察可查阅。")
    form = MonthForm(request.POST or None, initial={"month": monthly.default_month(user=request.user)})
    if request.method == "POST":
        if not dynamic.can_manage_dynamic(user=request.user):
            raise PermissionDenied("月报由镇民政办生成。")
        if form.is_valid():
            try:
                made = [
                    monthly.report_generate(town=town, month=form.cleaned_data["month"], by=request.user)
                    for town in monthly.towns_reporting(user=request.user)
                ]
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已生成{form.cleaned_data['month']:%Y年%m月}月报（{len(made)} 份）。")
                return redirect("review:dynamic:reports")
    page = Paginator(monthly.reports_visible_to(user=request.user), 24).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "can_manage": dynamic.can_manage_dynamic(user=request.user),
        **_district_context(request),
    }
    return render(request, "review/dynamic/reports.html", context, status=400 if form.errors else 200)


def _district_context(request: HttpRequest, form=None) -> dict:
    if not district.can_read_district(user=request.user):
        return {}
    return {
        "district_reports": district.district_reports_visible_to(user=request.user)[:24],
        "district_form": form or MonthForm(initial={"month": monthly.default_month(user=request.user)}, prefix="d"),
        "can_start_district": district.can_start_district(user=request.user),
    }


@login_required
@require_POST
def district_start(request: HttpRequest) -> HttpResponse:
    if not district.can_start_district(user=request.user):
        raise PermissionDenied("全区月报由区民政局生成。")
    form = MonthForm(request.POST, prefix="d")
    if form.is_valid():
        try:
            job = district.district_report_start(month=form.cleaned_data["month"], by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect("review:dynamic:district_report", pk=job.pk)
    page = Paginator(monthly.reports_visible_to(user=request.user), 24).get_page(None)
    context = {
        "page": page,
        "form": MonthForm(initial={"month": monthly.default_month(user=request.user)}),
        "can_manage": dynamic.can_manage_dynamic(user=request.user),
        **_district_context(request, form),
    }
    return render(request, "review/dynamic/reports.html", context, status=400)


def _district_report(request: HttpRequest, pk: int):
    if not district.can_read_district(user=request.user):
        raise PermissionDenied("全区月报仅限区民政局和区纪委查阅。")
    return get_object_or_404(district.district_reports_visible_to(user=request.user), pk=pk)


@login_required
@require_safe
def district_report(request: HttpRequest, pk: int) -> HttpResponse:
    job = _district_report(request, pk)
    return render(request, "review/dynamic/district_report.html", district.district_context(job=job))


@login_required
@require_safe
def district_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled fragment (htmx, every second); reloads the page once the job has finished."""
    job = _district_report(request, pk)
    response = render(request, "households/ledger/_progress.html", {"job": job, "url": request.path})
    if not job.busy:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_safe
def district_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    job = _district_report(request, pk)
    stored = {"xlsx": job.xlsx, "pdf": job.pdf}.get(kind)
    if job.status != job.Status.DONE or not stored:
        raise Http404("该月报文件不存在。")
    log_access(request=request, user=request.user, action=AccessLog.Action.DOWNLOAD, obj=job, detail=f"全区月报 {kind}")
    name = f"{job.month:%Y年%m月}全区低保月报.{kind}"
    content_type = XLSX_CONTENT_TYPE if kind == "xlsx" else "application/pdf"
    return FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=content_type)


@login_required
@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(monthly.reports_visible_to(user=request.user), pk=pk)
    return render(request, "review/dynamic/report.html", monthly.report_context(report=report))


@login_required
@require_safe
def report_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = get_object_or_404(monthly.reports_visible_to(user=request.user), pk=pk)
    stored = {"xlsx": report.xlsx, "pdf": report.pdf}.get(kind)
    if not stored:
        raise Http404("该月报文件不存在。")
    log_access(request=request, user=request.user, action=AccessLog.Action.DOWNLOAD, obj=report, detail=f"月报 {kind}")
    name = f"{report.town.name}{report.month:%Y年%m月}低保月报.{kind}"
    content_type = XLSX_CONTENT_TYPE if kind == "xlsx" else "application/pdf"
    return FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=content_type)


# --- 月解剖 ----------------------------------------------------------------------------------------


@login_required
def analyses(request: HttpRequest) -> HttpResponse:
    if not monthly.can_read_reports(user=request.user):
        raise PermissionDenied("月解剖由镇民政办组织。")
    form = MonthForm(request.POST or None, initial={"month": timezone.localdate()})
    if request.method == "POST":
        towns = list(monthly.towns_for(user=request.user))
        if not towns:
            raise PermissionDenied("月解剖由镇民政办组织。")
        if form.is_valid():
            analysis = monthly.analysis_open(town=towns[0], month=form.cleaned_data["month"], by=request.user)
            return redirect("review:dynamic:analysis", pk=analysis.pk)
    context = {
        "analyses": monthly.analyses_visible_to(user=request.user)[:36],
        "form": form,
        "can_manage": dynamic.can_manage_dynamic(user=request.user),
    }
    return render(request, "review/dynamic/analyses.html", context)


def _render_analysis(request: HttpRequest, analysis, *, status: int = 200, **forms) -> HttpResponse:
    items = analysis.items.select_related("case__household__village").order_by("pk")
    context = {
        "analysis": analysis,
        "items": [
            (item, forms.get(f"item_{item.pk}") or FindingForm(initial={"finding": item.finding}, prefix=f"i{item.pk}"))
            for item in items
        ],
        "rule_form": forms.get("rule") or PickRuleForm(),
        "case_form": forms.get("case") or PickCaseForm(),
        "conclude_form": forms.get("conclude")
        or ConcludeForm(
            initial={"held_on": analysis.held_on, "participants": analysis.participants, "findings": analysis.findings}
        ),
        "can_manage": dynamic.can_manage_dynamic(user=request.user),
    }
    return render(request, "review/dynamic/analysis.html", context, status=status)


@login_required
@require_safe
def analysis(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_analysis(request, get_object_or_404(monthly.analyses_visible_to(user=request.user), pk=pk))


@login_required
@require_POST
def analysis_post(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    found = get_object_or_404(monthly.analyses_visible_to(user=request.user), pk=pk)
    if not dynamic.can_manage_dynamic(user=request.user):
        raise PermissionDenied("月解剖由镇民政办组织。")
    forms = {
        "rule": (PickRuleForm, lambda d: monthly.analysis_pick_rule(analysis=found, by=request.user, **d)),
        "case": (PickCaseForm, lambda d: monthly.analysis_pick_case(analysis=found, by=request.user, **d)),
        "conclude": (ConcludeForm, lambda d: monthly.analysis_conclude(analysis=found, by=request.user, **d)),
    }
    if what not in forms:
        raise Http404
    form_class, action = forms[what]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            added = f"，新增 {result} 件" if isinstance(result, int) else ""
            messages.success(request, f"已保存{added}。")
            return redirect("review:dynamic:analysis", pk=found.pk)
    return _render_analysis(request, found, status=400, **{what: form})


@login_required
@require_POST
def analysis_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    found = get_object_or_404(monthly.analyses_visible_to(user=request.user), pk=pk)
    item = get_object_or_404(found.items, pk=item_id)
    if not dynamic.can_manage_dynamic(user=request.user):
        raise PermissionDenied("月解剖由镇民政办组织。")
    form = FindingForm(request.POST, prefix=f"i{item.pk}")
    if form.is_valid():
        try:
            monthly.analysis_item_finding(item=item, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已记录案件#{item.case_id}的解剖发现。")
            return redirect("review:dynamic:analysis", pk=found.pk)
    return _render_analysis(request, found, status=400, **{f"item_{item.pk}": form})


# --- 区级抽查 ---------------------------------------------------------------------------------------


@login_required
def samples(request: HttpRequest) -> HttpResponse:
    visible = spotchecks.samples_visible_to(user=request.user)
    if not roles.role_names(request.user):
        raise PermissionDenied("您的账号没有角色。")
    can_draw = spotchecks.can_draw(user=request.user)
    campaigns = campaigns_visible_to(user=request.user)
    form = DrawForm(request.POST or None, campaigns=campaigns)
    if request.method == "POST":
        if not can_draw:
            raise PermissionDenied("抽查样本由区民政局抽取。")
        if form.is_valid():
            try:
                sample = spotchecks.sample_draw(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已抽取 {sample.checks.count()} 户（随机种子 {sample.seed}）。")
                return redirect("review:dynamic:sample", pk=sample.pk)
    context = {"samples": visible[:50], "form": form, "can_draw": can_draw}
    return render(request, "review/dynamic/spotchecks/list.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def sample(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(spotchecks.samples_visible_to(user=request.user), pk=pk)
    checks = list(spotchecks.checks_for_sample(sample=found, user=request.user))
    context = {
        "sample": found,
        "checks": checks,
        "results": spotchecks.results(checks=checks),
        "today": timezone.localdate(),
        "reproduced": spotchecks.reproduce(sample=found) == sorted(found.checks.values_list("case_id", flat=True)),
    }
    return render(request, "review/dynamic/spotchecks/sample.html", context)


@login_required
@require_safe
def sample_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(spotchecks.samples_visible_to(user=request.user), pk=pk)
    checks = list(spotchecks.checks_for_sample(sample=found, user=request.user))
    data = spotchecks.export_xlsx(sample=found, checks=checks)
    name = f"区级抽查结果-{found.drawn_at:%Y%m%d}-{found.pk}.xlsx"
    return _download(request, data=data, filename=name, content_type=XLSX_CONTENT_TYPE, obj=found, detail="抽查结果")


def _check(request: HttpRequest, pk: int):
    return get_object_or_404(
        spotchecks.checks_visible_to(user=request.user).select_related("sample", "case", "household__village"), pk=pk
    )


def _render_check(request: HttpRequest, check, *, form=None, rectify_form=None, status: int = 200) -> HttpResponse:
    initial = {f: getattr(check, f) for f in CheckForm.base_fields} if check.conclusion else {}
    context = {
        "check": check,
        "form": form or CheckForm(initial=initial or {"heard_on": timezone.localdate()}),
        "rectify_form": rectify_form or RectifyForm(initial={"rectified_on": timezone.localdate()}),
        "can_record": spotchecks.can_draw(user=request.user) and not check.closed_at,
        "assign_form": AssignForm(staff=spotchecks.district_staff(), initial={"assignee": check.assignee_id}),
        "can_rectify": spotchecks.can_report_rectification(user=request.user)
        and check.conclusion == "需整改"
        and not check.closed_at,
        "today": timezone.localdate(),
    }
    return render(request, "review/dynamic/spotchecks/check.html", context, status=status)


@login_required
def check(request: HttpRequest, pk: int) -> HttpResponse:
    found = _check(request, pk)
    if request.method != "POST":
        return _render_check(request, found)
    if not spotchecks.can_draw(user=request.user):
        raise PermissionDenied("听查看访记录由区民政局填写。")
    form = CheckForm(request.POST)
    if form.is_valid():
        try:
            spotchecks.check_record(check=found, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存听查看访记录。")
            return redirect("review:dynamic:sample", pk=found.sample_id)
    return _render_check(request, found, form=form, status=400)


@login_required
@require_POST
def check_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the check's home visit to a district officer (their phone's visit list)."""
    found = _check(request, pk)
    if not spotchecks.can_draw(user=request.user):
        raise PermissionDenied("抽查走访人员由区民政局安排。")
    form = AssignForm(request.POST, staff=spotchecks.district_staff())
    if form.is_valid():
        try:
            spotchecks.check_assign(check=found, assignee=form.cleaned_data["assignee"], by=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已安排走访人员。")
    else:
        messages.error(request, "请选择区民政局的走访人员。")
    return redirect("review:dynamic:check", pk=found.pk)


@login_required
@require_POST
def check_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    found = _check(request, pk)
    if not spotchecks.can_report_rectification(user=request.user):
        raise PermissionDenied("整改情况由镇民政办报告。")
    form = RectifyForm(request.POST)
    if form.is_valid():
        try:
            spotchecks.rectification_report(
                check=found,
                rectified_on=form.cleaned_data["rectified_on"],
                report=form.cleaned_data["rectification_report"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已报告整改情况，等待区民政局销号。")
            return redirect("review:dynamic:check", pk=found.pk)
    return _render_check(request, found, rectify_form=form, status=400)


@login_required
@require_POST
def check_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = _check(request, pk)
    try:
        spotchecks.rectification_close(check=found, by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "整改已销号。")
    return redirect("review:dynamic:check", pk=found.pk)


# --- 总结 --------------------------------------------------------------------------------------------


def _summary(request: HttpRequest, pk: int) -> dict:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=pk)
    return summary.campaign_summary(campaign=campaign, user=request.user)


@login_required
@require_safe
def campaign_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "review/dynamic/summary/summary.html", _summary(request, pk))


@login_required
@require_safe
def summary_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    data = _summary(request, pk)
    return _download(
        request,
        data=summary.summary_xlsx(summary=data),
        filename=f"{data['campaign'].name}工作总结.xlsx",
        content_type=XLSX_CONTENT_TYPE,
        obj=data["campaign"],
        detail="专项行动总结 Excel",
    )


@login_required
@require_safe
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    data = _summary(request, pk)
    return _download(
        request,
        data=summary.summary_pdf(summary=data),
        filename=f"{data['campaign'].name}工作总结.pdf",
        content_type="application/pdf",
        obj=data["campaign"],
        detail="专项行动总结 PDF",
    )
