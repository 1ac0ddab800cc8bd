"""Objects in village B for the scope sweep's near-relatives URLs (tests/test_scope_sweep.py).

A hand-made 近亲属备案 (team member B's relative receives 低保 in household_b),
made through the register's own service; `reported` has been sent to the
district (the state in which the district verifies it).
"""

from datetime import date

from django.utils import timezone

from households import idcard
from review.models import RelativeFiling
from review.models.relatives import Relation
from review.relatives import services as relatives


def _filing(w) -> RelativeFiling:
    number = idcard.generate(born=date(1960, 3, 1), male=True)
    return relatives.filing_create(
        user=w.team_member_b,
        household=w.household_b,
        relative=relatives.RelativeIn(Relation.PARENT, "乙村户主", number),
        by=w.town_officer,
    )


def pending(w) -> dict:
    return {"pk": _filing(w).pk}


def reported(w) -> dict:
    filing = relatives.filing_report(filing=_filing(w), reported_on=timezone.localdate(), by=w.town_officer)
    return {"pk": filing.pk}


def report_payload(w, fields: dict) -> dict:
    return {"reported_on": timezone.localdate().isoformat()}


def verify_payload(w, fields: dict) -> dict:
    return {"verified_on": timezone.localdate().isoformat(), "note": "越权核查"}
