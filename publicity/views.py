"""Publicity pages. Thin: selectors read (scoped by village), services write.

Who may do what: 镇民政办 prepares, opens and closes rounds, records postings,
handles objections and generates notices; 清理小组 members see their villages'
rounds and register objections there (the public often tells them first);
区民政局 and 纪委监察 read. Rounds of other villages are 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from households.selectors import villages_visible_to
from kanjia.access import log_access
from kanjia.forms import attach_errors, query_id
from kanjia.models import AccessLog
from publicity import generation, notices, objections, policy, rounds, selectors
from publicity.forms import (
    NO_CAMPAIGN,
    CorrectStartForm,
    HandleForm,
    ObjectionForm,
    OpenForm,
    PaperForm,
    PolicyForm,
    PostingForm,
    PrepareForm,
    RoundSettingForm,
)
from publicity.models import GenerationJob, NoticeFile, PublicityRound
from review.cases.selectors import campaigns_visible_to, cases_visible_to


def _int(value: str | None) -> int | None:
    return query_id(value)


def _round(request: HttpRequest, pk: int) -> PublicityRound:
    found = selectors.round_for_page(user=request.user, pk=pk)
    if found is None:
        raise Http404("没有找到该公示批次。")
    return found


def _pdf(request: HttpRequest, *, data: bytes, filename: str, obj, village_id: int | None, detail: str):
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=obj,
        village_id=village_id,
        detail=detail,
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- Lists ------------------------------------------------------------------------------


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    campaign_id, village_id = _int(request.GET.get("campaign")), _int(request.GET.get("village"))
    items = list(selectors.round_list(user=user, campaign_id=campaign_id, village_id=village_id))
    campaigns = list(campaigns_visible_to(user=user))
    villages = villages_visible_to(user=user).order_by("order", "name")
    can_manage = rounds.can_manage_rounds(user=user)
    generate = []
    periods = []
    if can_manage:
        jobs = selectors.latest_jobs(campaign_ids=[c.pk for c in campaigns])
        for campaign in campaigns:
            for number in rounds.rounds_applying(campaign=campaign):
                generate.append((campaign, number, jobs.get((campaign.pk, number))))
            days = rounds.publicity_days(campaign=campaign)
            periods.append((campaign, days, RoundSettingForm(initial={"days": days}, prefix=f"c{campaign.pk}")))
    context = {
        "rounds": items,
        "campaigns": campaigns,
        "villages": villages,
        "selected_campaign": campaign_id,
        "selected_village": village_id,
        "can_manage": can_manage,
        # A worklist link names the campaign, village and round: the form is filled in already.
        "prepare_form": PrepareForm(
            campaigns=campaigns,
            villages=villages,
            initial={"campaign": campaign_id, "village": village_id, "number": _int(request.GET.get("number"))},
        )
        if can_manage
        else None,
        "generate": generate,
        "periods": periods,
        "min_days": rounds.MIN_DAYS,
        "combined": selectors.combined_files(user=user),
    }
    return render(request, "publicity/rounds.html", context)


@login_required
@require_POST
def round_prepare(request: HttpRequest) -> HttpResponse:
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("公示批次由镇民政办发布和结束。")
    campaigns = list(campaigns_visible_to(user=request.user))
    villages = villages_visible_to(user=request.user).order_by("order", "name")
    form = PrepareForm(request.POST, campaigns=campaigns, villages=villages)
    if form.is_valid():
        data = form.cleaned_data
        by_pk = {str(c.pk): c for c in campaigns}
        campaign = None if data["campaign"] == NO_CAMPAIGN else by_pk[data["campaign"]]
        try:
            draft = rounds.round_prepare(
                campaign=campaign, village=data["village"], number=data["number"], by=request.user
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"已生成公示草稿，共列入 {draft.entries.count()} 户。请核对后发布。")
            return redirect("publicity:round", draft.pk)
    messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("publicity:rounds")


@login_required
@require_POST
def round_setting(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """A campaign's period for rounds 1 and 2 (never below 7 days)."""
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=campaign_pk)
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("公示期由镇民政办设置。")
    form = RoundSettingForm(request.POST, prefix=f"c{campaign.pk}")
    if form.is_valid():
        try:
            rounds.round_setting_save(campaign=campaign, days=form.cleaned_data["days"], by=request.user)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"“{campaign.name}”第一、二榜公示期已设为 {form.cleaned_data['days']} 天。")
            return redirect("publicity:rounds")
    messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("publicity:rounds")


