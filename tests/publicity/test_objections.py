"""Objections: registering, handling, holding the case, sending it back."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from publicity import objections, rounds
from publicity.models import Objection, RoundCase
from review.cases.workflow import TransitionInvalid, case_advance
from review.models import Case, CaseStep, Status
from tests.publicity.conftest import at_appraisal, days_ago, open_round, sign_all

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def register(round_, case, by, **over):
    data = {
        "received_on": days_ago(2),
        "channel": "来访",
        "content": "该户儿子在城里开店，收入较高。",
        "objector_name": "赵六",
        "objector_contact": "13800000000",
        **over,
    }
    return objections.objection_register(round=round_, case=case, by=by, **data)


def handle(objection, by, result="不成立"):
    return objections.objection_handle(
        objection=objection,
        by=by,
        investigation="入户核实，该户儿子已分户另居。",
        investigated_on=TODAY(),
        investigators=[by],
        result=result,
        reply="经核实，反映情况不属实。" if result == "不成立" else "经核实，反映情况属实，已退回重新调查。",
        replied_on=TODAY(),
    )


@pytest.fixture
def round_one(cases, crew, launched, village_a, town_officer):
    for case in cases[:2]:
        at_appraisal(case, crew)
    return open_round(campaign=launched, village=village_a, number=1, by=town_officer)


def test_register_marks_the_case_and_holds_it(round_one, cases, crew, town_officer):
    case = cases[0]
    objection = register(round_one, case, crew.cadre)
    assert objection.is_open and objection.registered_by == crew.cadre
    case = Case.objects.get(pk=case.pk)
    assert case.has_objection is True
    assert case.history.first().has_objection is True
    with pytest.raises(TransitionInvalid, match="公示异议"):
        case_advance(case=case, action="submit", by=crew.cadre)
    # 退回 stays possible: it is one way to deal with an objection.
    case = case_advance(case=case, action="return", by=town_officer, data={"target": Status.INVESTIGATION}, note="重查")
    assert case.status == Status.INVESTIGATION


def test_round_cannot_close_while_an_objection_is_open(round_one, cases, crew, town_officer):
    objection = register(round_one, cases[0], town_officer)
    with pytest.raises(ValidationError, match="1 件异议尚未处理"):
        rounds.round_close(round=round_one, by=town_officer)
    handle(objection, town_officer)
    summary = rounds.round_close(round=round_one, by=town_officer)
    assert summary.passed == 2 and summary.returned == 0
    # Passed: the case waits for its 登记表 signatures (公示期满，待签字上交), then goes to 镇审核.
    assert Case.objects.get(pk=cases[0].pk).status == Status.APPRAISAL
    assert sign_all(cases[0], crew).case.status == Status.TOWN_REVIEW
    # The case stays marked as questioned: the district must visit it (S21§20).
    assert Case.objects.get(pk=cases[0].pk).has_objection is True


def test_upheld_objection_sends_the_case_back_with_the_objection_as_reason(round_one, cases, town_officer):
    objection = handle(register(round_one, cases[0], town_officer), town_officer, result="成立")
    summary = rounds.round_close(round=round_one, by=town_officer)
    assert (summary.returned, summary.passed) == (1, 1)
    case = Case.objects.get(pk=cases[0].pk)
    assert case.status == Status.INVESTIGATION
    step = CaseStep.objects.filter(case=case).latest("at")
    assert step.action == "return" and step.to_status == Status.INVESTIGATION
    assert "第一榜公示异议成立" in step.note and objection.content in step.note
    entry = RoundCase.objects.get(round=round_one, case=case)
    assert entry.result == RoundCase.Result.RETURNED
    other = RoundCase.objects.get(round=round_one, case=cases[1])
    assert (other.result, other.note) == (RoundCase.Result.PASSED, "公示期满，待签字上交")
    assert Case.objects.get(pk=cases[1].pk).status == Status.APPRAISAL


def test_anonymous_objection_keeps_no_name_or_contact(round_one, cases, town_officer):
    objection = register(round_one, cases[0], town_officer, anonymous=True, objector_name="不该保存")
    assert (objection.objector_name, objection.objector_contact) == ("", "")


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"content": "  "}, "content"),
        ({"objector_name": ""}, "objector_name"),
        ({"channel": "微信"}, "channel"),
        ({"received_on": None}, "received_on"),
    ],
)
def test_register_validates_with_chinese_messages(round_one, cases, town_officer, over, field):
    with pytest.raises(ValidationError) as error:
        register(round_one, cases[0], town_officer, **over)
    assert field in error.value.message_dict
    assert not Objection.objects.exists()


def test_register_refuses_dates_outside_the_round_and_cases_not_listed(round_one, cases, town_officer):
    with pytest.raises(ValidationError, match="不能早于公示开始日期"):
        register(round_one, cases[0], town_officer, received_on=days_ago(30))
    with pytest.raises(ValidationError, match="不在本批次公示名单"):
        register(round_one, cases[2], town_officer)


def test_who_registers_and_who_handles(round_one, cases, personas, team_b):
    for name in ("team_member_b", "inspector", "district_officer", "outsider"):
        with pytest.raises(PermissionDenied):
            register(round_one, cases[0], personas[name])
    objection = register(round_one, cases[0], personas["team_member_a"])
    with pytest.raises(PermissionDenied):
        handle(objection, personas["team_member_a"])
    handled = handle(objection, personas["town_officer"], result="成立")
    assert handled.handler == personas["town_officer"] and handled.handled_at
    with pytest.raises(ValidationError, match="已处理完毕"):
        handle(handled, personas["town_officer"])


def test_handle_requires_investigation_result_and_reply(round_one, cases, town_officer):
    objection = register(round_one, cases[0], town_officer)
    with pytest.raises(ValidationError) as error:
        objections.objection_handle(
            objection=objection, by=town_officer, investigation="", result="", reply="", replied_on=days_ago(5)
        )
    assert set(error.value.message_dict) == {"investigation", "result", "reply", "replied_on"}
    assert Objection.objects.get(pk=objection.pk).is_open


def test_objection_changes_have_history(round_one, cases, town_officer):
    objection = handle(register(round_one, cases[0], town_officer), town_officer)
    records = list(objection.history.order_by("history_date"))
    assert [r.result for r in records] == ["", "不成立"]
    assert [r.history_user for r in records] == [town_officer, town_officer]


def test_case_page_tells_an_open_objection_from_a_handled_one(round_one, cases, crew, town_officer, client):
    """Issue 17: one 有异议 badge looked the same for an open objection and one ruled 不成立."""
    client.force_login(town_officer)

    def badge(case) -> str:
        html = client.get(f"/review/cases/{case.pk}/").content.decode()
        found = re.search(r'data-testid="objection-badge"[^>]*>([^<]*)<', html)
        return found.group(1) if found else ""

    questioned, quiet = cases[0], cases[1]
    objection = register(round_one, questioned, crew.cadre)
    assert badge(questioned) == "异议待处理"
    assert badge(quiet) == ""
    handle(objection, town_officer, result="不成立")
    assert badge(questioned) == "曾有异议"  # handled, still a questioned case for the district's home visit
    assert Case.objects.get(pk=questioned.pk).has_objection is True


def test_a_rejected_objection_needs_a_recorded_reinvestigation(round_one, cases, town_officer, team_member_a):
    """不成立 still means the household was looked at again: who, when, what was found (issue 14)."""
    objection = register(round_one, cases[0], town_officer)
    data = {"investigation": "电话询问村干部。", "result": "不成立", "reply": "不属实。", "replied_on": TODAY()}
    with pytest.raises(ValidationError) as error:
        objections.objection_handle(objection=objection, by=town_officer, **data)
    assert error.value.message_dict == {
        "investigated_on": ["异议不成立的，也须重新调查核实：请填写核查日期。"],
        "investigators": ["异议不成立的，也须重新调查核实：请选择核查人员。"],
    }
    assert Objection.objects.get(pk=objection.pk).is_open
    handled = objections.objection_handle(
        objection=objection, by=town_officer, investigated_on=TODAY(), investigators=[team_member_a], **data
    )
    assert handled.investigated_on == TODAY() and list(handled.investigators.all()) == [team_member_a]
