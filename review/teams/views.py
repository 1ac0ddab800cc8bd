from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from households.models import Village
from kanjia.forms import attach_errors, query_id
from review.models import ReviewTeam
from review.teams import selectors
from review.teams import services as team_services
from review.teams.forms import MemberForm, StaffForm, TeamForm, VillageForm

NOT_TOWN_OFFICE = "只有镇民政办可以设置清理小组。"
NOT_STAFF_EDITOR = "只有镇民政办可以修改工作人员信息。"
NOT_STAFF_READER = "您只能查看本人的工作人员信息。"


# --- 清理小组 ------------------------------------------------------------------


def _team_to_change(request: HttpRequest, pk: int) -> ReviewTeam:
    """The team, if the user may change it: 404 if they cannot see it, 403 if they only see it."""
    team = get_object_or_404(selectors.teams_visible_to(user=request.user), pk=pk)
    if not selectors.can_manage_teams(user=request.user):
        raise PermissionDenied(NOT_TOWN_OFFICE)
    return team


@login_required
@require_safe
def team_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "review/teams/list.html",
        {
            "teams": selectors.team_list(user=request.user),
            "can_manage": selectors.can_manage_teams(user=request.user),
            "can_see_staff": selectors.can_see_all_staff(user=request.user),
        },
    )


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage_teams(user=request.user):
        raise PermissionDenied(NOT_TOWN_OFFICE)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_services.team_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已创建清理小组“{team.name}”。")
            return redirect("review:team_detail", pk=team.pk)
    return render(request, "review/teams/form.html", {"form": form})


def _detail(request: HttpRequest, team: ReviewTeam, **forms) -> HttpResponse:
    can_manage = selectors.can_manage_teams(user=request.user)
    context = {"team": team, "can_manage": can_manage, "can_see_staff": selectors.can_see_all_staff(user=request.user)}
    if can_manage:
        context |= {
            "team_form": forms.get("team_form") or TeamForm.for_team(team),
            "member_form": forms.get("member_form") or MemberForm(),
            "village_form": forms.get("village_form") or VillageForm(team=team),
        }
    return render(request, "review/teams/detail.html", context)


@login_required
@require_safe
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_detail(user=request.user, pk=pk)
    if team is None:
        raise Http404
    return _detail(request, team)


@login_required
@require_POST
def team_update(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team_to_change(request, pk)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team_services.team_update(team=team, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存小组信息。")
            return redirect("review:team_detail", pk=team.pk)
    return _detail(request, selectors.team_detail(user=request.user, pk=pk), team_form=form)


@login_required
@require_POST
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team_to_change(request, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            team_services.team_add_member(team=team, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已添加小组成员。")
            return redirect("review:team_detail", pk=team.pk)
    return _detail(request, selectors.team_detail(user=request.user, pk=pk), member_form=form)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    team = _team_to_change(request, pk)
    user = get_object_or_404(get_user_model(), pk=user_id, team_memberships__team=team)
    team_services.team_remove_member(team=team, user=user, by=request.user)
    messages.success(request, "已将该成员移出小组。")
    return redirect("review:team_detail", pk=team.pk)


@login_required
@require_POST
def team_village_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team_to_change(request, pk)
    form = VillageForm(request.POST, team=team)
    if form.is_valid():
        try:
            # The form labels villages of other teams "将移交": choosing one moves it.
            team_services.team_assign_village(
                team=team, village=form.cleaned_data["village"], by=request.user, move=True
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已将{form.cleaned_data['village']}分配给本小组。")
            return redirect("review:team_detail", pk=team.pk)
    return _detail(request, selectors.team_detail(user=request.user, pk=pk), village_form=form)


@login_required
@require_POST
def team_village_remove(request: HttpRequest, pk: int, village_id: int) -> HttpResponse:
    team = _team_to_change(request, pk)
    village = get_object_or_404(Village, pk=village_id, team_links__team=team, team_links__active=True)
    team_services.team_unassign_village(team=team, village=village, by=request.user)
    messages.success(request, f"已将{village}撤出本小组。")
    return redirect("review:team_detail", pk=team.pk)


@login_required
@require_safe
def my_team(request: HttpRequest) -> HttpResponse:
    teams = list(selectors.my_teams(user=request.user))
    households = selectors.my_households(user=request.user)
    counts = dict(households.order_by().values_list("village_id").annotate(n=Count("id")))
    for team in teams:
        for link in team.active_links:
            link.household_count = counts.get(link.village_id, 0)
    village_id = query_id(request.GET.get("village"))
    if village_id is not None:
        households = households.filter(village_id=village_id)
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/teams/mine.html",
        {
            "teams": teams,
            "page": page,
            "village_id": village_id,
            "query_string": f"village={village_id}" if village_id is not None else "",
        },
    )


# --- 工作人员 ------------------------------------------------------------------


@login_required
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_all_staff(user=request.user):
        raise PermissionDenied(NOT_STAFF_READER)
    page = Paginator(selectors.staff_list(user=request.user), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "review/teams/staff/list.html",
        {"page": page, "can_edit": selectors.can_manage_teams(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's profile: the town-wide roles and the person may look; only the town office changes it."""
    if not selectors.can_see_all_staff(user=request.user) and request.user.pk != user_id:
        raise PermissionDenied(NOT_STAFF_READER)
    person = selectors.staff_person(user=request.user, pk=user_id)
    if person is None:
        raise Http404
    can_edit = selectors.can_manage_teams(user=request.user)
    if request.method not in ("GET", "HEAD") and not can_edit:
        raise PermissionDenied(NOT_STAFF_EDITOR)
    form = StaffForm(request.POST) if request.method == "POST" else StaffForm.for_person(person)
    if request.method == "POST" and form.is_valid():
        staff = getattr(person, "staff", None)
        data = form.cleaned_data
        try:
            team_services.staff_upsert(
                user=person,
                name=data["name"],
                unit=data["unit"],
                post=data["post"],
                phone=data["phone"],
                id_number=data["id_number"] or (staff.id_number if staff else ""),
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存工作人员信息。")
            return redirect("review:staff_detail", user_id=person.pk)
    return render(
        request,
        "review/teams/staff/detail.html",
        {
            "person": person,
            "staff": getattr(person, "staff", None),
            "form": form,
            "can_edit": can_edit,
            "can_see_all": selectors.can_see_all_staff(user=request.user),
        },
    )
