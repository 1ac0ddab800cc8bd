"""Campaign and case pages: scoping, stage forms, buttons, PDF."""

import pytest
from django.urls import reverse

from kanjia.models import AccessLog
from review.models import Campaign, Case, Status
from tests.review_cases.conftest import appraisal_data, days_ago, drive

pytestmark = pytest.mark.django_db


def post_investigation(client, case, crew, action="investigate", **over):
    data = {
        "visited_on": days_ago(2).isoformat(),
        "investigators": [crew.cadre.pk, crew.village_cadre.pk],
        "family_present": "张三",
        "living_conditions": "住房简陋",
        "recommended_outcome": "维持",
        "action": action,
    }
    for k in range(1, 10):
        data[f"item_{k}"] = "0"
    for s in ["养老保险", "失业保险", "住房公积金", "车辆", "不动产", "工商", "税务", "其他"]:
        data[f"check_{s}"] = days_ago(1).isoformat()
        data[f"check_{s}_abnormal"] = "0"
    data.update(over)
    return client.post(reverse("review:case_stage", args=[case.pk, "investigation"]), data)


def test_campaign_create_and_launch_by_town_office(client, town_officer, crew, household):
    client.force_login(town_officer)
    page = client.get(reverse("review:campaign_create"))
    assert page.status_code == 200 and "清理实施开始" in page.content.decode()
    data = {
        "name": "2021年专项清理",
        "kind": "专项清理",
        "scope_date": "2021-05-31",
        "appraisal_required": "on",
        "publicity_rounds": 3,
        "spot_check_share": 30,
    }
    for kind, start, end in [
        ("准备", "2021-05-06", "2021-05-20"),
        ("清理实施", "2021-05-21", "2021-06-20"),
        ("抽查审批", "2021-06-21", "2021-07-20"),
        ("总结", "2021-07-21", "2021-08-20"),
    ]:
        data[f"phase_{kind}_start"], data[f"phase_{kind}_end"] = start, end
    response = client.post(reverse("review:campaign_create"), data)
    campaign = Campaign.objects.get(name="2021年专项清理")
    assert response.url == reverse("review:campaign_detail", args=[campaign.pk])
    client.post(reverse("review:campaign_launch", args=[campaign.pk]))
    assert Case.objects.filter(campaign=campaign).count() == 1
    page = client.get(reverse("review:campaign_detail", args=[campaign.pk])).content.decode()
    assert "甲组" in page and "甲村" in page
    assert "2021年专项清理" in client.get(reverse("review:campaigns")).content.decode()


def test_team_member_cannot_create_or_launch(client, crew, campaign):
    client.force_login(crew.cadre)
    assert client.get(reverse("review:campaign_create")).status_code == 403
    assert client.post(reverse("review:campaign_launch", args=[campaign.pk])).status_code == 403


def test_case_outside_villages_is_404(client, case, team_b, team_member_b):
    client.force_login(team_member_b)
    assert client.get(reverse("review:case_detail", args=[case.pk])).status_code == 404


def test_case_page_shows_only_allowed_buttons(client, case, crew, town_officer, district_officer, inspector):
    client.force_login(crew.cadre)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="accept"' in page and 'data-action="terminate"' not in page
    client.force_login(town_officer)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="accept"' in page and 'data-action="terminate"' in page
    for user in (district_officer, inspector):
        client.force_login(user)
        page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
        assert "data-action=" not in page and "stage-form" not in page


def test_investigation_errors_shown_next_to_fields(client, case, crew):
    case = drive(case, Status.INVESTIGATION, crew)
    client.force_login(crew.cadre)
    response = post_investigation(client, case, crew, investigators=[crew.cadre.pk], item_3="1")
    body = response.content.decode()
    assert response.status_code == 200
    assert "至少两名调查人员" in body and "有异常的，请说明情况" in body
    case.refresh_from_db()
    assert case.status == Status.INVESTIGATION
    response = post_investigation(client, case, crew)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.APPRAISAL


def test_sign_and_print_registration_form(client, case, crew, town_officer):
    from review.cases.workflow import case_advance, stage_save

    case = drive(case, Status.APPRAISAL, crew)
    stage_save(case=case, by=crew.cadre, data=appraisal_data())
    client.force_login(crew.leader)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    # A saved appraisal is a draft: no signing until its result is submitted.
    assert "以驻村领导身份签字" not in page and "尚不能签字" in page
    case_advance(case=case, action="appraise", by=crew.cadre)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "以驻村领导身份签字" in page
    client.post(reverse("review:case_sign", args=[case.pk]))
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "甲组组长" in page and "以驻村领导身份签字" not in page
    client.force_login(town_officer)
    response = client.get(reverse("review:registration_pdf", args=[case.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT)
    assert (log.user, log.object_type) == (town_officer, "review.registrationform")


def test_return_without_reason_shows_message(client, case, crew, town_officer):
    case = drive(case, Status.TOWN_REVIEW, crew)
    client.force_login(town_officer)
    url = reverse("review:case_action", args=[case.pk, "return"])
    response = client.post(url, {"target": Status.INVESTIGATION, "note": ""})
    assert "须说明理由" in response.content.decode()
    response = client.post(url, {"target": Status.INVESTIGATION, "note": "缺税务回函"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.INVESTIGATION


def test_worklist_page(client, case, crew, django_assert_max_num_queries):
    # The case table plus the worklist summary (kanjia.worklists): a constant number, whatever the cases
    # (two of them find the 登记表 waiting for this member's own signature).
    # One more names the member's own town in the header and footer (kanjia.context_processors).
    client.force_login(crew.cadre)
    with django_assert_max_num_queries(19):
        page = client.get(reverse("review:worklist")).content.decode()
    assert f"#{case.pk}" in page


def test_case_page_says_why_a_member_may_not_act(client, case, crew, household, town_officer):
    from review.teams import services as teams

    member = household.members.get()
    teams.staff_upsert(user=crew.cadre, name="甲组组员", unit="村委会", by=town_officer, id_number=member.id_number)
    client.force_login(crew.cadre)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "须回避" in page and "data-action=" not in page


def test_case_page_asks_each_actor_check_once(client, case, crew, town_officer):
    # The stage's buttons, the 下一步 panel and the refusal text each ask whether this user may act
    # on this case; the scope, team, declaration and recusal lookups behind that run once per page.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for user in (crew.cadre, town_officer):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
        assert "data-action=" in page
        sql = [q["sql"] for q in queries.captured_queries]
        assert sum('FROM "review_relativedeclaration"' in q for q in sql) == 1, user.username
        assert sum('FROM "households_member"' in q and "id_number" in q.split("WHERE")[-1] for q in sql) <= 1
        assert len(sql) <= 42, (user.username, len(sql))


def test_actor_checks_run_fresh_outside_a_page(case, crew, household, town_officer):
    # Only a page render shares the checks; the service asks again every time, so a recusal
    # recorded between two calls counts at once.
    from review.cases import workflow
    from review.teams import services as teams

    assert workflow.available_transitions(case=case, user=crew.cadre)
    member = household.members.get()
    teams.staff_upsert(user=crew.cadre, name="甲组组员", unit="村委会", by=town_officer, id_number=member.id_number)
    cadre = type(crew.cadre).objects.get(pk=crew.cadre.pk)  # as the next request loads them
    assert workflow.available_transitions(case=case, user=cadre) == []
    with workflow.actor_checks_memoised():
        assert workflow.available_transitions(case=case, user=cadre) == []
        assert "须回避" in workflow.refusal_reason(case=case, user=cadre)
