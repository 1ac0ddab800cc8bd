"""Pages of the inspector's register (问题线索), under /audit/clues/.

Inspectors list, register, handle and refer clues; the town office sees the
clues referred to it and answers them; a clue naming the viewer is a 404 for
them; everyone else gets 403. Thin views: archives.clues.selectors reads,
archives.clues.services writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from archives.audit.services import ANOMALIES, history_to_entries, with_previous
from archives.clues import selectors, services
from archives.clues.forms import AnswerForm, ClueEditForm, ClueForm, ReferForm
from archives.models import Clue
from households.models import Household
from households.towns.selectors import towns_visible_to
from kanjia.forms import attach_errors, query_id
from review.models import Case

SOURCE_PREFILL = {"anomaly": Clue.Source.ANOMALY, "spot-check": Clue.Source.SPOT_CHECK}


def _require_reader(request: HttpRequest) -> None:
    if not selectors.can_read_register(user=request.user):
        raise PermissionDenied("问题线索登记簿仅供纪委监察查阅（交办的线索由镇民政办答复）。")


def _require_inspector(request: HttpRequest) -> None:
    if not services.can_register(user=request.user):
        raise PermissionDenied("问题线索由纪委监察登记和办理。")


def _clue(request: HttpRequest, pk: int) -> Clue:
    _require_reader(request)
    return get_object_or_404(selectors.clues_visible_to(user=request.user).select_related("created_by", "town"), pk=pk)


@login_required
@require_GET
def clue_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    status = request.GET.get("status", "")
    context = {
        "clues": selectors.clue_list(user=request.user, status=status)[:300],
        "status": status,
        "statuses": Clue.Status.choices,
        "can_register": services.can_register(user=request.user),
        "anomalies": ANOMALIES,
        "several_towns": selectors.sees_several_towns(user=request.user),
    }
    return render(request, "archives/clues/list.html", context)


def _prefill(request: HttpRequest) -> dict:
    """A link from an anomaly report names its report, case, household and staff member."""
    initial: dict = {"found_on": timezone.localdate()}
    if request.GET.get("source") in SOURCE_PREFILL:
        initial["source"] = SOURCE_PREFILL[request.GET["source"]]
    initial["source_detail"] = request.GET.get("detail", "")[:100]
    for name in ("cases", "households"):
        value = request.GET.get(name, "")
        if value and all(query_id(part) is not None for part in value.split(",")):
            initial[name] = value
    if (staff := query_id(request.GET.get("staff"))) is not None:
        initial["staff"] = [staff]
    return initial


@login_required
def clue_create(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    _require_inspector(request)
    towns = list(towns_visible_to(user=request.user).order_by("pk"))
    initial = _prefill(request)
    if len(towns) > 1:
        initial["town"] = selectors.town_of_links(
            user=request.user, case_ids=_ids(initial.get("cases")), household_ids=_ids(initial.get("households"))
        )
    form = ClueForm(request.POST or None, initial=initial, user=request.user, towns=towns)
    if request.method == "POST" and form.is_valid():
        town = form.cleaned_data.get("town") or (towns[0] if towns else None)
        if town is None:
            form.add_error(None, "您的账号没有可登记线索的乡镇。")
        else:
            try:
                clue = services.clue_create(by=request.user, town=town, **form.service_kwargs())
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已登记问题线索 {clue.number}（{town.name}）。")
                return redirect("audit:clue_detail", pk=clue.pk)
    return render(request, "archives/clues/form.html", {"form": form, "clue": None}, status=400 if form.errors else 200)


def _ids(prefilled: str | None) -> list[int]:
    return [int(part) for part in (prefilled or "").split(",") if part]  # checked by _prefill


def _detail(request: HttpRequest, clue: Clue, *, refer_form=None, answer_form=None, status: int = 200):
    history = list(
        with_previous(Clue.history.model, selectors.clue_history(clue=clue)).order_by("-history_date", "-history_id")
    )
    inspector = services.can_register(user=request.user)
    context = {
        "clue": clue,
        "cases": Case.objects.filter(pk__in=clue.cases.values("pk")).select_related("household__village"),
        "households": Household.objects.filter(pk__in=clue.households.values("pk")).select_related("village"),
        "staff": clue.staff.select_related("staff").order_by("username"),
        "entries": history_to_entries(Clue.history.model, history),
        "can_edit": inspector and clue.is_open,
        "refer_form": refer_form or (ReferForm() if inspector and clue.is_open and clue.referred_at is None else None),
        "answer_form": answer_form
        or (
            AnswerForm(initial={"answer": clue.answer})
            if services.can_answer(user=request.user) and clue.referred_at and clue.is_open
            else None
        ),
    }
    return render(request, "archives/clues/detail.html", context, status=status)


@login_required
@require_GET
def clue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _clue(request, pk))


@login_required
def clue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    clue = _clue(request, pk)
    _require_inspector(request)
    form = ClueEditForm(
        request.POST or None, initial=ClueEditForm.initial_for(clue), user=request.user, towns=[clue.town]
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.clue_update(clue=clue, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存问题线索 {clue.number}。")
            return redirect("audit:clue_detail", pk=clue.pk)
    return render(request, "archives/clues/form.html", {"form": form, "clue": clue}, status=400 if form.errors else 200)


@login_required
@require_POST
def clue_refer(request: HttpRequest, pk: int) -> HttpResponse:
    clue = _clue(request, pk)
    _require_inspector(request)
    form = ReferForm(request.POST)
    if form.is_valid():
        try:
            services.clue_refer(clue=clue, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已将问题线索 {clue.number} 交办镇民政办。")
            return redirect("audit:clue_detail", pk=clue.pk)
    return _detail(request, clue, refer_form=form, status=400)


@login_required
@require_POST
def clue_answer(request: HttpRequest, pk: int) -> HttpResponse:
    clue = _clue(request, pk)
    if not services.can_answer(user=request.user):
        raise PermissionDenied("交办的线索由镇民政办答复。")
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.clue_answer(clue=clue, by=request.user, answer=form.cleaned_data["answer"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已答复。")
            return redirect("audit:clue_detail", pk=clue.pk)
    return _detail(request, clue, answer_form=form, status=400)
