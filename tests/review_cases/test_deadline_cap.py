"""Issue 17: a case's 本环节期限 (2027-01-16) fell after its 办结期限 (2027-01-13).

Walked through every stage with campaign phases that end long after the case must: the stored
stage deadline is never later than the overall deadline, whichever rule set it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from review.cases import campaigns
from review.models import Campaign, CampaignPhase, Case, Status
from tests.review_cases.conftest import drive

pytestmark = pytest.mark.django_db


def test_stage_deadline_never_after_the_overall_deadline_at_any_stage(
    campaign: Campaign, household, crew, town_officer, district_officer
):
    today = timezone.localdate()
    for kind in CampaignPhase.Kind.values:  # every phase runs for half a year: later than 30 working days
        CampaignPhase.objects.update_or_create(
            campaign=campaign,
            kind=kind,
            defaults={"starts_on": today - timedelta(days=30), "ends_on": today + timedelta(days=180)},
        )
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = Case.objects.get(campaign=campaign, household=household)
    seen = []
    for stage in (Status.INVESTIGATION, Status.APPRAISAL, Status.TOWN_REVIEW, Status.DISTRICT_APPROVAL):
        case = drive(case, stage, crew, town=town_officer, district=district_officer)
        stored = Case.objects.get(pk=case.pk)
        seen.append((stage, stored.due_on, stored.overall_due))
        assert stored.overall_due and stored.due_on, (stage, stored.due_on, stored.overall_due)
        assert stored.due_on <= stored.overall_due, seen
    assert len(seen) == 4
