"""新申请 from the household page, and the printable 一次性告知书 of missing materials."""

import re

import pytest
from django.urls import reverse

from households.models import Household
from kanjia.models import AccessLog
from review.cases import campaigns
from review.models import Acceptance, Case, Status
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import acceptance_data
from tests.test_pdf_xlsx import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(village_a) -> Household:
    household = HouseholdFactory(village=village_a, head_name="赵六", status=Household.Status.APPLYING)
    MemberFactory(household=household, name="赵六")
    return household


def test_team_member_registers_an_application_from_the_household_page(client, crew, applicant):
    client.force_login(crew.cadre)
    page = client.get(reverse("households:detail", args=[applicant.pk])).content.decode()
    apply_url = reverse("review:application_new", args=[applicant.pk])
    assert apply_url in page and "没有审核案件" in page

    response = client.post(apply_url, {"campaign": ""})
    case = Case.objects.get(household=applicant)
    assert response.url == reverse("review:case_detail", args=[case.pk])
    assert (case.kind, case.campaign, case.team, case.status) == (
        Case.Kind.APPLICATION,
        None,
        crew.team,
        Status.ACCEPTANCE,
    )
    assert case.history.get().history_user == crew.cadre
    # The household page now lists the case and no longer offers a second application.
    page = client.get(reverse("households:detail", args=[applicant.pk])).content.decode()
    assert f"案件#{case.pk}" in page and apply_url not in page


def test_missed_household_is_linked_to_the_campaign_it_was_found_in(client, crew, applicant, campaign, town_officer):
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    client.force_login(crew.cadre)
    page = client.get(reverse("review:application_new", args=[applicant.pk])).content.decode()
    assert campaign.name in page
    client.post(reverse("review:application_new", args=[applicant.pk]), {"campaign": campaign.pk})
    case = Case.objects.get(household=applicant)
    assert (case.kind, case.campaign) == (Case.Kind.APPLICATION, campaign)


def test_covered_household_cannot_apply_and_nothing_is_created(client, crew, household):
    client.force_login(crew.cadre)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert reverse("review:application_new", args=[household.pk]) not in page
    response = client.post(reverse("review:application_new", args=[household.pk]), {"campaign": ""})
    assert response.status_code == 200
    assert "该户已在保，应通过复核办理" in response.content.decode()
    assert not Case.objects.exists()


def test_second_application_while_one_is_open_is_refused(client, crew, applicant, town_officer):
    first = campaigns.application_create(household=applicant, by=town_officer)
    client.force_login(crew.cadre)
    page = client.get(reverse("review:application_new", args=[applicant.pk])).content.decode()
    assert f"案件#{first.pk}" in page  # the open case is pointed out before anyone tries
    response = client.post(reverse("review:application_new", args=[applicant.pk]), {"campaign": ""})
    assert "该户已有正在办理的申请" in response.content.decode()
    assert Case.objects.filter(household=applicant).count() == 1


def test_readers_and_other_teams_cannot_register(client, applicant, district_officer, inspector, team_member_b):
    url = reverse("review:application_new", args=[applicant.pk])
    for user, status in [(district_officer, 403), (inspector, 403), (team_member_b, 404)]:
        client.force_login(user)
        assert client.get(url).status_code == status
        assert client.post(url, {"campaign": ""}).status_code == status
    assert not Case.objects.exists()


def test_one_time_notice_lists_every_missing_material(client, crew, applicant, town_officer):
    from review.cases.workflow import stage_save

    case = campaigns.application_create(household=applicant, by=town_officer)
    notice_url = reverse("review:acceptance_notice_pdf", args=[case.pk])
    client.force_login(crew.cadre)
    assert client.get(notice_url).status_code == 404  # nothing recorded as missing yet

    missing = "户口簿复印件\n  \n残疾证复印件\n银行卡复印件"
    stage_save(case=case, by=crew.cadre, data=acceptance_data(applicant_name="赵六", missing_materials=missing))
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "打印一次性告知书" in page and notice_url in page

    response = client.get(notice_url)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "一次性告知书" in text and "赵六" in text
    for item in ("户口簿复印件", "残疾证复印件", "银行卡复印件"):
        assert item in text
    assert re.search(r"\b3\b", text)  # three numbered items: the blank line is not one
    assert "028-26000000" in text  # the office's phone, for questions
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT)
    assert (log.user, log.object_type) == (crew.cadre, "review.acceptance")

    # Materials handed in: the field is cleared, acceptance goes through, no notice is offered.
    record = Acceptance.objects.get(case=case)
    stage_save(case=case, by=crew.cadre, data=acceptance_data(applicant_name=record.applicant_name))
    assert client.get(notice_url).status_code == 404
