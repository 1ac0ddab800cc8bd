"""Pages for campaigns, cases and worklists. Thin: selectors read, workflow/campaigns write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from households.idcard import mask
from households.models import ReviewFlag
from households.selectors import households_visible_to, villages_visible_to
from households.towns.selectors import office_of
from kanjia.forms import attach_errors
from kanjia.printing import printed_pdf
from kanjia.worklists import work_items
from review.cases import amounts, workflow
from review.cases import campaigns as campaign_services
from review.cases import registration as printed_registration
from review.cases.forms import ApplicationForm, CampaignForm, CaseFilterForm, ReasonForm, ReturnForm, stage_form
from review.cases.nextstep import next_step
from review.cases.selectors import (
    OPEN_STATUSES,
    campaign_dashboard,
    campaigns_visible_to,
    case_for_page,
    case_list_page,
    case_steps,
    household_cases,
    objection_badge,
    overdue_q,
    registered_case_filters,
    worklist,
)
from review.cases.workflow import RETURN, STAGE_RECORDS, TERMINATE, TransitionError
from review.leadership.views import campaign_records
from review.meetings.views import appraisal_meeting
from review.models import CampaignPhase, Case, RegistrationForm, TeamMembership
from review.notices import selectors as notice_selectors
from review.notices import services as notice_services
from review.teams.selectors import teams_visible_to
from review.visits import selectors as visit_selectors

# URL slug → stage record name.
STAGE_SLUGS = {
    "acceptance": "acceptance",
    "investigation": "investigation",
    "appraisal": "appraisal",
    "town-review": "town_review",
    "district-approval": "district_approval",
}
SLUG_FOR = {v: k for k, v in STAGE_SLUGS.items()}


# --- Campaigns ----------------------------------------------------------------------------


@login_required
@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    items = campaigns_visible_to(user=request.user).prefetch_related("phases")
    can_manage = campaign_services.can_manage_campaigns(user=request.user)
    return render(request, "review/cases/campaigns/list.html", {"campaigns": items, "can_manage": can_manage})


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not campaign_services.can_manage_campaigns(user=request.user):
        raise PermissionDenied("专项行动由镇民政办设置。")
    year = timezone.localdate().year
    form = CampaignForm(request.POST or None, year=year)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        phases = [
            campaign_services.PhaseInput(kind, c[f"phase_{kind}_start"], c[f"phase_{kind}_end"])
            for kind in CampaignPhase.Kind.values
        ]
        try:
            campaign = campaign_services.campaign_create(
                name=c["name"],
                kind=c["kind"],
                scope_date=c["scope_date"],
                by=request.user,
                appraisal_required=c["appraisal_required"],
                spot_check_share=c["spot_check_share"],
                phases=phases,
                leadership=c["leadership"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已创建专项行动“{campaign.name}”。")
            return redirect("review:campaign_detail", pk=campaign.pk)
    return render(request, "review/cases/campaigns/form.html", {"form": form})


@login_required
@require_safe
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user).prefetch_related("phases"), pk=pk)
    context = {
        "campaign": campaign,
        "board": campaign_dashboard(campaign=campaign, user=request.user),
        "can_manage": campaign_services.can_manage_campaigns(user=request.user),
        **campaign_records(campaign=campaign, user=request.user),
    }
    return render(request, "review/cases/campaigns/detail.html", context)


@login_required
@require_POST
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=pk)
    created = campaign_services.campaign_launch(campaign=campaign, by=request.user)
    if created:
        messages.success(request, f"已启动：新建复核案件 {created} 件。")
    else:
        messages.info(request, "没有需要新建的复核案件（已在范围内的低保户均已建案）。")
    return redirect("review:campaign_detail", pk=campaign.pk)


# --- New applications (新申请) ----------------------------------------------------------------


@login_required
def application_new(request: HttpRequest, household_pk: int) -> HttpResponse:
    """Register a 新申请 for a household that is not covered; with a campaign, a 漏保 found in it."""
    household = get_object_or_404(households_visible_to(user=request.user).select_related("village"), pk=household_pk)
    refusal = campaign_services.application_refusal(user=request.user, household=household)
    if refusal:
        raise PermissionDenied(refusal)
    form = ApplicationForm(request.POST or None, campaigns=campaigns_visible_to(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            case = campaign_services.application_create(
                household=household, by=request.user, campaign=form.cleaned_data["campaign"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记新申请（案件#{case.pk}），请填写受理记录。")
            return redirect("review:case_detail", pk=case.pk)
    context = {
        "household": household,
        "form": form,
        "open_cases": household_cases(user=request.user, household=household).filter(status__in=OPEN_STATUSES),
    }
    return render(request, "review/cases/application_new.html", context)


# --- Cases ----------------------------------------------------------------------------------


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = case_for_page(user=request.user, pk=pk)
    if case is None:
        raise Http404("没有找到该案件。")
    return case


def _record(case: Case, name: str):
    return workflow.RECORD_MODELS[name].objects.filter(case=case).first()


def _initial(case: Case, name: str, record) -> dict:
    today = timezone.localdate()
    if record is None:
        if name in ("town_review", "district_approval"):
            # Decisions start from the computation for the month they take effect.
            computed = amounts.computed_for(case=case, decided_on=today)
            if name == "town_review":
                return {"reviewed_on": today, "proposed_amount": computed.total}
            return {
                "decided_on": today,
                "base_amount": computed.base,
                "extra_amount": computed.extra,
                "category": case.household.category_id,
            }
        return {
            "acceptance": {"applied_on": today, "accepted_on": today, "applicant_name": case.household.head_name},
            "investigation": {"visited_on": today},
            "appraisal": {"held_on": today},
        }[name]
    if name == "investigation":
        from review.cases.forms import InvestigationForm

        return InvestigationForm.initial_from(record)
    fields = stage_form(name, case).fields
    return {f: getattr(record, f"{f}_id" if f == "category" else f) for f in fields if hasattr(record, f)}


def _stage_transitions(case: Case, user) -> tuple[str | None, list, dict]:
    """The current stage's record (if the user may fill it), its advancing transitions, and the others."""
    available = workflow.available_transitions(case=case, user=user)
    name = STAGE_RECORDS.get(case.status)
    advancing = [(a, t) for a, t in available if t.record == name and t.record]
    others = {a: t for a, t in available if not t.record}
    return (name if advancing else None), advancing, others


