"""Reads for the phone: each user's visit list, the task download and the conflict tokens.

Scoped like the web (every queryset through `households.selectors`): a team
member gets the open 入户调查 of their own teams' cases in villages they may
change; a district officer gets the spot checks drawn for them (assigned to
them, or unassigned in a sample they drew) that are not recorded yet. What a
phone receives is what the visit needs and no more: names, relations, ages and
masked ID numbers; never full ID numbers, phones, bank accounts or documents.
"""

import hashlib
import json
import re
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from households.idcard import mask
from households.models import ReviewFlag
from households.selectors import households_changeable_by, village_scoped
from kanjia import roles
from review.cases.forms import investigator_choices
from review.cases.workflow import OUTCOMES_BY_KIND
from review.models import Case, Investigation, SpotCheck, Status, TeamMembership

User = AbstractBaseUser | AnonymousUser
# Any run of 15+ digits (an ID number, a bank account) in free text goes to the phone masked.
LONG_NUMBER = re.compile(r"\d{14,}[\dXx]")
NOTE = (
    "手机上保存的入户调查同步后是本环节的草稿：部门的家庭经济状况核对结果仍在电脑上录入，"
    "全部齐备后由小组在电脑上完成本环节。"
)


def scrub(text: str) -> str:
    return LONG_NUMBER.sub(lambda m: mask(m.group(0)), text or "")


def is_visitor(*, user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and not roles.is_read_only(user)
        and roles.has_role(user, roles.VILLAGE_TEAM, roles.DISTRICT)
    )


def investigation_tasks(*, user: User) -> QuerySet[Case]:
    """Open 入户调查 of the user's teams, in villages the user may change."""
    if not user.is_authenticated or roles.is_read_only(user) or not roles.has_role(user, roles.VILLAGE_TEAM):
        return Case.objects.none()
    teams = TeamMembership.objects.filter(user=user).values("team_id")
    return (
        Case.objects.filter(
            status=Status.INVESTIGATION, team_id__in=teams, household__in=households_changeable_by(user=user)
        )
        .select_related("household__village", "household__group", "team")
        .order_by("household__village__order", "household__village_id", "household__group_id", "household_id")
    )


def spot_check_tasks(*, user: User) -> QuerySet[SpotCheck]:
    """Spot checks drawn for a district officer and not recorded yet."""
    if not user.is_authenticated or roles.is_read_only(user) or not roles.has_role(user, roles.DISTRICT):
        return SpotCheck.objects.none()
    mine = Q(assignee=user) | Q(assignee__isnull=True, sample__drawn_by=user)
    return (
        village_scoped(SpotCheck, "household__village_id", user=user)
        .filter(mine, conclusion="")
        .filter(closed_at__isnull=True)
        .select_related("household__village", "household__group", "case", "sample")
        .order_by("household__village__order", "household__village_id", "household_id")
    )


# --- Tokens: what the phone's form was based on ------------------------------------------------


