"""Fixtures for publicity: cases driven to the stage a round lists, through the real pipeline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from publicity import rounds
from review.cases.workflow import registration_sign, stage_save
from review.models import Case, Status
from tests.e2e_helpers import travel_back
from tests.factories import HouseholdFactory, MemberFactory, VillageGroupFactory
from tests.review_cases import conftest as pipeline
from tests.review_cases.conftest import Crew, appraisal_data, appraise, drive

# The pipeline package's fixtures, shared with this package.
campaign = pipeline.campaign
crew = pipeline.crew


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _enforce_rounds(settings):
    # Other packages switch the round gates off for their pipeline tests; here they are the subject,
    # and the other apps' gates (archives, near relatives) are tested in their own suites.
    settings.PUBLICITY_ENFORCE_ROUNDS = True
    settings.ARCHIVES_APPROVAL_GATE = False
    settings.RELATIVES_DECLARATION_REQUIRED = False


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def at_appraisal(case: Case, crew: Crew, *, submit: bool = True) -> Case:
    """Drive to 民主评议 with the appraisal saved and (by default) its result submitted (列入第一榜).

    The 登记表 is signed only after 第一榜 has closed (`sign_all`)."""
    with override_settings(PUBLICITY_ENFORCE_ROUNDS=False):
        case = drive(case, Status.APPRAISAL, crew)
    stage_save(case=case, by=crew.cadre, data=appraisal_data())
    if submit:
        appraise(case, crew)
    return Case.objects.get(pk=case.pk)


def sign_all(case: Case, crew: Crew):
    """The three signatures; returns the third's result (the hand-over to 镇审核)."""
    signed = None
    for member in crew.all:
        signed = registration_sign(case=case, by=member)
    return signed


def at_stage(case: Case, status: str, crew: Crew, *, town=None, district=None) -> Case:
    """Drive past publicity gates (switched off) to `status`."""
    with override_settings(PUBLICITY_ENFORCE_ROUNDS=False):
        return drive(case, status, crew, town=town, district=district)


def open_round(*, campaign, village, number: int, by, started_days_ago: int = 10):
    """A round prepared and opened `started_days_ago` days ago, on that day (rounds cannot be backdated)."""
    with travel_back(started_days_ago):
        draft = rounds.round_prepare(campaign=campaign, village=village, number=number, by=by)
        return rounds.round_open(round=draft, by=by, starts_on=timezone.localdate())


@pytest.fixture
def launched(campaign, crew, town_officer, village_a):
    """A launched campaign with three households in village_a (one case each)."""
    from review.cases import campaigns

    group = VillageGroupFactory(village=village_a, number=3)
    for name, amount in (("张三", "300.00"), ("李四", "450.00"), ("王五", "520.00")):
        household = HouseholdFactory(village=village_a, group=group, head_name=name, base_amount=Decimal(amount))
        MemberFactory(household=household, name=name)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    return campaign


@pytest.fixture
def cases(launched) -> list[Case]:
    return list(Case.objects.filter(campaign=launched).order_by("household__head_name"))