# --- One round -----------------------------------------------------------------------------


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publicity_round = _round(request, pk)
    return render(request, "publicity/round.html", _round_context(request, publicity_round))


def _round_context(request: HttpRequest, publicity_round: PublicityRound, **forms) -> dict:
    user = request.user
    can_manage = rounds.can_manage_rounds(user=user)
    rows = notices.round_rows(round=publicity_round)
    today = timezone.localdate()
    is_open = publicity_round.status == PublicityRound.Status.OPEN
    entries = list(selectors.round_entries(round=publicity_round))
    context = {
        "round": publicity_round,
        "notice": notices.round_context(round=publicity_round, rows=rows),
        "entries": entries,
        "objections": selectors.round_objections(round=publicity_round),
        "can_manage": can_manage,
        "can_register": is_open and objections.can_register(user=user, round=publicity_round),
        "can_handle": is_open and objections.can_handle(user=user),
        "period_over": publicity_round.ends_on is None or today > publicity_round.ends_on,
        "notice_file": publicity_round.files.filter(kind=NoticeFile.Kind.ROUND).first(),
        "corrections": rounds.start_corrections(round=publicity_round),
    }
    if can_manage and publicity_round.status == PublicityRound.Status.DRAFT:
        context["open_form"] = forms.get("open_form") or OpenForm(
            initial={"starts_on": today, "days": publicity_round.days, "paper": publicity_round.paper},
            number=publicity_round.number,
        )
    if can_manage and is_open:
        context["correct_form"] = forms.get("correct_form") or CorrectStartForm(
            initial={"starts_on": publicity_round.starts_on}
        )
    if can_manage and publicity_round.status != PublicityRound.Status.DRAFT:
        context["posting_form"] = forms.get("posting_form") or PostingForm(
            initial={"posted_on": publicity_round.posted_on or today, "posted_place": publicity_round.posted_place}
        )
    if context["can_register"]:
        context["objection_form"] = forms.get("objection_form") or ObjectionForm(entries=entries)
    return context


