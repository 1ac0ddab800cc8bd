"""The audit viewer: who may read it, what it shows (field-level diffs, reads, logins), anomaly reports."""

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from axes.models import AccessLog as LoginLog
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from archives.audit.services import ANOMALIES
from archives.models import VerificationRun
from households import idcard
from households.models import ReviewFlag
from kanjia.models import AccessLog
from review.models import Case, CaseStep
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def pages(household, user) -> list[str]:
    return [
        reverse("audit:index"),
        reverse("audit:index") + f"?household={household.pk}&change=~",
        reverse("audit:household", args=[household.pk]),
        reverse("audit:user", args=[user.pk]),
        reverse("audit:export"),
        *[reverse("audit:anomaly", args=[slug]) for slug in ANOMALIES],
    ]


def test_inspector_reads_every_page_and_every_post_is_refused(client, inspector, town_officer, history):
    client.force_login(inspector)
    for url in pages(history[0], town_officer):
        assert client.get(url).status_code == 200, url
    for url in [*pages(history[0], town_officer), reverse("audit:verify")]:
        assert client.post(url).status_code == 403, url
    assert not VerificationRun.objects.exists()


def test_only_inspectors_and_the_town_office_see_the_audit(client, personas, history):
    for name in ("team_member_a", "district_officer", "outsider"):
        client.force_login(personas[name])
        for url in pages(history[0], personas["town_officer"]):
            assert client.get(url).status_code == 403, (name, url)


def test_town_office_seals_and_verifies_on_demand_and_the_page_shows_it(client, town_officer, history):
    client.force_login(town_officer)
    response = client.post(reverse("audit:verify"), follow=True)
    run = VerificationRun.objects.get()
    assert run.ok and run.by == town_officer and run.trigger == "page"
    assert "审计链校验通过" in response.content.decode()
    assert "通过" in client.get(reverse("audit:index")).content.decode()


def test_field_level_diff_in_chinese(client, inspector, history):
    client.force_login(inspector)
    household = history[0]
    body = client.get(reverse("audit:index"), {"household": household.pk, "change": "~"}).content.decode()
    assert "月保障金(元)" in body
    assert "<del>300.00</del> → <ins>420.00</ins>" in body
    assert "测试民政" in body  # who changed it
    # ID numbers stay masked in the trail, full numbers never appear.
    member = household.members.get()
    trail = client.get(reverse("audit:household", args=[household.pk])).content.decode()
    assert idcard.mask(member.id_number) in trail and member.id_number not in trail
    assert "身份证号码" in trail


def test_filters_by_user_kind_and_date(client, inspector, town_officer, history):
    client.force_login(inspector)
    household = history[0]
    kinds = {"object_kind": "households_historicalhousehold", "user": town_officer.pk}
    page = client.get(reverse("audit:index"), kinds)
    entries = page.context["entries"]
    assert entries and all(e.source == "低保户" and e.user == "测试民政" for e in entries)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get(reverse("audit:index"), {"since": tomorrow}).context["entries"] == []
    assert household.village.name in client.get(reverse("audit:household", args=[household.pk])).content.decode()


def test_reveals_and_exports_are_logged_and_shown(client, inspector, town_officer, history):
    member = history[1].members.get()
    client.force_login(town_officer)
    response = client.post(reverse("households:reveal_id", args=[history[1].pk, member.pk]))
    assert response.status_code == 200
    reveal = AccessLog.objects.get(action=AccessLog.Action.REVEAL_ID, object_id=str(member.pk))
    assert reveal.user == town_officer and reveal.ip

    client.force_login(inspector)
    trail = client.get(reverse("audit:household", args=[history[1].pk])).content.decode()
    assert "查看完整身份证号" in trail and reveal.ip in trail
    export = client.get(reverse("audit:export"), {"household": history[1].pk})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "IP")
    assert any(row[3] == "敏感信息访问" for row in rows[1:])
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=inspector).get()
    assert "审计记录导出" in logged.detail
    # The user's own trail shows the export.
    assert "审计记录导出" in client.get(reverse("audit:user", args=[inspector.pk])).content.decode()


