"""The leadership group is set on the campaign page: these views only take its POSTs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from review import filing
from review.cases.selectors import campaigns_visible_to
from review.leadership import services
from review.leadership.forms import LeadershipForm
from review.leadership.selectors import leadership_of, person_name
from review.meetings.selectors import meeting_list
from review.models import LeadershipMember
from review.outreach.selectors import outreach_totals


@login_required
@require_POST
def leadership_set(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=pk)
    if not services.can_manage_leadership(user=request.user):
        raise PermissionDenied("领导小组由镇民政办设置。")
    form = LeadershipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        data = form.cleaned_data
        try:
            member = services.leadership_set(
                campaign=campaign, user=data["user"], role=data["role"], duty=data["duty"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"领导小组：{person_name(member.user)}任{member.role}。")
    return redirect("review:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def leadership_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    campaign = get_object_or_404(campaigns_visible_to(user=request.user), pk=pk)
    member = get_object_or_404(LeadershipMember.objects.select_related("user__staff"), campaign=campaign, pk=member_id)
    services.leadership_remove(member=member, by=request.user)
    messages.success(request, f"已将{person_name(member.user)}移出领导小组。")
    return redirect("review:campaign_detail", pk=campaign.pk)


def campaign_records(*, campaign, user) -> dict:
    """What the campaign page shows beside its cases: the leadership group, the 综合档案 per phase
    (from the archive, through review.filing; None for team members), meetings and outreach."""
    return {
        "leadership": leadership_of(campaign=campaign),
        "leadership_form": LeadershipForm() if services.can_manage_leadership(user=user) else None,
        "campaign_file": filing.campaign_file(campaign=campaign, user=user),
        "meetings": meeting_list(user=user, campaign_id=campaign.pk)[:8],
        "outreach": outreach_totals(user=user, campaign_id=campaign.pk).total,
    }