def _render_case(request: HttpRequest, case: Case, *, form=None, return_form=None, reason_form=None) -> HttpResponse:
    # Read-only from here on: the actor checks the buttons, the 下一步 panel and the refusal
    # text share run once (workflow.actor_checks_memoised).
    with workflow.actor_checks_memoised():
        return _case_page(request, case, form=form, return_form=return_form, reason_form=reason_form)


def _case_page(request: HttpRequest, case: Case, *, form, return_form, reason_form) -> HttpResponse:
    name, advancing, others = _stage_transitions(case, request.user)
    step = next_step(case=case, user=request.user)
    if step is not None and step.blocked:
        # A button that cannot succeed now is not offered; the 下一步 panel says why.
        advancing = [(a, t) for a, t in advancing if a != step.action]
    records = {n: _record(case, n) for n in workflow.RECORD_MODELS}
    if name and form is None:
        form = stage_form(name, case, initial=_initial(case, name, records[name]))
    household = case.household
    members = [(m, mask(m.id_number)) for m in household.members.all()]
    registration = (
        RegistrationForm.objects.filter(case=case)
        .select_related("leader_signed_by", "cadre_signed_by", "village_cadre_signed_by")
        .first()
    )
    my_role = TeamMembership.objects.filter(team_id=case.team_id, user=request.user).values_list("role", flat=True)
    signing_blockers = workflow.signing_blockers(case=case) if registration is not None else []
    return_transition = others.get(RETURN)
    if return_transition and return_form is None:
        return_form = ReturnForm(targets=workflow.return_targets(case=case, transition=return_transition))
    context = {
        "case": case,
        "step": step,
        "household": household,
        "members": members,
        "open_flags": household.flags.filter(disposition=ReviewFlag.Disposition.PENDING),
        "steps": case_steps(case=case),
        "stage_name": name,
        "stage_slug": SLUG_FOR.get(name or ""),
        "form": form,
        "advancing": advancing,
        "return_form": return_form if return_transition else None,
        "reason_form": (reason_form or ReasonForm()) if TERMINATE in others else None,
        "records": records,
        "registration": registration,
        "can_sign": _can_sign(case, registration, next(iter(my_role), None), signing_blockers),
        "signing_blockers": signing_blockers if registration and case.is_open else [],
        "signing_state": step.state if step is not None else "",
        # 上交民政办 again, after a third signature whose hand-over the pipeline refused.
        "can_hand_over": step is not None
        and step.action == "submit"
        and not step.blocked
        and "submit" in others
        and registration is not None
        and registration.fully_signed,
        "overdue": Case.objects.filter(pk=case.pk).filter(overdue_q()).exists(),
        "objection_badge": objection_badge(case=case),
        "refusal": None if (advancing or others) else workflow.refusal_reason(case=case, user=request.user),
        "notices": workflow.case_notices(case=case) if case.is_open else [],
        **appraisal_meeting(case=case, user=request.user),
        "paperwork": notice_selectors.case_paperwork(case=case, user=request.user),
        "can_register_complaint": case.status == Case.Status.DONE
        and notice_services.can_manage_notices(user=request.user),
        "today": timezone.localdate(),
        "computed": amounts.computed_for(case=case, decided_on=timezone.localdate()) if case.is_open else None,
        "phone_syncs": visit_selectors.case_syncs(case=case),
    }
    return render(request, "review/cases/detail.html", context)


