"""Reads of campaigns and cases, scoped through the registry's village selectors."""

from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Page
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from households.models import ReviewFlag
from households.selectors import ids_first_page, town_ids_of, village_scoped, villages_visible_to
from kanjia import roles
from kanjia.naturalsort import natural_sorted
from kanjia.worklists import WorkItem
from review.cases.workflow import AWAITING_SIGNATURES
from review.models import Appraisal, Campaign, Case, CaseStep, Outcome, Status, TeamMembership
from review.models.cases import FINAL_STATUSES

User = AbstractBaseUser | AnonymousUser
OPEN_STATUSES = [s for s in Status.values if s not in FINAL_STATUSES]


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    return village_scoped(Case, "household__village_id", user=user)


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign]:
    # A campaign's settings are not personal data: everyone working in its town sees it (the town's
    # office and inspector, the teams of its villages, the district); what they see *inside* (cases,
    # counts) is scoped by their villages. Another town's campaigns are not there at all (issue 19).
    if not user.is_authenticated or not user.is_active or not roles.role_names(user):
        return Campaign.objects.none()
    towns = town_ids_of(user=user)
    if towns is None:
        return Campaign.objects.all()
    return Campaign.objects.filter(
        Q(town_id__in=towns) | Q(town_id__in=villages_visible_to(user=user).values("town_id"))
    )


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
        # 民主评议 waits for the team until its result is submitted; then for 第一榜 (the town
        # office's rounds) and, once over, for the signatures (their own worklist items).
        submitted = Exists(Appraisal.objects.filter(case=OuterRef("pk"), completed_at__isnull=False))
        waiting |= Q(status__in=team_stages, team_id__in=teams) & ~(Q(status=Status.APPRAISAL) & Q(submitted))
        # …and a case whose 登记表 waits for this member's own signature is theirs to open.
        waiting |= Q(pk__in=registrations_to_sign(user=user).values("pk"))
    if roles.has_role(user, roles.TOWN_OFFICE):
        # The town office registers 受理 (teams may too) and reviews; it does the teams' work
        # only for cases without a team.
        waiting |= Q(status__in=[Status.ACCEPTANCE, Status.TOWN_REVIEW]) | Q(status__in=team_stages, team__isnull=True)
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


# --- Worklists and the filtered case list ----------------------------------------------------

# What the role whose turn it is does at each stage (the worklist's wording).
WAITING_FOR = {
    Status.ACCEPTANCE: "待受理登记",
    Status.INVESTIGATION: "待入户调查",
    Status.APPRAISAL: "待民主评议",
    Status.TOWN_REVIEW: "登记表已上交，待镇审核",
    Status.DISTRICT_APPROVAL: "待区审批",
}
STAGE_INDEX = {status: index for index, status in enumerate(Status.values)}


def case_list_url(**filters) -> str:
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "", False)})
    return reverse("review:case_list") + (f"?{query}" if query else "")


def case_work_items(*, user: User) -> list[WorkItem]:
    """The worklist as counts per stage and village, each a link to the filtered case list (2 queries)."""
    rows = (
        worklist(user=user)
        .order_by()
        .values("status", "household__village_id", "household__village__name")
        .annotate(n=Count("pk", distinct=True), late=Count("pk", distinct=True, filter=overdue_q()))
    )
    items = []
    for row in rows:
        filters = {"status": row["status"], "village": row["household__village_id"], "mine": 1}
        items.append(
            WorkItem(
                section="案件办理",
                action=WAITING_FOR.get(row["status"], row["status"]),
                village=row["household__village__name"],
                count=row["n"],
                url=case_list_url(**filters),
                overdue=row["late"],
                overdue_url=case_list_url(**filters, overdue=1),
                order=STAGE_INDEX.get(row["status"], 0) * 10,
            )
        )
    if roles.has_role(user, roles.VILLAGE_TEAM) and not roles.is_read_only(user):
        teams = TeamMembership.objects.filter(user=user).values("team_id")
        waiting = awaiting_signatures(cases_visible_to(user=user).filter(team_id__in=teams))
        for row in waiting.values("household__village_id", "household__village__name").annotate(n=Count("pk")):
            items.append(
                WorkItem(
                    section="案件办理",
                    action=AWAITING_SIGNATURES,
                    village=row["household__village__name"],
                    count=row["n"],
                    url=case_list_url(village=row["household__village_id"], unsigned=1),
                    order=STAGE_INDEX[Status.APPRAISAL] * 10 + 4,
                )
            )
    for row in (
        registrations_to_sign(user=user)
        .values("household__village_id", "household__village__name")
        .annotate(n=Count("pk"))
    ):
        items.append(
            WorkItem(
                section="案件办理",
                action="清理核实登记表待我签字",
                village=row["household__village__name"],
                count=row["n"],
                url=case_list_url(village=row["household__village_id"], unsigned="me"),
                order=STAGE_INDEX[Status.APPRAISAL] * 10 + 5,
            )
        )
    return items


