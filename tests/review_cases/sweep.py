"""Objects in village B for the scope sweep's case and campaign URLs (tests/test_scope_sweep.py).

One re-check case of household_b (village B), handled by team B, at 民主评议 with
its appraisal written and its 清理核实登记表 unsigned: every case URL has
something to do there (save the appraisal, terminate, sign, print the form).
Rows are made directly, as tests/publicity/sweep.py does: driving the case
through acceptance and investigation would only add set-up noise.
"""

from django.utils import timezone

from review.cases import campaigns
from review.models import Appraisal, Campaign, Case, Outcome, RegistrationForm, Status


def make_campaign(w) -> Campaign:
    found = Campaign.objects.filter(name="扫描用复核行动").first()
    return found or campaigns.campaign_create(
        name="扫描用复核行动", kind="专项清理", scope_date=timezone.localdate(), by=w.town_officer
    )


def make_case(w) -> Case:
    case, created = Case.objects.get_or_create(
        household=w.household_b,
        campaign=make_campaign(w),
        defaults={"kind": Case.Kind.RECHECK, "team": w.team_b, "status": Status.APPRAISAL},
    )
    if created:
        Appraisal.objects.create(
            case=case,
            held_on=timezone.localdate(),
            place="乙村村委会",
            chair="乙村书记",
            village_committee=1,
            villager_reps=6,
            votes_agree=7,
            minutes="经评议，同意维持。",
            result=Appraisal.Result.AGREE,
            updated_by=w.team_member_b,
        )
        RegistrationForm.objects.create(case=case, findings="情况属实。", recommended_outcome=Outcome.KEEP)
    return case


def case(w) -> dict:
    return {"pk": make_case(w).pk}


def signable_case(w) -> dict:
    """Another re-check case of village B at 民主评议 whose appraisal's result is submitted: its
    清理核实登记表 may be signed (the publicity gates are off in the sweep)."""
    from tests.factories import HouseholdFactory

    found = Case.objects.filter(household__village=w.village_b, household__head_name="乙村签字户").first()
    if found is not None:
        return {"pk": found.pk}
    household = HouseholdFactory(village=w.village_b, head_name="乙村签字户")
    case = Case.objects.create(
        household=household, campaign=make_campaign(w), kind=Case.Kind.RECHECK, team=w.team_b, status=Status.APPRAISAL
    )
    Appraisal.objects.create(
        case=case,
        held_on=timezone.localdate(),
        place="乙村村委会",
        chair="乙村书记",
        village_committee=1,
        villager_reps=6,
        votes_agree=7,
        minutes="经评议，同意维持。",
        result=Appraisal.Result.AGREE,
        updated_by=w.team_member_b,
        completed_at=timezone.now(),
    )
    RegistrationForm.objects.create(case=case, findings="情况属实。", recommended_outcome=Outcome.KEEP)
    return {"pk": case.pk}


def appraisal_stage(w) -> dict:
    return {"pk": make_case(w).pk, "stage": "appraisal"}


def appraisal_payload(w, fields: dict) -> dict:
    """A valid 民主评议 record, saved as a draft (the case stays at its stage)."""
    return {
        "held_on": timezone.localdate().isoformat(),
        "place": "越权改写的地点",
        "chair": "越权",
        "town_cadres": 0,
        "village_committee": 1,
        "party_reps": 0,
        "villager_reps": 6,
        "votes_agree": 7,
        "votes_disagree": 0,
        "votes_abstain": 0,
        "minutes": "越权改写的评议记录",
        "result": Appraisal.Result.AGREE,
        "action": "save",
    }


def terminate(w) -> dict:
    return {"pk": make_case(w).pk, "action": "terminate"}


def terminate_payload(w, fields: dict) -> dict:
    return {"note": "越权终止"}


def campaign(w) -> dict:
    return {"pk": make_campaign(w).pk}


def applicant(w) -> dict:
    """A household of village B that is applying (not covered), with no case yet."""
    from households.models import Household
    from tests.factories import HouseholdFactory

    found = Household.objects.filter(village=w.village_b, head_name="乙村申请人").first()
    household = found or HouseholdFactory(village=w.village_b, head_name="乙村申请人", status=Household.Status.APPLYING)
    return {"household_pk": household.pk}


def notice_case(w) -> dict:
    """A 新申请 of village B at 受理, its record listing missing materials (the 一次性告知书)."""
    from review.models import Acceptance

    household_pk = applicant(w)["household_pk"]
    case, created = Case.objects.get_or_create(
        household_id=household_pk,
        campaign=None,
        defaults={"kind": Case.Kind.APPLICATION, "team": w.team_b, "status": Status.ACCEPTANCE},
    )
    if created:
        Acceptance.objects.create(
            case=case,
            applied_on=timezone.localdate(),
            accepted_on=timezone.localdate(),
            applicant_name="乙村申请人",
            missing_materials="户口簿复印件",
            updated_by=w.team_member_b,
        )
    return {"pk": case.pk}


# --- Decision notices and complaints (issue 15): a refused application of household_b ---------------


def _refused(w) -> Case:
    from datetime import timedelta

    from review.models import DecisionNotice

    found = Case.objects.filter(household=w.household_b, kind=Case.Kind.APPLICATION, status=Status.DONE).first()
    if found is None:
        found = Case.objects.create(
            household=w.household_b,
            kind=Case.Kind.APPLICATION,
            team=w.team_b,
            status=Status.DONE,
            outcome=Outcome.REFUSE,
            closed_at=timezone.now(),
        )
        today = timezone.localdate()
        DecisionNotice.objects.create(
            case=found,
            household=w.household_b,
            kind=DecisionNotice.Kind.REFUSE,
            decided_on=today - timedelta(days=1),
            reasons="扫描用理由",
            due_days=3,
            due_on=today + timedelta(days=3),
            created_by=w.town_officer,
        )
    return found


def notice(w) -> dict:
    return {"pk": _refused(w).decision_notice.pk}


def reasons_payload(w, fields: dict) -> dict:
    return {"reasons": "越权修改的理由"}


def delivery_payload(w, fields: dict) -> dict:
    return {"delivered_on": timezone.localdate().isoformat(), "method": "当面", "recipient": "越权签收"}


def refused_case(w) -> dict:
    return {"pk": _refused(w).pk}


def complaint_payload(w, fields: dict) -> dict:
    return {"kind": "申诉", "received_on": timezone.localdate().isoformat(), "complainant": "越权", "content": "越权"}


def complaint(w) -> dict:
    from review.models import Complaint

    case = _refused(w)
    found = Complaint.objects.create(
        case=case,
        household=w.household_b,
        kind=Complaint.Kind.COMPLAINT,
        received_on=timezone.localdate(),
        complainant="扫描用申请人",
        content="扫描用",
        registered_by=w.town_officer,
        due_on=timezone.localdate(),
    )
    return {"pk": found.pk}


def handle_payload(w, fields: dict) -> dict:
    return {"result": "不成立", "reply": "越权答复", "handled_on": timezone.localdate().isoformat()}
