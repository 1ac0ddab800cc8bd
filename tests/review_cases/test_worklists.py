"""Worklists on the home page and 我的待办, the filtered case list, the campaign dashboard's drill-down.

The defect this guards against: the town office's 我的待办 was empty while every case of the
campaign sat at 受理 (cases with a team were shown only to the team)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import ReviewFlag
from review.cases import campaigns
from review.cases.selectors import case_list_url, overdue_q, worklist
from review.models import Case, Status
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import days_ago, drive

pytestmark = pytest.mark.django_db


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


@pytest.fixture
def launched(campaign, crew, team_b, village_a, village_b, town_officer):
    """Three households in 甲村 (甲组) and two in 乙村 (乙组), every case at 受理."""
    for i in range(3):
        MemberFactory(household=HouseholdFactory(village=village_a, head_name=f"甲{i}"))
    for i in range(2):
        MemberFactory(household=HouseholdFactory(village=village_b, head_name=f"乙{i}"))
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    return campaign


def test_the_town_office_worklist_is_not_empty_while_cases_wait_at_acceptance(client, launched, town_officer):
    assert Case.objects.filter(status=Status.ACCEPTANCE, team__isnull=False).count() == 5
    assert worklist(user=town_officer).count() == 5
    client.force_login(town_officer)
    for url in (reverse("dashboard"), reverse("review:worklist")):
        html = client.get(url).content.decode()
        assert "目前没有等待您办理的事项" not in html
        assert "待受理登记" in html and "甲村" in html and "乙村" in html
    # The count is a link to the filtered list, which lists exactly those cases.
    html = client.get(reverse("dashboard")).content.decode()
    target = next(u for u in links(html) if "status=" in u and "village=" in u)
    listed = client.get(target).content.decode()
    assert listed.count("/review/cases/") - listed.count('action="/review/cases/') >= 3
    assert "共 3 件" in listed or "共 2 件" in listed


def test_team_members_see_their_teams_stages_only(client, launched, crew, team_member_b):
    client.force_login(crew.cadre)
    html = client.get(reverse("dashboard")).content.decode()
    assert "待受理登记" in html and "甲村" in html and "乙村" not in html
    client.force_login(team_member_b)
    html = client.get(reverse("review:worklist")).content.decode()
    assert "乙村" in html and "甲村" not in html


def test_the_district_sees_its_approvals(client, case, crew, town_officer, district_officer):
    client.force_login(district_officer)
    assert "目前没有等待您办理的事项" in client.get(reverse("dashboard")).content.decode()
    drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "待区审批" in html
    client.force_login(town_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "待区审批" not in html


def test_round_one_waits_on_the_town_office_worklist(client, case, crew, town_officer):
    drive(case, Status.APPRAISAL, crew, town=town_officer)
    client.force_login(town_officer)
    assert "第一榜待生成公示" not in client.get(reverse("dashboard")).content.decode()
    from review.cases.workflow import case_advance, stage_save
    from tests.review_cases.conftest import appraisal_data

    stage_save(case=case, by=crew.cadre, data=appraisal_data())
    # Saved only: not yet for the round.
    assert "第一榜待生成公示" not in client.get(reverse("dashboard")).content.decode()
    case_advance(case=case, action="appraise", by=crew.cadre)
    html = client.get(reverse("dashboard")).content.decode()
    assert "第一榜待生成公示" in html
    target = next(u for u in links(html) if u.startswith("/publicity/?"))
    page = client.get(target).content.decode()
    # The prepare form comes filled in with the campaign, the village and the round.
    assert re.search(rf'<option value="{case.campaign_id}" selected>', page)
    assert re.search(rf'<option value="{case.household.village_id}" selected>', page)


def test_case_list_filters_and_scope(client, launched, crew, town_officer, village_a, team_b):
    flagged = Case.objects.filter(household__village=village_a).first()
    ReviewFlag.objects.create(household=flagged.household, kind=1, reason="测试")
    client.force_login(town_officer)

    def count(**filters) -> int:
        html = client.get(case_list_url(**filters)).content.decode()
        return int(re.search(r"共 (\d+) 件", html).group(1))

    assert count() == 5
    assert count(campaign=launched.pk, village=village_a.pk) == 3
    assert count(team=team_b.pk) == 2
    assert count(flags=1) == 1
    assert count(status=Status.INVESTIGATION) == 0
    late = Case.objects.get(pk=flagged.pk)
    late.due_on = days_ago(1)
    late.save()
    assert count(overdue=1) == Case.objects.filter(overdue_q()).count() >= 1
    # A stale or forged value drops that filter rather than failing.
    assert count(team=999999) == 5
    client.force_login(crew.cadre)
    assert count() == 3 and count(team=team_b.pk) == 3


def test_campaign_dashboard_counts_open_the_cases_behind_them(client, launched, town_officer, village_a):
    client.force_login(town_officer)
    html = client.get(reverse("review:campaign_detail", args=[launched.pk])).content.decode()
    expected = case_list_url(campaign=launched.pk, village=village_a.pk, status=Status.ACCEPTANCE)
    assert expected in links(html)
    assert "共 3 件" in client.get(expected).content.decode()


def test_the_home_page_costs_the_same_with_more_work(client, launched, town_officer, village_a):
    client.force_login(town_officer)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard"))
    for i in range(5):
        MemberFactory(household=HouseholdFactory(village=village_a, head_name=f"丙{i}"))
    campaigns.campaign_launch(campaign=launched, by=town_officer)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("dashboard"))
    assert len(more) == len(few)