def _can_sign(case: Case, registration: RegistrationForm | None, role: str | None, blockers: list[str]) -> str | None:
    """The team role the user would sign in, when a signature of theirs is still missing and
    the 登记表 may be signed now (`blockers` empty; otherwise the 下一步 panel says why)."""
    if registration is None or role is None or not case.is_open or blockers:
        return None
    slot = workflow.SIGNATURE_SLOTS[role]
    if getattr(registration, f"{slot}_signed_by_id") is not None:
        return None
    return role


@login_required
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case_or_404(request, pk))


@login_required
@require_POST
def case_stage(request: HttpRequest, pk: int, stage: str) -> HttpResponse:
    """Save the current stage's record ("保存"), or save it and take a transition."""
    case = _case_or_404(request, pk)
    name = STAGE_SLUGS.get(stage)
    if name is None or STAGE_RECORDS.get(case.status) != name:
        messages.error(request, f"本案当前处于“{case.status}”环节，请刷新后再办理。")
        return redirect("review:case_detail", pk=case.pk)
    form = stage_form(name, case, request.POST)
    action = request.POST.get("action", "save")
    if form.is_valid():
        try:
            if action == "save":
                workflow.stage_save(case=case, by=request.user, data=form.to_data())
                messages.success(request, "已保存。")
            else:
                case = workflow.case_advance(case=case, action=action, by=request.user, data=form.to_data())
                messages.success(request, f"已办理，本案进入“{case.status}”环节。")
        except TransitionError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            attach_errors(form, exc)
        else:
            return redirect("review:case_detail", pk=case.pk)
    return _render_case(request, case, form=form)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Transitions without a stage record: 退回 (with target and reason), 终止, and 提交 after signatures."""
    case = _case_or_404(request, pk)
    data, return_form, reason_form = None, None, None
    if action == RETURN:
        transition = workflow.TRANSITIONS.get((case.status, RETURN))
        targets = workflow.return_targets(case=case, transition=transition) if transition else []
        return_form = ReturnForm(request.POST, targets=targets)
        form = return_form
        data = {"target": request.POST.get("target")}
    else:
        reason_form = ReasonForm(request.POST)
        form = reason_form
    if "\x00" in request.POST.get("note", ""):
        # PostgreSQL text cannot hold a NUL byte: refused like any form field would (Django's own message).
        form.is_valid()
        messages.error(request, "理由中含有无效字符（空字符），请重新填写。")
        return _render_case(request, case, return_form=return_form, reason_form=reason_form)
    try:
        case = workflow.case_advance(
            case=case, action=action, by=request.user, data=data, note=request.POST.get("note", "")
        )
    except TransitionError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        form.is_valid()
        attach_errors(form, exc)
        messages.error(request, exc.text)
        return _render_case(request, case, return_form=return_form, reason_form=reason_form)
    messages.success(request, f"已办理，本案进入“{case.status}”环节。")
    return redirect("review:case_detail", pk=case.pk)


@login_required
@require_POST
def case_sign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    try:
        signed = workflow.registration_sign(case=case, by=request.user)
    except TransitionError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, exc.text)
    else:
        messages.success(request, "已在清理核实登记表上签字。")
        for note in signed.notes:
            messages.info(request, note)
        if signed.submitted:
            messages.success(request, f"三人已签齐，登记表已上交民政办，本案进入“{signed.case.status}”环节。")
        elif signed.refusal:
            messages.warning(
                request, f"三人已签齐，签字有效；但暂未能上交民政办：{signed.refusal} 处理后请按“上交民政办”。"
            )
    return redirect("review:case_detail", pk=case.pk)


@login_required
@require_safe
def registration_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not RegistrationForm.objects.filter(case=case).exists():
        raise Http404("本案尚未生成清理核实登记表。")
    context = printed_registration.registration_context(case=case)
    return printed_pdf(
        request=request,
        template=printed_registration.TEMPLATE,
        context=context,
        obj=context["form"],
        village_id=case.household.village_id,
        detail=f"清理核实登记表 案件#{case.pk}",
        filename=f"registration-{case.pk}.pdf",
    )


@login_required
@require_safe
def acceptance_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """一次性告知书: every material still missing at 受理, printed for the applicant to take home."""
    case = _case_or_404(request, pk)
    record = _record(case, "acceptance")
    materials = [line.strip() for line in (record.missing_materials if record else "").splitlines() if line.strip()]
    if not materials:
        raise Http404("本案受理记录中没有需要补齐的材料，无需打印一次性告知书。")
    context = {
        "case": case,
        "household": case.household,
        "record": record,
        "materials": materials,
        "office": office_of(town=case.household.village.town),
        "printed_at": timezone.localtime(),
    }
    return printed_pdf(
        request=request,
        template="review/cases/notice_pdf.html",
        context=context,
        obj=record,
        village_id=case.household.village_id,
        detail=f"一次性告知书 案件#{case.pk}",
        filename=f"notice-{case.pk}.pdf",
    )


@login_required
@require_safe
def worklist_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(worklist(user=request.user), 50).get_page(request.GET.get("page"))
    context = {"page": page, "today": timezone.localdate(), "work_items": work_items(user=request.user)}
    if notice_services.can_manage_notices(user=request.user):
        # The paperwork the town office owes: notices to deliver (overdue first) and open complaints.
        context["undelivered"] = list(notice_selectors.notices_undelivered(user=request.user)[:50])
        context["open_complaints"] = list(notice_selectors.complaints_open(user=request.user)[:50])
    return render(request, "review/cases/worklist.html", context)


@login_required
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case the user may see, filtered (stage, village, team, overdue, flags, objection, documents,
    登记表); the worklists' and the campaign dashboard's counts link here."""
    user = request.user
    form = CaseFilterForm(
        request.GET or None,
        campaigns=campaigns_visible_to(user=user),
        villages=villages_visible_to(user=user).order_by("order", "name"),
        teams=teams_visible_to(user=user).order_by("name"),
        extra=registered_case_filters(),
    )
    filters = form.filters() if request.GET else {}
    page = case_list_page(user=user, filters=filters, number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode(), "filtered": bool(filters)}
    return render(request, "review/cases/list.html", context)