@login_required
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    publicity_round = _round(request, pk)
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("公示批次由镇民政办发布。")
    form = OpenForm(request.POST, number=publicity_round.number)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rounds.round_open(
                round=publicity_round,
                by=request.user,
                starts_on=data["starts_on"],
                days=data["days"],
                paper=data["paper"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "公示已发布。请下载公示名单打印张贴，并登记张贴情况。")
            return redirect("publicity:round", pk)
    return render(request, "publicity/round.html", _round_context(request, publicity_round, open_form=form), status=400)


@login_required
@require_POST
def round_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """更正公示开始日期: the town office's correction, with a reason kept in the round's history."""
    publicity_round = _round(request, pk)
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("公示开始日期由镇民政办更正。")
    form = CorrectStartForm(request.POST)
    if form.is_valid():
        try:
            rounds.round_correct_start(round=publicity_round, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "公示开始日期已更正，更正理由已记入该批次的修改记录。")
            return redirect("publicity:round", pk)
    return render(
        request, "publicity/round.html", _round_context(request, publicity_round, correct_form=form), status=400
    )


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    publicity_round = _round(request, pk)
    try:
        summary = rounds.round_close(round=publicity_round, by=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("publicity:round", pk)
    text = f"公示已结束：{summary.passed} 户推进到下一环节"
    if summary.returned:
        text += f"，{summary.returned} 户因异议成立退回入户调查"
    messages.success(request, text + "。")
    for line in summary.held:
        messages.warning(request, f"未能自动推进：{line}")
    return redirect("publicity:round", pk)


@login_required
@require_POST
def round_posting(request: HttpRequest, pk: int) -> HttpResponse:
    publicity_round = _round(request, pk)
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("张贴记录由镇民政办登记。")
    form = PostingForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = rounds.round_record_posting(
                round=publicity_round,
                by=request.user,
                posted_on=data["posted_on"],
                place=data["posted_place"],
                photo=data.get("posted_photo"),
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "已登记张贴情况。")
            for note in getattr(recorded, "posting_notes", []):
                messages.info(request, note)
            return redirect("publicity:round", pk)
    return render(
        request, "publicity/round.html", _round_context(request, publicity_round, posting_form=form), status=400
    )


@login_required
@require_GET
def round_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The posting photo, shown inline (thumbnail and full size) to whoever may see the round; logged."""
    publicity_round = _round(request, pk)
    photo_type = rounds.posting_photo_type(round=publicity_round)
    if photo_type is None:
        raise Http404("该批次没有张贴照片。")
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=publicity_round,
        village_id=publicity_round.village_id,
        detail="公示张贴照片",
    )
    name = f"{notices.round_title(round=publicity_round)}张贴照片{photo_type.extension}"
    response = FileResponse(
        publicity_round.posted_photo.open("rb"), filename=name, content_type=photo_type.content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def round_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice as printed: rendered now (drafts are marked 草稿) and kept as the round's file."""
    publicity_round = _round(request, pk)
    paper = PaperForm(request.GET)
    if paper.is_valid() and paper.cleaned_data["paper"]:
        publicity_round.paper = paper.cleaned_data["paper"]  # this download only; the round keeps its own
    rendered = notices.render_round(round=publicity_round)
    if publicity_round.status != PublicityRound.Status.DRAFT and rounds.can_manage_rounds(user=request.user):
        notices.store_round(round=publicity_round, by=request.user, rendered=rendered)
    title = notices.round_title(round=publicity_round)
    return _pdf(
        request,
        data=rendered.pdf,
        filename=f"{title}.pdf",
        obj=publicity_round,
        village_id=publicity_round.village_id,
        detail=f"公示名单 {publicity_round.paper}",
    )


# --- Objections ---------------------------------------------------------------------------


@login_required
@require_POST
def objection_register(request: HttpRequest, pk: int) -> HttpResponse:
    publicity_round = _round(request, pk)
    if not objections.can_register(user=request.user, round=publicity_round):
        raise PermissionDenied("只有镇民政办或负责该村的清理小组可以登记异议。")
    entries = list(selectors.round_entries(round=publicity_round))
    form = ObjectionForm(request.POST, entries=entries)
    if form.is_valid():
        data = form.cleaned_data
        case = get_object_or_404(cases_visible_to(user=request.user), pk=data.pop("case"))
        try:
            objection = objections.objection_register(round=publicity_round, case=case, by=request.user, **data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"已登记异议 #{objection.pk}。处理完毕前，该户案件暂停推进。")
            return redirect("publicity:round", pk)
    return render(
        request, "publicity/round.html", _round_context(request, publicity_round, objection_form=form), status=400
    )


@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(
        selectors.objections_visible_to(user=request.user).select_related(
            "round__village", "round__campaign", "case__household", "registered_by", "handler"
        ),
        pk=pk,
    )
    can_handle = objection.is_open and objection.round.status == PublicityRound.Status.OPEN
    can_handle = can_handle and objections.can_handle(user=request.user)
    form = None
    if can_handle:
        form = HandleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                objections.objection_handle(objection=objection, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, "异议已处理并答复。")
                return redirect("publicity:round", objection.round_id)
    elif request.method == "POST":
        raise PermissionDenied("异议处理结果由镇民政办作出。")
    history = objection.history.select_related("history_user").order_by("-history_date")
    status = 400 if form is not None and form.errors else 200
    context = {"objection": objection, "form": form, "history": history}
    return render(request, "publicity/objection.html", context, status=status)


@login_required
@require_GET
def objection_list(request: HttpRequest) -> HttpResponse:
    items = selectors.objections_visible_to(user=request.user).select_related(
        "round__village", "round__campaign", "case__household", "handler"
    )
    if request.GET.get("open"):
        items = items.filter(result="")
    context = {"objections": items[:500], "only_open": bool(request.GET.get("open"))}
    return render(request, "publicity/objections.html", context)


# --- Generating all notices ------------------------------------------------------------------


@login_required
@require_POST
def generate(request: HttpRequest, campaign_pk: int, number: int) -> HttpResponse:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=campaign_pk)
    try:
        job = generation.job_request(campaign=campaign, number=number, by=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("publicity:rounds")
    if request.headers.get("HX-Request"):
        return render(request, "publicity/_job.html", {"job": job})
    messages.success(request, "已开始生成各村公示名单。")
    return redirect(reverse("publicity:rounds") + f"#job-{campaign.pk}-{number}")


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    # A job covers every village of a campaign: town-wide roles only.
    if not selectors.can_see_town_wide(user=request.user):
        raise Http404
    job = get_object_or_404(
        GenerationJob.objects.filter(campaign__in=campaigns_visible_to(user=request.user)).select_related("campaign"),
        pk=pk,
    )
    return render(request, "publicity/_job.html", {"job": job})


@login_required
@require_GET
def combined_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.combined_files(user=request.user), pk=pk)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=notice,
        detail=f"全镇合并公示名单 第{notice.number}榜",
    )
    name = f"{notice.campaign}第{rounds.NUMERALS.get(notice.number, notice.number)}榜公示（全镇合并）.pdf"
    return FileResponse(notice.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


# --- Fixed boards and the policy sheet ------------------------------------------------------


@login_required
@require_GET
def board_list(request: HttpRequest) -> HttpResponse:
    context = {"boards": selectors.boards(user=request.user), "can_manage": rounds.can_manage_rounds(user=request.user)}
    return render(request, "publicity/boards.html", context)


@login_required
@require_POST
def board_regenerate(request: HttpRequest, village_pk: int) -> HttpResponse:
    village = get_object_or_404(villages_visible_to(user=request.user), pk=village_pk)
    if not rounds.can_manage_rounds(user=request.user):
        raise PermissionDenied("固定公示栏名单由镇民政办生成。")
    notice = notices.store_board(village=village, by=request.user)
    messages.success(request, f"已重新生成{village.name}固定公示栏名单（{notice.rows} 户，{notice.pages} 页）。")
    return redirect("publicity:boards")


@login_required
@require_GET
def board_pdf(request: HttpRequest, village_pk: int) -> HttpResponse:
    village = get_object_or_404(villages_visible_to(user=request.user), pk=village_pk)
    notice = NoticeFile.objects.filter(kind=NoticeFile.Kind.BOARD, village=village).first()
    if notice is None:
        raise Http404("该村固定公示栏名单尚未生成。")
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        obj=notice,
        village_id=village.pk,
        detail="固定公示栏名单",
    )
    name = f"{village.name}固定公示栏名单.pdf"
    return FileResponse(notice.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


@login_required
@require_GET
def policy_pdf(request: HttpRequest) -> HttpResponse:
    if not villages_visible_to(user=request.user).exists():
        raise PermissionDenied("您的账号没有可查看的村(社区)。")
    rendered = notices.render_policy()
    return _pdf(request, data=rendered.pdf, filename="低保政策宣传.pdf", obj=None, village_id=None, detail="政策宣传")


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    """The policy sheet's text: the 镇民政办 edits it, 区民政局 and 纪委监察 read it."""
    if not policy.can_read_policy(user=request.user):
        raise PermissionDenied("政策宣传单由镇民政办修改，区民政局和纪委监察可以查阅。")
    can_edit = policy.can_edit_policy(user=request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("政策宣传单由镇民政办修改。")
    sheet = selectors.policy_sheet()
    current = notices.policy_context()
    form = None
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                policy.policy_save(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, "政策宣传单已保存，打印的 PDF 将使用新的内容。")
                return redirect("publicity:policy")
    elif can_edit:
        form = PolicyForm(initial={"title": current["title"], "body": "\n".join(current["paragraphs"])})
    context = {
        "sheet": sheet,
        "current": current,
        "form": form,
        "can_edit": can_edit,
        "history": selectors.policy_history(),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "publicity/policy.html", context, status=status)