def _digest(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()[:32]


def investigation_token(*, case: Case) -> str:
    """Changes when the case moves on or to another team, its 入户调查 is saved (web or phone), or a flag
    is disposed."""
    record = Investigation.objects.filter(case=case).values_list("pk", "updated_at").first()
    flags = list(
        ReviewFlag.objects.filter(household_id=case.household_id).order_by("pk").values_list("pk", "disposition")
    )
    return _digest(["inv", case.pk, case.status, case.team_id, record, flags])


def check_token(*, check: SpotCheck) -> str:
    """Changes when the check is reassigned, recorded or closed."""
    return _digest(["chk", check.pk, check.assignee_id, check.checked_at, check.conclusion, check.closed_at])


# --- What the phone stores ----------------------------------------------------------------------


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _household(household, today: date) -> dict:
    return {
        "id": household.pk,
        "village": household.village.name,
        "group": household.group.name if household.group_id else "",
        "address": scrub(household.address),
        "head_name": household.head_name,
        "members": [
            {
                "name": m.name,
                "relation": m.get_relation_display(),
                "age": _age(m.birth_date, today),
                "id": mask(m.id_number),
            }
            for m in household.members.all()
        ],
    }


def investigation_state(*, case: Case) -> dict:
    """The 入户调查 as the server holds it, in the phone form's shape (a draft to start from, or the
    other side of a conflict)."""
    record = Investigation.objects.filter(case=case).prefetch_related("items", "investigators").first()
    state: dict = {"status": case.status, "team": case.team.name if case.team_id else ""}
    if record is None:
        return {**state, "form": None}
    form = {
        "visited_on": record.visited_on.isoformat(),
        "investigators": sorted(u.pk for u in record.investigators.all()),
        "family_present": record.family_present,
        "living_conditions": scrub(record.living_conditions),
        "recommended_outcome": record.recommended_outcome,
        "recommended_amount": str(record.recommended_amount) if record.recommended_amount is not None else "",
        "items": {str(i.kind): {"abnormal": i.abnormal, "note": scrub(i.note)} for i in record.items.all()},
    }
    updated_by = record.updated_by.get_full_name() or record.updated_by.get_username()
    return {
        **state,
        "form": form,
        "updated_by": updated_by,
        "updated_at": timezone.localtime(record.updated_at).isoformat(),
    }


def _flags(case: Case) -> list[dict]:
    return [
        {
            "id": f.pk,
            "kind": f.kind,
            "label": f.get_kind_display(),
            "reason": scrub(f.reason),
            "disposition": f.disposition,
            "note": scrub(f.note),
        }
        for f in ReviewFlag.objects.filter(household_id=case.household_id).order_by("kind", "pk")
    ]


def investigation_task(*, case: Case, today: date) -> dict:
    people = investigator_choices(case).distinct().order_by("username")
    return {
        "key": f"inv-{case.pk}",
        "kind": "入户调查",
        "case": case.pk,
        "token": investigation_token(case=case),
        "household": _household(case.household, today),
        "due_on": case.due_on.isoformat() if case.due_on else "",
        "investigators": [{"id": u.pk, "name": u.get_full_name() or u.get_username()} for u in people],
        "outcomes": list(OUTCOMES_BY_KIND[case.kind]),
        "flags": _flags(case),
        "server": investigation_state(case=case),
    }


def check_state(*, check: SpotCheck) -> dict:
    from review.dynamic.spotchecks import DOCUMENTS

    state = {
        "assignee": (check.assignee.get_full_name() or check.assignee.get_username()) if check.assignee_id else "",
        "closed": bool(check.closed_at),
    }
    if not check.conclusion:
        return {**state, "form": None}
    names = ["heard_report", "documents_note", "seen_housing", "seen_living", "seen_assets", "seen_income"]
    names += ["seen_occupation", "neighbours_visited", "neighbours_said", "conclusion", "rectification"]
    form = {name: scrub(getattr(check, name)) for name in names}
    form.update({name: getattr(check, name) for name, _ in DOCUMENTS})
    form["heard_on"] = check.heard_on.isoformat() if check.heard_on else ""
    form["rectification_due"] = check.rectification_due.isoformat() if check.rectification_due else ""
    return {**state, "form": form}


def check_task(*, check: SpotCheck, today: date) -> dict:
    return {
        "key": f"chk-{check.pk}",
        "kind": "听查看访",
        "check": check.pk,
        "case": check.case_id,
        "token": check_token(check=check),
        "selection": check.get_selection_display(),
        "household": _household(check.household, today),
        "server": check_state(check=check),
    }


def tasks_for(*, user: User) -> dict:
    """The visit list and empty forms for the phone (下载走访任务)."""
    today = timezone.localdate()
    cases = investigation_tasks(user=user).prefetch_related("household__members")
    checks = spot_check_tasks(user=user).select_related("assignee").prefetch_related("household__members")
    return {
        "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        "today": today.isoformat(),
        "downloaded_at": timezone.now().isoformat(),
        "note": NOTE,
        "items": [{"kind": k.value, "label": k.label} for k in ReviewFlag.Kind],
        "dispositions": [d for d in ReviewFlag.Disposition.values if d != ReviewFlag.Disposition.PENDING],
        "investigations": [investigation_task(case=c, today=today) for c in cases],
        "spot_checks": [check_task(check=c, today=today) for c in checks],
    }


def flag_states(*, case: Case) -> dict:
    """Each flag's disposition as the server holds it (the other side of a conflict)."""
    return {
        str(f["pk"]): {"disposition": f["disposition"], "note": scrub(f["note"])}
        for f in ReviewFlag.objects.filter(household_id=case.household_id).values("pk", "disposition", "note")
    }


FIELD_LABELS = {
    "visited_on": "入户调查日期",
    "family_present": "在场家庭成员",
    "living_conditions": "居住及生活状况",
    "recommended_outcome": "调查建议",
    "recommended_amount": "建议月保障金",
    "heard_report": "听",
    "documents_note": "查",
    "seen_housing": "看：住房",
    "seen_living": "看：生活水平",
    "neighbours_said": "访：邻居反映",
    "conclusion": "核查结论",
}


def case_syncs(*, case: Case) -> list[dict]:
    """Forms phones sent for this case (the case page): applied ones, and refused ones with what was sent,
    so a form the server could not take is not lost (the caller has scoped the case)."""
    from review.models import VisitSync

    rows = []
    for sync in VisitSync.objects.filter(case=case).select_related("user", "device").order_by("-received_at", "-id"):
        fields = (sync.payload or {}).get("fields") or {}
        sent = (
            []
            if sync.result == VisitSync.Result.APPLIED or not isinstance(fields, dict)
            else [
                (label, scrub(str(fields.get(name) or ""))) for name, label in FIELD_LABELS.items() if fields.get(name)
            ]
        )
        rows.append({"sync": sync, "who": sync.user.get_full_name() or sync.user.get_username(), "sent": sent})
    return rows
