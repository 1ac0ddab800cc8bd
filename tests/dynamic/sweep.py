"""Objects in village B (or its town) for the scope sweep's dynamic-management URLs (tests/test_scope_sweep.py).

Household pages use household_b; 月上报 and 月解剖 are of village B's town (the
town-wide readers' pages); spot checks are drawn by the district, with every case
of the sweep's campaign (the one of tests/review_cases/sweep.py, in village B).
"""

from decimal import Decimal

from django.utils import timezone

from households.models import ReviewFlag
from review.dynamic import district, monthly, spotchecks
from review.dynamic import services as dynamic
from review.models import Case, Outcome, SpotCheck, Status
from tests.review_cases import sweep as cases


def _today() -> str:
    return timezone.localdate().isoformat()


# --- households ---------------------------------------------------------------------------------


def household(w) -> dict:
    return {"pk": w.household_b.pk}


def change_payload(w, fields: dict) -> dict:
    return {"detail": "越权登记的情况变化", "occurred_on": _today()}


def stopped(w) -> dict:
    """household_b with a finished case that stopped it for work income: a 渐退期 may be set."""
    w.stopped_case = Case.objects.create(
        household=w.household_b,
        kind=Case.Kind.RECHECK,
        team=w.team_b,
        status=Status.DONE,
        outcome=Outcome.STOP,
        stop_reason=ReviewFlag.Kind.INCOME,
        closed_at=timezone.now(),
    )
    return {"pk": w.household_b.pk}


def grace_payload(w, fields: dict) -> dict:
    return {"case": w.stopped_case.pk, "months": 3, "monthly_amount": "100.00", "note": "越权设置"}


# --- 月上报, 月解剖 --------------------------------------------------------------------------------


def _report(w):
    month = dynamic.add_months(dynamic.month_start(timezone.localdate()), -1)
    return monthly.report_generate(town=w.village_b.town, month=month, by=w.town_officer)


def report(w) -> dict:
    return {"pk": _report(w).pk}


def report_file(w) -> dict:
    return {"pk": _report(w).pk, "kind": "xlsx"}


def _district_report(w):
    """A finished 全区月报 (the job run in-process: the sweep's TestCase never fires on_commit)."""
    month = dynamic.add_months(dynamic.month_start(timezone.localdate()), -1)
    job = district.district_report_start(month=month, by=w.district_officer)
    district.run_district_report(job_id=job.pk)
    return job


def district_report(w) -> dict:
    return {"pk": _district_report(w).pk}


def district_file(w) -> dict:
    return {"pk": _district_report(w).pk, "kind": "xlsx"}


def _analysis(w):
    return monthly.analysis_open(town=w.village_b.town, month=timezone.localdate(), by=w.town_officer)


def analysis(w) -> dict:
    return {"pk": _analysis(w).pk}


def conclude(w) -> dict:
    return {"pk": _analysis(w).pk, "what": "conclude"}


def conclude_payload(w, fields: dict) -> dict:
    return {"held_on": _today(), "participants": "越权", "findings": "越权写下的结论"}


def analysis_item(w) -> dict:
    """The sweep's case in village B, picked by hand for this month's analysis."""
    found = _analysis(w)
    monthly.analysis_pick_case(analysis=found, case_id=cases.make_case(w).pk, by=w.town_officer)
    w.analysis_item = found.items.get()
    return {"pk": found.pk, "item_id": w.analysis_item.pk}


def finding_payload(w, fields: dict) -> dict:
    return {f"i{w.analysis_item.pk}-finding": "越权写下的解剖发现"}


# --- 区级抽查 -------------------------------------------------------------------------------------


def _check(w) -> SpotCheck:
    cases.make_case(w)
    sample = spotchecks.sample_draw(
        by=w.district_officer, campaign=cases.make_campaign(w), share=Decimal("100"), seed=1
    )
    return sample.checks.get(household=w.household_b)


def sample(w) -> dict:
    return {"pk": _check(w).sample_id}


def check(w) -> dict:
    return {"pk": _check(w).pk}


def check_payload(w, fields: dict) -> dict:
    return {
        "heard_on": _today(),
        "heard_report": "越权",
        "documents_note": "越权",
        "seen_housing": "越权",
        "seen_living": "越权",
        "neighbours_visited": "越权",
        "neighbours_said": "越权",
        "conclusion": SpotCheck.Conclusion.TRUE,
    }


def _to_rectify(w) -> SpotCheck:
    data = {
        **check_payload(w, {}),
        "heard_on": timezone.localdate(),
        "conclusion": SpotCheck.Conclusion.RECTIFY,
        "rectification": "补齐档案",
        "rectification_due": timezone.localdate(),
    }
    return spotchecks.check_record(check=_check(w), data=data, by=w.district_officer)


def rectify(w) -> dict:
    """A check the district concluded 需整改: the town office reports the rectification."""
    return {"pk": _to_rectify(w).pk}


def rectify_payload(w, fields: dict) -> dict:
    return {"rectified_on": _today(), "rectification_report": "越权报告的整改情况"}


def rectified(w) -> dict:
    """A rectification the town office has reported: the district closes it (销号)."""
    found = spotchecks.rectification_report(
        check=_to_rectify(w), rectified_on=timezone.localdate(), report="已补齐", by=w.town_officer
    )
    return {"pk": found.pk}