def test_next_page_link_walks_back_in_time(client, inspector, town_officer, village_a):
    for n in range(60):
        AccessLog.objects.create(user=town_officer, action=AccessLog.Action.VIEW, detail=f"第{n}次")
    client.force_login(inspector)
    first = client.get(reverse("audit:index"), {"change": "access"})
    assert len(first.context["entries"]) == 50 and first.context["next_link"]
    second = client.get(reverse("audit:index") + first.context["next_link"])
    assert len(second.context["entries"]) == 10


def test_anomaly_reports_list_what_they_should(client, inspector, town_officer, district_officer, history, settings):
    household = history[0]
    ok_flag = ReviewFlag.objects.create(
        household=household,
        kind=ReviewFlag.Kind.VEHICLE,
        source_key="t:1",
        reason="有车",
        disposition=ReviewFlag.Disposition.CONFIRMED_OK,
        note="  ",
        disposed_by=town_officer,
    )
    ReviewFlag.objects.create(
        household=household,
        kind=ReviewFlag.Kind.PENSION,
        source_key="t:2",
        reason="养老金",
        disposition=ReviewFlag.Disposition.CONFIRMED_OK,
        note="已核实：系基础养老金",
        disposed_by=town_officer,
    )
    # The impossible, forced with raw rows: one person deciding at town and district level.
    case = Case.objects.create(household=history[1], kind=Case.Kind.RECHECK, status="办结")
    CaseStep.objects.create(
        case=case, from_status="镇审核", to_status="区审批", action="town_review", actor=town_officer
    )
    CaseStep.objects.create(case=case, from_status="区审批", to_status="办结", action="approve", actor=town_officer)
    night = datetime(2021, 6, 1, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    noon = datetime(2021, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for when, name in ((night, "night_owl"), (noon, "day_worker")):
        row = LoginLog.objects.create(username=name, ip_address="10.0.0.8", user_agent="x")
        LoginLog.objects.filter(pk=row.pk).update(attempt_time=when)  # auto_now_add ignores the value
    AccessAttempt.objects.create(
        username="locked",
        ip_address="10.0.0.9",
        user_agent="x",
        failures_since_start=5,
        get_data="",
        post_data="",
        path_info="/accounts/login/",
    )

    client.force_login(inspector)

    def report(slug: str) -> str:
        return client.get(reverse("audit:anomaly", args=[slug])).content.decode()

    flags = report("flags-without-note")
    assert flags.count("5.家中有小轿车") == 1 and "2.有家庭成员领取养老保险金" not in flags
    two = report("two-levels")
    assert f"#{case.pk}" in two and "镇审核、区审批" in two
    amounts = report("amounts-outside-pipeline")
    assert "300.00 + 0.00" in amounts and "420.00 + 0.00" in amounts and "测试民政" in amounts
    hours = report("unusual-hours")
    assert "night_owl" in hours and "day_worker" not in hours
    assert "locked" in report("lockouts")
    assert ok_flag.household.head_name in flags


def test_approved_amount_change_is_not_an_anomaly(client, inspector, district_officer, village_a):
    household = HouseholdFactory(village=village_a)
    case = Case.objects.create(household=household, kind=Case.Kind.RECHECK, status="办结")
    household.base_amount = 500
    household._history_user = district_officer
    household.save()
    CaseStep.objects.create(case=case, from_status="区审批", to_status="办结", action="approve", actor=district_officer)
    client.force_login(inspector)
    body = client.get(reverse("audit:anomaly", args=["amounts-outside-pipeline"])).content.decode()
    assert household.head_name not in body


def test_timeline_query_count_is_bounded(client, inspector, history, django_assert_max_num_queries):
    client.force_login(inspector)
    # Two queries per history source at most (rows, previous versions), plus users, access log, logins.
    with django_assert_max_num_queries(150):
        client.get(reverse("audit:index"))
