"""Issue 15, S12§26: the district visits at least 30 % of the rest, wherever a share is set or used."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from review.cases import campaigns
from review.cases.forms import CampaignForm
from review.dynamic import spotchecks
from review.dynamic.forms import DrawForm
from review.models import Campaign, SpotCheckSample
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
LOW = Decimal("29")


@pytest.fixture
def launched(village_a, team_a, town_officer):
    for _ in range(10):
        HouseholdFactory(village=village_a)
    campaign = campaigns.campaign_create(name="抽查比例", kind="专项清理", scope_date=TODAY, by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    return campaign


def test_the_campaign_setting_refuses_29_percent(town_officer):
    with pytest.raises(ValidationError) as refused:
        campaigns.campaign_create(
            name="抽查过少", kind="专项清理", scope_date=TODAY, by=town_officer, spot_check_share=LOW
        )
    assert "不得低于 30%" in refused.value.message_dict["spot_check_share"][0]
    assert not Campaign.objects.exists()
    higher = campaigns.campaign_create(
        name="多抽", kind="专项清理", scope_date=TODAY, by=town_officer, spot_check_share=Decimal("45")
    )
    assert higher.spot_check_share == Decimal("45")


def test_the_campaign_form_refuses_29_percent():
    form = CampaignForm({"spot_check_share": "29"}, year=2026)
    assert not form.is_valid() and "spot_check_share" in form.errors


def test_the_database_refuses_a_campaign_below_30_percent(launched):
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=launched.pk).update(spot_check_share=LOW)


def test_sample_draw_refuses_29_percent(launched, district_officer):
    with pytest.raises(ValidationError) as refused:
        spotchecks.sample_draw(by=district_officer, campaign=launched, share=LOW)
    assert "不得低于 30%" in refused.value.message_dict["share"][0]
    with pytest.raises(ValidationError):
        spotchecks.sample_draw(by=district_officer, period_start=TODAY, period_end=TODAY, share=LOW)
    assert not SpotCheckSample.objects.exists()
    # 30 % of ten cases is three; the campaign's own share when none is given.
    assert spotchecks.sample_draw(by=district_officer, campaign=launched, seed=7).checks.count() == 3


def test_the_draw_form_and_page_refuse_29_percent(client, launched, district_officer):
    assert not DrawForm({"campaign": launched.pk, "share": "29"}, campaigns=Campaign.objects.all()).is_valid()
    client.force_login(district_officer)
    response = client.post(reverse("review:dynamic:samples"), {"campaign": launched.pk, "share": "29.99"})
    assert response.status_code == 400 and not SpotCheckSample.objects.exists()


def test_the_database_refuses_a_sample_below_30_percent(launched, district_officer):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpotCheckSample.objects.filter(pk=sample.pk).update(share=LOW)
    with pytest.raises(ValidationError):
        sample.share = LOW
        sample.full_clean()
