"""The inspector's register of problem clues (问题线索): the one write of the 纪委监察 role."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from archives.audit.seals import audit_tables, seal_audit, verify_audit
from archives.clues import services as clues
from archives.clues.selectors import clues_visible_to
from archives.models import Clue
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_inspector(db):
    from kanjia import roles

    return make_user("inspector_2", roles.INSPECTOR, full_name="第二纪检")


def register(by, household, **over):
    data = {
        "by": by,
        "town": household.village.town,
        "found_on": timezone.localdate(),
        "source": Clue.Source.REPORT,
        "title": "疑似优亲厚友",
        "description": "群众反映村干部为亲属办理低保。",
        "household_ids": [household.pk],
        **over,
    }
    return clues.clue_create(**data)


def test_the_inspector_registers_a_clue_through_the_read_only_middleware(
    client, inspector, household, team_member_a, village_a
):
    client.force_login(inspector)
    response = client.post(
        reverse("audit:clue_create"),
        {
            "found_on": timezone.localdate().isoformat(),
            "source": Clue.Source.ANOMALY,
            "source_detail": "同一人在同一案件中参与两个决策层级",
            "title": "调查人员参与审核",
            "description": "案件中同一人既调查又审核。",
            "households": f"{household.pk}",
            "cases": "",
            "staff": [team_member_a.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()
    clue = Clue.objects.get()
    assert clue.number == f"{timezone.localdate().year}-001" and clue.status == "核实中"
    assert list(clue.households.all()) == [household] and list(clue.staff.all()) == [team_member_a]
    assert clue.created_by == inspector
    assert clue.history.filter(history_type="+", history_user=inspector).exists()
    assert response.url == reverse("audit:clue_detail", args=[clue.pk])
    page = client.get(response.url).content.decode()
    assert "调查人员参与审核" in page and "甲组组员" in page


def test_bad_ids_are_refused_with_a_reason(client, inspector, village_a):
    client.force_login(inspector)
    data = {"found_on": timezone.localdate().isoformat(), "source": "其他", "title": "t", "description": "d"}
    response = client.post(reverse("audit:clue_create"), {**data, "households": "12a"})
    assert response.status_code == 400 and "编号只能是数字" in response.content.decode()
    response = client.post(reverse("audit:clue_create"), {**data, "cases": "999999"})
    assert response.status_code == 400 and "没有这些案件：#999999" in response.content.decode()
    assert not Clue.objects.exists()


def test_only_inspectors_register(household, town_officer, district_officer, team_member_a):
    for user in (town_officer, district_officer, team_member_a):
        with pytest.raises(PermissionDenied):
            register(user, household)
    assert not Clue.objects.exists()


def test_a_clue_is_the_inspectors_until_it_is_referred_to_the_town_office(
    client, inspector, town_officer, district_officer, team_member_a, team_a, sysadmin, household
):
    clue = register(inspector, household)
    detail = reverse("audit:clue_detail", args=[clue.pk])
    for user in (town_officer,):
        client.force_login(user)
        assert client.get(detail).status_code == 404
        assert clue.title not in client.get(reverse("audit:clues")).content.decode()
    for user in (district_officer, team_member_a, sysadmin):
        client.force_login(user)
        assert client.get(reverse("audit:clues")).status_code == 403
        assert client.get(detail).status_code == 403
    assert list(clues_visible_to(user=inspector)) == [clue]

    clues.clue_refer(clue=clue, by=inspector, note="请核实并于十日内答复。", answer_due=timezone.localdate())
    client.force_login(town_officer)
    assert client.get(detail).status_code == 200
    assert clue.title in client.get(reverse("audit:clues")).content.decode()
    for user in (district_officer, team_member_a, sysadmin):
        client.force_login(user)
        assert client.get(detail).status_code == 403


def test_a_clue_is_never_shown_to_a_staff_member_named_in_it(
    client, inspector, second_inspector, town_officer, household
):
    about_the_officer = register(inspector, household, staff=[town_officer])
    about_an_inspector = register(inspector, household, staff=[second_inspector], title="纪检人员违规查询")
    clues.clue_refer(clue=about_the_officer, by=inspector, note="请答复。")
    client.force_login(town_officer)
    assert client.get(reverse("audit:clue_detail", args=[about_the_officer.pk])).status_code == 404
    assert "疑似优亲厚友" not in client.get(reverse("audit:clues")).content.decode()
    with pytest.raises(PermissionDenied):
        clues.clue_answer(clue=about_the_officer, by=town_officer, answer="与我无关")
    client.force_login(second_inspector)
    assert client.get(reverse("audit:clue_detail", args=[about_an_inspector.pk])).status_code == 404
    assert list(clues_visible_to(user=second_inspector)) == [about_the_officer]
    # Nobody names themselves (they would lose sight of their own clue).
    with pytest.raises(ValidationError, match="涉及本人"):
        register(inspector, household, staff=[inspector])


def test_handling_is_recorded_and_a_concluded_clue_is_final(inspector, household):
    clue = register(inspector, household)
    base = {
        "found_on": clue.found_on,
        "source": clue.source,
        "title": clue.title,
        "description": clue.description,
        "household_ids": [household.pk],
    }
    with pytest.raises(ValidationError) as error:
        clues.clue_update(clue=clue, by=inspector, status="已处理", **base)
    assert set(error.value.message_dict) == {"concluded_on", "measure"}
    with pytest.raises(ValidationError) as error:
        clues.clue_update(clue=clue, by=inspector, status="不属实", concluded_on=timezone.localdate(), **base)
    assert set(error.value.message_dict) == {"findings"}
    clues.clue_update(
        clue=clue,
        by=inspector,
        status="已处理",
        findings="属实：村干部为其弟办理低保未回避。",
        measure="诫勉谈话；该户停保并追回多领资金。",
        concluded_on=timezone.localdate(),
        **base,
    )
    clue.refresh_from_db()
    assert (clue.status, clue.is_open) == ("已处理", False)
    with pytest.raises(ValidationError, match=r"已于.*办结"):
        clues.clue_update(clue=clue, by=inspector, status="核实中", **base)
    with pytest.raises(ValidationError, match="已办结"):
        clues.clue_refer(clue=clue, by=inspector, note="请答复。")
    assert [h.status for h in clue.history.order_by("history_id")][-1] == "已处理"


def test_the_town_office_answers_a_referred_clue(client, inspector, town_officer, household):
    clue = register(inspector, household)
    client.force_login(town_officer)
    assert client.post(reverse("audit:clue_answer", args=[clue.pk]), {"answer": "x"}).status_code == 404
    clues.clue_refer(clue=clue, by=inspector, note="请核实。")
    response = client.post(reverse("audit:clue_answer", args=[clue.pk]), {"answer": "经核实，已停保。"})
    assert response.status_code == 302
    clue.refresh_from_db()
    assert (clue.answer, clue.answered_by) == ("经核实，已停保。", town_officer)
    # The inspector refers; the answer is not theirs to write (the middleware refuses it).
    client.force_login(inspector)
    response = client.post(reverse("audit:clue_answer", args=[clue.pk]), {"answer": "代答"})
    assert response.status_code == 403 and "只能查阅" in response.content.decode()
    with pytest.raises(ValidationError, match="已于"):
        clues.clue_refer(clue=clue, by=inspector, note="再次交办")


def test_the_register_is_sealed_and_a_tampered_clue_is_named(settings, inspector, household):
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    clue = register(inspector, household, staff=[])
    names = {t.name for t in audit_tables()}
    history = Clue.history.model._meta.db_table
    assert {history, f"{history}_households", f"{history}_cases", f"{history}_staff"} <= names
    assert seal_audit() > 0
    assert verify_audit().ok
    row = clue.history.order_by("history_id").first().history_id
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{history}" SET title = %s WHERE history_id = %s', ["改掉的摘要", row])  # noqa: S608
    run = verify_audit()
    assert not run.ok
    assert ("changed", history, row) in {(p["kind"], p["table"], p["row_id"]) for p in run.problems}


def test_clues_stay_off_the_shared_audit_timeline(client, inspector, town_officer, household):
    clue = register(inspector, household, title="不应出现在时间线上的线索")
    clues.clue_refer(clue=clue, by=inspector, note="请答复。")
    for user in (town_officer, inspector):
        client.force_login(user)
        for url in (reverse("audit:index"), reverse("audit:user", args=[inspector.pk])):
            assert "不应出现在时间线上的线索" not in client.get(url).content.decode()
    # Its own page shows its history to those who may see it.
    page = client.get(reverse("audit:clue_detail", args=[clue.pk])).content.decode()
    assert page.count('data-testid="audit-entries"') == 1 and "交办时间" in page


def test_anomaly_reports_link_to_register_a_clue(client, inspector, town_officer, household):
    client.force_login(inspector)
    page = client.get(reverse("audit:anomaly", args=["two-levels"])).content.decode()
    assert 'data-testid="register-clue-top"' in page and reverse("audit:clue_create") in page
    client.force_login(town_officer)
    assert (
        reverse("audit:clue_create") not in client.get(reverse("audit:anomaly", args=["two-levels"])).content.decode()
    )


def test_an_anomaly_row_prefills_the_clue(client, inspector, town_officer, household):
    """flags-without-note lists a flag closed with no note: its row links to a clue naming the household and staff."""
    from households.models import ReviewFlag

    ReviewFlag.objects.create(
        household=household,
        kind=9,
        source=ReviewFlag.Source.MANUAL,
        source_key="t",
        disposition=ReviewFlag.Disposition.CONFIRMED_OK,
        disposed_by=town_officer,
        disposed_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(inspector)
    page = client.get(reverse("audit:anomaly", args=["flags-without-note"])).content.decode()
    link = page.split('data-testid="register-clue" href="')[1].split('"')[0].replace("&amp;", "&")
    assert f"households={household.pk}" in link and f"staff={town_officer.pk}" in link
    form = client.get(link).content.decode()
    assert f'value="{household.pk}"' in form and "核实无误但无说明的重点复核标记" in form
    assert f'<option value="{town_officer.pk}" selected' in form
