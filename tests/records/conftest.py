"""Fixtures for issue 18: the campaign file, meetings, outreach, leadership and the inspector's register.

Two cases of village A (team A's crew) appraised on the same day, ready to be heard
in one 民主评议 meeting; documents written under a private MEDIA_ROOT.
"""

import pytest
from django.utils import timezone

from archives.documents.seed import seed_defaults as seed_document_kinds
from archives.models import ChecklistRequirement, DocumentKind, RecordKind
from archives.records.seed import seed_defaults as seed_record_kinds
from review.cases import campaigns
from review.cases.workflow import stage_save
from review.models import Case, Status
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import appraisal_data, campaign, crew, days_ago, drive  # noqa: F401


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def household(village_a):
    """A household of village A (堪嘉镇), named in the inspector's clues."""
    return HouseholdFactory(village=village_a, head_name="赵甲")


@pytest.fixture
def record_kinds(db) -> dict[str, RecordKind]:
    # Transactional tests flush the rows the migrations seeded: seed again (idempotent).
    seed_document_kinds(DocumentKind, ChecklistRequirement)
    seed_record_kinds(RecordKind, DocumentKind)
    return {k.name: k for k in RecordKind.objects.all()}


@pytest.fixture
def appraised(campaign, crew, village_a, town_officer, record_kinds) -> list[Case]:  # noqa: F811
    """Two re-check cases of village A at 民主评议, their appraisal records saved for the same day."""
    for name in ("张一", "王二"):
        household = HouseholdFactory(village=village_a, head_name=name)
        MemberFactory(household=household, name=name)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    cases = []
    for case in Case.objects.filter(campaign=campaign).order_by("pk"):
        case = drive(case, Status.APPRAISAL, crew)
        stage_save(case=case, by=crew.cadre, data=appraisal_data())
        cases.append(case)
    return cases


@pytest.fixture
def held_on():
    """The day the fixtures' appraisals were held (appraisal_data: three days ago)."""
    return days_ago(3)


@pytest.fixture
def today():
    return timezone.localdate()
