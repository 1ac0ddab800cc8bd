"""Meeting pages: list, record, detail (minutes, cases heard), link cases, upload minutes. Thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from kanjia.forms import attach_errors, query_id
from review import filing
from review.cases.selectors import campaigns_visible_to
from review.meetings import selectors, services
from review.meetings.forms import LinkForm, MeetingForm, MinutesForm
from review.models import Meeting, MeetingAppraisal


def _int(value: str | None) -> int | None:
    return query_id(value)


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(
        selectors.meetings_visible_to(user=request.user).select_related("village", "campaign"), pk=pk
    )


def _require_change(request: HttpRequest, meeting: Meeting) -> None:
    refusal = services.meeting_refusal(user=request.user, kind=meeting.kind, village=meeting.village)
    if refusal:
        raise PermissionDenied(refusal)


@login_required
@require_safe
def meeting_list(request: HttpRequest) -> HttpResponse:
    campaign_id = _int(request.GET.get("campaign"))
    kind = request.GET.get("kind", "")
    kind = kind if kind in Meeting.Kind.values else ""
    context = {
        "meetings": selectors.meeting_list(user=request.user, campaign_id=campaign_id, kind=kind)[:200],
        "campaigns": campaigns_visible_to(user=request.user),
        "campaign_id": campaign_id,
        "kind": kind,
        "kinds": Meeting.Kind.choices,
        "can_record": services.meeting_refusal(user=request.user, kind=Meeting.Kind.APPRAISAL, village=None) is None,
    }
    return render(request, "review/meetings/list.html", context)


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if services.meeting_refusal(user=request.user, kind=Meeting.Kind.APPRAISAL, village=None):
        raise PermissionDenied("会议记录由镇民政办或清理小组登记。")
    initial = {"held_on": timezone.localdate()}
    if (campaign_id := _int(request.GET.get("campaign"))) is not None:
        initial["campaign"] = campaign_id
    if request.GET.get("kind") in Meeting.Kind.values:
        initial["kind"] = request.GET["kind"]
    form = MeetingForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                by=request.user, minutes=form.cleaned_data.get("minutes"), **form.service_kwargs()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记会议：{meeting}。")
            return redirect("review:meeting_detail", pk=meeting.pk)
    return render(
        request, "review/meetings/form.html", {"form": form, "meeting": None}, status=400 if form.errors else 200
    )


def _detail(request: HttpRequest, meeting: Meeting, *, link_form=None, minutes_form=None, status: int = 200):
    can_change = services.can_change_meeting(user=request.user, meeting=meeting)
    candidates = list(selectors.appraisals_to_link(meeting=meeting, user=request.user)) if can_change else []
    context = {
        "meeting": meeting,
        "files": filing.files_of(user=request.user, meetings=[meeting]).get(("meeting", meeting.pk), []),
        "links": selectors.meeting_links(meeting=meeting),
        "can_change": can_change,
        "link_form": link_form or (LinkForm(appraisals=candidates) if candidates else None),
        "minutes_form": minutes_form or (MinutesForm() if can_change and filing.can_attach() else None),
    }
    return render(request, "review/meetings/detail.html", context, status=status)


@login_required
@require_safe
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _meeting(request, pk))


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    _require_change(request, meeting)
    initial = {
        f: getattr(meeting, f)
        for f in ("campaign", "held_on", "place", "chair", "attendee_count", "attendees", "summary")
    }
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存会议记录。")
            return redirect("review:meeting_detail", pk=meeting.pk)
    return render(
        request, "review/meetings/form.html", {"form": form, "meeting": meeting}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def meeting_link(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    _require_change(request, meeting)
    candidates = list(selectors.appraisals_to_link(meeting=meeting, user=request.user))
    form = LinkForm(request.POST, appraisals=candidates)
    if not form.is_valid():
        return _detail(request, meeting, link_form=form, status=400)
    try:
        count = services.meeting_link(meeting=meeting, case_ids=form.cleaned_data["cases"], by=request.user)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _detail(request, meeting, link_form=form, status=400)
    messages.success(request, f"已关联 {count} 件案件的民主评议记录。")
    return redirect("review:meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_unlink(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    link = get_object_or_404(MeetingAppraisal.objects.select_related("meeting__village"), meeting=meeting, pk=link_id)
    services.meeting_unlink(link=link, by=request.user)
    messages.success(request, "已取消关联。")
    return redirect("review:meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    _require_change(request, meeting)
    form = MinutesForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, meeting, minutes_form=form, status=400)
    try:
        filed = services.meeting_attach(meeting=meeting, file=form.cleaned_data["file"], by=request.user)
    except ValidationError as exc:
        attach_errors(form, exc)
        return _detail(request, meeting, minutes_form=form, status=400)
    messages.success(request, f"已上传会议记录：{filed.name}（归入综合档案）。")
    return redirect("review:meeting_detail", pk=meeting.pk)


def appraisal_meeting(*, case, user) -> dict:
    """For the case page: the 民主评议 meeting the case was appraised in and its minutes (filed once)."""
    meeting = selectors.meeting_of_case(case=case)
    if meeting is None:
        return {"appraisal_meeting": None, "appraisal_minutes": []}
    minutes = filing.files_of(user=user, meetings=[meeting]).get(("meeting", meeting.pk), [])
    return {"appraisal_meeting": meeting, "appraisal_minutes": minutes}
