"""Fixtures for dynamic management, spot checks and the summary.

The pipeline helpers (crew, campaign, drive, stage data) come from the issue-5
suite; the gates other apps hang on the pipeline are switched off here the same
way, since these tests are about what happens around and after the cases.
"""

import itertools
from datetime import date, timedelta

import pytest

from households.models import Member
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import (  # noqa: F401 - fixtures re-exported for this package
    Crew,
    campaign,
    crew,
    district_data,
    drive,
    second_district_officer,
)

# Distinct birth dates: ID numbers are generated per birth date, and a member's ID is unique.
_days = itertools.count()


def born(start: date) -> date:
    return start + timedelta(days=next(_days) % 3000)


@pytest.fixture(autouse=True)
def _pipeline_only(settings):
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.ARCHIVES_APPROVAL_GATE = False
    settings.RELATIVES_DECLARATION_REQUIRED = False


@pytest.fixture
def media(settings, tmp_path):
    """Generated reports go to a private MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def elderly_household(village, *, start: date = date(2025, 1, 1), **over):
    """Two members over 60, no working-age earner: 基本稳定."""
    household = HouseholdFactory(village=village, start_month=start, covered_persons=2, **over)
    MemberFactory(household=household, born=born(date(1935, 1, 1)), work_capacity=Member.WorkCapacity.NONE)
    MemberFactory(household=household, born=born(date(1945, 1, 1)), relation=Member.Relation.SPOUSE, male=False)
    return household


def working_household(village, *, start: date = date(2025, 1, 1), **over):
    """A 40-year-old able to work: 收入不稳定或有劳动能力."""
    household = HouseholdFactory(village=village, start_month=start, **over)
    MemberFactory(household=household, born=born(date(1980, 1, 1)))
    return household