# Which stage a 登记表 is signed in: after the appraisal's result is submitted (and, where
# 第一榜 applies, the round has closed: `register_signing_filter`), or after the investigation
# where no appraisal is held.
SIGNING_Q = Q(status=Status.APPRAISAL, appraisal__completed_at__isnull=False) | Q(
    status=Status.INVESTIGATION, campaign__appraisal_required=False, investigation__isnull=False
)
# filter(cases) -> those of `cases` whose 登记表 a later app lets be signed now (publicity:
# 第一榜 closed with the case passed). review can't read publicity itself.
SigningFilter = Callable[[QuerySet[Case]], QuerySet[Case]]
_signing_filters: list[SigningFilter] = []


def register_signing_filter(apply: SigningFilter) -> SigningFilter:
    if apply not in _signing_filters:
        _signing_filters.append(apply)
    return apply


def signable(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Those of `cases` whose 登记表 may be signed now (the stage, and every registered filter)."""
    cases = cases.filter(SIGNING_Q, registration__isnull=False)
    for apply in _signing_filters:
        cases = cases.filter(pk__in=apply(Case.objects.filter(SIGNING_Q)).values("pk"))
    return cases


def awaiting_signatures(cases: QuerySet[Case]) -> QuerySet[Case]:
    """公示期满，待签字上交: the 登记表 may be signed now and still lacks a signature."""
    return signable(cases).filter(_unsigned_q())


def _unsigned_q() -> Q:
    return (
        Q(registration__leader_signed_by__isnull=True)
        | Q(registration__cadre_signed_by__isnull=True)
        | Q(registration__village_cadre_signed_by__isnull=True)
    )


def registrations_to_sign(*, user: User) -> QuerySet[Case]:
    """Open cases of the user's teams whose 登记表 still lacks the signature of the user's team role."""
    if roles.is_read_only(user) or not roles.has_role(user, roles.VILLAGE_TEAM):
        return Case.objects.none()
    slots = {
        TeamMembership.Role.LEADER: "leader",
        TeamMembership.Role.CADRE: "cadre",
        TeamMembership.Role.VILLAGE_CADRE: "village_cadre",
    }
    mine = Q(pk__in=[])
    for team_id, role in TeamMembership.objects.filter(user=user).values_list("team_id", "role"):
        slot = slots.get(role)
        if slot:
            mine |= Q(team_id=team_id, **{f"registration__{slot}_signed_by__isnull": True})
    return signable(cases_visible_to(user=user)).filter(mine)


# Filters the case list offers that later apps answer (review can't import them):
# name -> (label, function(cases) -> the subset).
CaseFilter = Callable[[QuerySet[Case]], QuerySet[Case]]
_case_filters: dict[str, tuple[str, CaseFilter]] = {}


def register_case_filter(name: str, label: str, apply: CaseFilter) -> None:
    _case_filters[name] = (label, apply)


def registered_case_filters() -> dict[str, str]:
    return {name: label for name, (label, _) in _case_filters.items()}


def cases_filtered(*, user: User, filters: dict) -> QuerySet[Case]:
    """The town's (or a team's) cases with the case list's filters; `filters` is the cleaned form."""
    cases = cases_visible_to(user=user)
    if filters.get("campaign"):
        cases = cases.filter(campaign=filters["campaign"])
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("village"):
        cases = cases.filter(household__village=filters["village"])
    if filters.get("team"):
        cases = cases.filter(team=filters["team"])
    if filters.get("outcome"):
        cases = cases.filter(outcome=filters["outcome"])
    if filters.get("overdue"):
        cases = cases.filter(overdue_q())
    if filters.get("flags"):
        pending = ReviewFlag.objects.filter(household=OuterRef("household"), disposition=ReviewFlag.Disposition.PENDING)
        cases = cases.filter(Exists(pending))
    if filters.get("objection"):
        cases = cases.filter(has_objection=True)
    if filters.get("unsigned") == "me":
        cases = cases.filter(pk__in=registrations_to_sign(user=user).values("pk"))
    elif filters.get("unsigned"):
        cases = cases.filter(pk__in=awaiting_signatures(Case.objects.all()).values("pk"))
    if filters.get("mine"):
        cases = cases.filter(pk__in=worklist(user=user).values("pk"))
    for name, (_label, apply) in _case_filters.items():
        if filters.get(name):
            cases = apply(cases)
    return (
        cases.select_related("household__village", "campaign", "team")
        .annotate(overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
        .order_by("-overdue", "due_on", "household__village__order", "id")
    )


CASE_PAGE_SIZE = 50


def case_list_page(*, user: User, filters: dict, number: str | int | None) -> Page:
    """One page of the case list, in two steps: the page's ids from a narrow sort (the case, its
    household's village and the village's order), then those cases with what the list shows.
    Sorting every visible case with the household, village, campaign and team columns attached was
    most of the page at 56,000 cases (206 ms; the ids alone 73 ms). Counted exactly up to
    ESTIMATE_ABOVE cases, beyond that (a district's) the planner's estimate, shown as such."""
    return ids_first_page(cases_filtered(user=user, filters=filters), per_page=CASE_PAGE_SIZE, number=number)
