"""Reads of campaigns and cases, scoped through the registry's village selectors."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from households.models import ReviewFlag
from households.selectors import households_visible_to
from kanjia import roles
from kanjia.naturalsort import natural_sorted
from review.models import Campaign, Case, CaseStep, Outcome, Status, TeamMembership
from review.models.cases import FINAL_STATUSES

User = AbstractBaseUser | AnonymousUser
OPEN_STATUSES = [s for s in Status.values if s not in FINAL_STATUSES]


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    return Case.objects.filter(household__in=households_visible_to(user=user))


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign]:
    # A campaign's settings are not personal data: anyone with a role sees the list;
    # what they see *inside* (cases, counts) is scoped by their villages.
    if not user.is_authenticated or not user.is_active or not roles.role_names(user):
        return Campaign.objects.none()
    return Campaign.objects.all()


def overdue_q(*, today: date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=OPEN_STATUSES) & (Q(due_on__lt=today) | Q(overall_due__lt=today))


def case_for_page(*, user: User, pk: int) -> Case | None:
    return (
        cases_visible_to(user=user)
        .select_related("household__village", "household__group", "household__category", "campaign", "team")
        .filter(pk=pk)
        .first()
    )


def household_cases(*, user: User, household) -> QuerySet[Case]:
    """A household's cases the user may see, newest first (the household page's 审核案件 box)."""
    return (
        cases_visible_to(user=user)
        .filter(household=household)
        .select_related("campaign", "team")
        .order_by("-created_at", "-id")
    )


def case_steps(*, case: Case) -> QuerySet[CaseStep]:
    return CaseStep.objects.filter(case=case).select_related("actor").order_by("at", "id")


def worklist(*, user: User) -> QuerySet[Case]:
    """Open cases waiting for `user`'s role at their current stage, within their villages."""
    waiting = Q(pk__in=[])
    if roles.is_read_only(user):
        return Case.objects.none()
    team_stages = [Status.ACCEPTANCE, Status.INVESTIGATION, Status.APPRAISAL]
    if roles.has_role(user, roles.VILLAGE_TEAM):
        teams = TeamMembership.objects.filter(user=user).values("team_id")
        waiting |= Q(status__in=team_stages, team_id__in=teams)
    if roles.has_role(user, roles.TOWN_OFFICE):
        waiting |= Q(status=Status.TOWN_REVIEW) | Q(status__in=team_stages, team__isnull=True)
    if roles.has_role(user, roles.DISTRICT):
        waiting |= Q(status=Status.DISTRICT_APPROVAL)
    return (
        cases_visible_to(user=user)
        .filter(waiting)
        # Separation of duties: an investigator is not asked to review or approve.
        .exclude(
            status__in=[Status.TOWN_REVIEW, Status.DISTRICT_APPROVAL],
            investigation__investigators=user,
        )
        .select_related("household__village", "campaign", "team")
        .annotate(overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
        .order_by("due_on", "id")
    )


def _counts() -> dict:
    counts = {"total": Count("pk")}
    counts.update({f"s_{i}": Count("pk", filter=Q(status=s)) for i, s in enumerate(Status.values)})
    counts.update({f"o_{i}": Count("pk", filter=Q(outcome=o)) for i, o in enumerate(Outcome.values)})
    counts["overdue"] = Count("pk", filter=overdue_q())
    return counts


def _shape(row: dict) -> dict:
    row["by_status"] = [row.pop(f"s_{i}") for i in range(len(Status.values))]
    row["by_outcome"] = [row.pop(f"o_{i}") for i in range(len(Outcome.values))]
    done = row["by_status"][Status.values.index(Status.DONE)] + row["by_status"][Status.values.index(Status.TERMINATED)]
    row["finished"] = done
    row["percent"] = round(100 * done / row["total"]) if row["total"] else 0
    return row


def campaign_dashboard(*, campaign: Campaign, user: User) -> dict:
    """Counts per village and per team by stage and outcome, overdue cases, open flags (5 queries)."""
    cases = cases_visible_to(user=user).filter(campaign=campaign)
    per_village = [
        _shape(row)
        for row in cases.values("household__village_id", "household__village__name")
        .annotate(**_counts())
        .order_by("household__village__order", "household__village_id")
    ]
    per_team = natural_sorted(
        (_shape(row) for row in cases.values("team_id", "team__name").annotate(**_counts()).order_by()),
        key=lambda row: row.get("team__name") or "",
    )
    totals = _shape(cases.aggregate(**_counts()))
    flags = dict(
        ReviewFlag.objects.filter(
            household__in=cases.values("household_id"), disposition=ReviewFlag.Disposition.PENDING
        )
        .values("household__village_id")
        .annotate(n=Count("pk"))
        .values_list("household__village_id", "n")
    )
    for row in per_village:
        row["open_flags"] = flags.get(row["household__village_id"], 0)
    overdue = (
        cases.filter(overdue_q()).select_related("household__village", "team").order_by("due_on", "overall_due", "id")
    )
    return {
        "statuses": Status.values,
        "outcomes": Outcome.values,
        "per_village": per_village,
        "per_team": per_team,
        "totals": totals,
        "open_flags": sum(flags.values()),
        "overdue": overdue[:50],
    }


OBJECTION_OPEN_BADGE, OBJECTION_HANDLED_BADGE = "异议待处理", "曾有异议"


def objection_badge(*, case: Case) -> str:
    """异议待处理 while an objection to the case is open (it holds the case); 曾有异议 once every objection is
    handled (成立 or 不成立) or the case was questioned by a complaint: still a questioned case, which the
    district visits at home and the spot check takes in full. Empty for a case never questioned."""
    from review.dynamic import hooks

    results = [result for _, result in hooks.objection_results(case_ids=[case.pk])]
    if hooks.OBJECTION_OPEN in results:
        return OBJECTION_OPEN_BADGE
    return OBJECTION_HANDLED_BADGE if case.has_objection or results else ""
