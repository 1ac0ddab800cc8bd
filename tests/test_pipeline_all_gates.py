"""One re-check case through the whole pipeline with every production gate on.

The gates later apps hang on `review.cases.workflow` — the near-relatives declaration
(review.relatives.services), the 三榜公示 rounds and the objection hold (publicity.guards),
the archive documents before 区审批 (archives.documents.checklist) — are each tested alone
in their app's suite. Here they all run together, as in production, on one case
of 张大山's household in 陡岩村:

  受理 → 入户调查 → 民主评议 (评议结果提交) ─第一榜→ 登记表三人签字 (第三人签字即上交) → 镇审核
       ─第二榜(异议成立)→ 入户调查 (退回) → 民主评议 ─第一榜→ 签字上交 → 镇审核
       ─第二榜→ (材料齐全后报) 区审批 (入户核查) → 办结

Every actor first meets the declaration gate; the household head's son, a 村干部
of the team, declares his father and must stay out of the case, which makes it a
近亲属备案 case needing the district's home visit.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from archives.audit.seals import seal_audit, verify_audit
from archives.audit.services import Filters, timeline
from archives.models import ChecklistWarning, Document
from households.models import Household
from publicity.models import Objection, RoundCase
from publicity.objections import objection_handle, objection_register
from review.cases.workflow import TransitionForbidden, TransitionInvalid, registration_sign, stage_save
from review.models import CaseStep, DistrictApproval, Outcome, RegistrationForm, Relation, RelativeFiling, Status
from review.relatives.services import GATE_MESSAGE, RelativeIn, declare, declare_none
from tests.e2e_helpers import (
    World,
    add_village_cadre,
    advance,
    build_world,
    close_round,
    days_ago,
    file_documents,
    first_of_next_month,
    fresh,
    gates_on,
    publish_round,
    refusal,
    steps,
)
from tests.review_cases.conftest import acceptance_data, appraisal_data, district_data, investigation_data, town_data

pytestmark = pytest.mark.django_db

NEW_AMOUNT = Decimal("380.00")
ROUND_1_GATE = "本案须经第一榜公示期满、公示结束后才能办理此环节。"
ROUND_2_GATE = "本案须经第二榜公示期满、公示结束后才能办理此环节。"
SIGN_GATE = "清理核实登记表须在第一榜公示期满、公示结束后签字。"
OBJECTION_HOLD = "本案有尚未处理完毕的公示异议，异议处理完毕前不能办理下一环节。"
RECUSED = "该户家庭成员张大山是您申报的近亲属（父母），按规定您须回避，不能办理本案。"
HOME_VISIT = "本案近亲属备案，区民政局须入户核查并填写入户核查记录。"
# The 复核 checklist of the stages before 区审批 (archives.documents.seed), in checklist order, but for
# the 清理核实登记表: the system files it on the third signature.
DOCUMENTS = [
    "诚信承诺书",
    "家庭经济状况核对授权书",
    "入户调查表",
    "民主评议记录",
    "公示照片",
    "镇审核意见",
]


def missing_for_town(names: list[str]) -> str:
    return f"档案材料不全，不能报区审批（区民政局会因此拒绝审批）。缺少：{'、'.join(names)}。请先在该户档案袋中上传。"


# Who took each step of the story, by name (the audit trail's words).
ACTORS = ["刘干部", "刘干部", "刘干部", "陈村干", "测试民政", "刘干部", "刘干部", "陈村干", "测试民政", "测试区局"]


# --- Stages of the story ----------------------------------------------------------------------


def investigate(world: World, *, living: str, on_day: int):
    data = investigation_data(
        [world.cadre, world.leader],
        visited_on=days_ago(on_day),
        living_conditions=living,
        recommended_outcome=Outcome.ADJUST,
        recommended_amount=NEW_AMOUNT,
    )
    return advance(world.case, "investigate", world.cadre, data)


def appraise(world: World, *, on_day: int) -> None:
    """The appraisal saved, then its result submitted (列入第一榜公示)."""
    stage_save(case=world.case, by=world.cadre, data=appraisal_data(held_on=days_ago(on_day), minutes="同意调整。"))
    world.case = advance(world.case, "appraise", world.cadre)
    assert world.case.status == Status.APPRAISAL


def town_opinion(world: World) -> None:
    data = town_data(
        opinion="经审核，家庭收入有变化，拟调整。", proposed_outcome=Outcome.ADJUST, proposed_amount=NEW_AMOUNT
    )
    stage_save(case=world.case, by=world.town_officer, data=data)


def approval_data(**over) -> dict:
    return district_data(outcome=Outcome.ADJUST, base_amount=NEW_AMOUNT, decided_on=days_ago(0), **over)


# --- The story ----------------------------------------------------------------------------------


def test_a_recheck_case_passes_every_production_gate(settings, town_officer, district_officer):
    gates_on(settings)
    world = build_world(town_officer=town_officer, district_officer=district_officer)
    case = world.case
    assert case.status == Status.ACCEPTANCE and case.team_id == world.team.pk

    # 受理: the 驻村干部 has no near-relatives declaration on file yet.
    assert refusal(TransitionForbidden, lambda: advance(case, "accept", world.cadre, acceptance_data())) == GATE_MESSAGE
    assert fresh(case).status == Status.ACCEPTANCE and not CaseStep.objects.filter(case=case).exists()
    declare_none(user=world.cadre, by=world.cadre)
    world.case = case = advance(case, "accept", world.cadre, acceptance_data())
    assert case.status == Status.INVESTIGATION

    # 入户调查 with the 驻村领导 as second investigator: he too must have declared first.
    assert refusal(TransitionInvalid, lambda: investigate(world, living="土木结构住房。", on_day=4)) == (
        "调查人员须回避或尚未申报近亲属：王驻村尚未填写近亲属申报，须先填写近亲属申报（导航栏“近亲属申报”）后才能办理案件。"
    )
    declare_none(user=world.leader, by=world.leader)
    world.case = case = investigate(world, living="土木结构住房。", on_day=4)
    assert case.status == Status.APPRAISAL

    # 民主评议: saved, then its result submitted; the 登记表 waits for 第一榜.
    appraise(world, on_day=3)
    assert refusal(TransitionInvalid, lambda: registration_sign(case=case, by=world.leader)) == SIGN_GATE
    assert refusal(TransitionInvalid, lambda: advance(case, "submit", world.cadre)) == ROUND_1_GATE
    round_1 = publish_round(world, 1)
    # Closing it does not push the case on: it waits, 公示期满，待签字上交.
    summary = close_round(world, round_1)
    assert (summary.passed, summary.returned, summary.held) == (1, 0, [])
    entry = RoundCase.objects.get(round=round_1, case=case)
    assert (entry.result, entry.note) == (RoundCase.Result.PASSED, "公示期满，待签字上交")
    assert fresh(case).status == Status.APPRAISAL

    # The 清理核实登记表: the 村干部 meets the gate, declares his father (the household head)
    # and must then stay out; the case becomes a 近亲属备案 case.
    registration_sign(case=case, by=world.leader)
    registration_sign(case=case, by=world.cadre)
    assert refusal(TransitionForbidden, lambda: registration_sign(case=case, by=world.village_cadre)) == GATE_MESSAGE
    father = RelativeIn(relation=Relation.PARENT, name="张大山", id_number=world.head.id_number)
    matched = declare(user=world.village_cadre, relatives=[father], by=world.village_cadre)
    assert (matched.created, matched.cases_marked) == (1, 1)
    world.case = case = fresh(case)
    assert case.is_near_relative
    filing = RelativeFiling.objects.get(household=world.household)
    assert (filing.staff_name, filing.relation, filing.status) == ("张小川", Relation.PARENT, "待报备")
    assert refusal(TransitionForbidden, lambda: registration_sign(case=case, by=world.village_cadre)) == RECUSED
    assert refusal(TransitionForbidden, lambda: advance(case, "submit", world.village_cadre)) == RECUSED
    # The town office puts another 村干部 in the team; he declares and signs: the third signature
    # hands the 登记表 in (镇审核) and files it in the household's bag.
    substitute = add_village_cadre(world, username="village_cadre_2", name="陈村干")
    assert refusal(TransitionForbidden, lambda: registration_sign(case=case, by=substitute)) == GATE_MESSAGE
    declare_none(user=substitute, by=substitute)
    signed = registration_sign(case=case, by=substitute)
    assert RegistrationForm.objects.get(case=case).fully_signed
    assert (signed.submitted, signed.refusal) == (True, "")
    world.case = case = fresh(case)
    assert case.status == Status.TOWN_REVIEW
    filed = Document.objects.get(case=case, kind__name="清理核实登记表")
    assert (filed.kind.retention, filed.stage, filed.uploaded_by) == ("approval", Status.APPRAISAL, substitute)
    declare_none(user=world.town_officer, by=world.town_officer)

    # 镇审核 → 区审批 waits for 第二榜; an objection during it holds the case.
    town_opinion(world)
    assert refusal(TransitionInvalid, lambda: advance(case, "town_review", world.town_officer)) == ROUND_2_GATE
    round_2 = publish_round(world, 2)
    objection = objection_register(
        round=round_2,
        case=case,
        by=world.cadre,
        received_on=days_ago(8),
        channel=Objection.Channel.VISIT,
        content="该户儿子在村委任职，家中新购农用车一辆。",
        objector_name="赵某",
    )
    assert fresh(case).has_objection
    assert refusal(TransitionInvalid, lambda: advance(case, "town_review", world.town_officer)) == OBJECTION_HOLD
    with pytest.raises(ValidationError, match="还有 1 件异议尚未处理完毕，不能结束公示。"):
        close_round(world, round_2)
    objection_handle(
        objection=objection,
        by=world.town_officer,
        investigation="经入户核实，农用车属实。",
        result=Objection.Result.UPHELD,
        reply="异议成立，重新入户调查。",
        replied_on=days_ago(5),
    )
    summary = close_round(world, round_2)
    assert (summary.passed, summary.returned, summary.held) == (0, 1, [])
    world.case = case = fresh(case)
    assert case.status == Status.INVESTIGATION
    back = CaseStep.objects.filter(case=case).latest("at", "id")
    assert back.note.startswith(f"第二榜公示异议成立（异议#{objection.pk}）：该户儿子在村委任职")
    assert not RegistrationForm.objects.get(case=case).fully_signed  # signatures start over

    # Driven forward again: investigation, appraisal, signatures; both rounds once more.
    # The 村干部 may not be listed as an investigator of his father's household either.
    with_son = investigation_data([world.cadre, world.village_cadre], visited_on=days_ago(1))
    assert refusal(TransitionInvalid, lambda: advance(case, "investigate", world.cadre, with_son)) == (
        "调查人员须回避或尚未申报近亲属：该户家庭成员张大山是张小川申报的近亲属（父母），按规定张小川须回避，不能办理本案。"
    )
    world.case = case = investigate(world, living="土木结构住房，新购农用车一辆。", on_day=1)
    appraise(world, on_day=0)
    # The earlier 第一榜 was before the 退回: the case is publicised again before it is signed.
    assert refusal(TransitionInvalid, lambda: registration_sign(case=case, by=world.leader)) == SIGN_GATE
    summary = close_round(world, publish_round(world, 1))
    assert (summary.passed, summary.held) == (1, [])
    for signer in (world.leader, world.cadre, substitute):
        signed = registration_sign(case=case, by=signer)
    world.case = case = signed.case
    assert case.status == Status.TOWN_REVIEW  # handed in by the third signature
    town_opinion(world)
    summary = close_round(world, publish_round(world, 2))
    # The archive holds the case at the town: the district would refuse it without its documents.
    assert (summary.passed, summary.held) == (0, [f"张大山（案件#{case.pk}）：{missing_for_town(DOCUMENTS)}"])
    file_documents(world, DOCUMENTS[:4], by=world.cadre)
    assert refusal(TransitionInvalid, lambda: advance(case, "town_review", world.town_officer)) == (
        missing_for_town(DOCUMENTS[4:])
    )
    file_documents(world, DOCUMENTS[4:], by=world.town_officer)
    world.case = case = advance(case, "town_review", world.town_officer)
    assert case.status == Status.DISTRICT_APPROVAL
    assert not ChecklistWarning.objects.filter(case=case).exists()

    # 区审批: the district officer meets the gate.
    assert refusal(TransitionForbidden, lambda: advance(case, "approve", world.district_officer, approval_data())) == (
        GATE_MESSAGE
    )
    declare_none(user=world.district_officer, by=world.district_officer)
    # Documents complete; a 近亲属备案 case still needs the district's home visit.
    assert refusal(TransitionInvalid, lambda: advance(case, "approve", world.district_officer, approval_data())) == (
        HOME_VISIT
    )
    assert not DistrictApproval.objects.filter(case=case).exists()
    visit = {"home_visit_on": days_ago(0), "home_visit_note": "入户核查：农用车属实，收入按调整后计算。"}
    world.case = case = advance(case, "approve", world.district_officer, approval_data(**visit))
    assert (case.status, case.outcome) == (Status.DONE, Outcome.ADJUST)

    # The household: new amount, in force from next month.
    household = Household.objects.get(pk=world.household.pk)
    effective = first_of_next_month(days_ago(0))
    assert (household.status, household.base_amount) == (Household.Status.ACTIVE, NEW_AMOUNT)
    assert DistrictApproval.objects.get(case=case).effective_month == effective
    assert household.history.latest().history_change_reason == (
        f"区审批：调整（{case.get_kind_display()}案件 {case.pk}号，{effective:%Y年%m月}起执行）"
    )

    # One CaseStep per transition, refusals left none.
    assert steps(case) == [
        (Status.ACCEPTANCE, Status.INVESTIGATION, "accept", "cadre"),
        (Status.INVESTIGATION, Status.APPRAISAL, "investigate", "cadre"),
        (Status.APPRAISAL, Status.APPRAISAL, "appraise", "cadre"),
        (Status.APPRAISAL, Status.TOWN_REVIEW, "submit", "village_cadre_2"),
        (Status.TOWN_REVIEW, Status.INVESTIGATION, "return", "town_officer"),
        (Status.INVESTIGATION, Status.APPRAISAL, "investigate", "cadre"),
        (Status.APPRAISAL, Status.APPRAISAL, "appraise", "cadre"),
        (Status.APPRAISAL, Status.TOWN_REVIEW, "submit", "village_cadre_2"),
        (Status.TOWN_REVIEW, Status.DISTRICT_APPROVAL, "town_review", "town_officer"),
        (Status.DISTRICT_APPROVAL, Status.DONE, "approve", "district_officer"),
    ]

    # The audit trail of the household lists the same steps (oldest first here), with who took them.
    table = CaseStep.history.model._meta.db_table
    trail = list(reversed(timeline(Filters(household_id=household.pk, object_kind=table), limit=100)))
    assert [(e.kind, e.source, e.user) for e in trail] == [("+", "办理记录", s) for s in ACTORS]
    assert [next(d.new for d in e.diffs if d.field == "新环节") for e in trail] == [s[1] for s in steps(case)]
    household_trail = timeline(Filters(household_id=household.pk), limit=500)
    assert any(e.reason.startswith("区审批：调整") for e in household_trail)
    # Re-investigation after the 退回 shows who investigated (a tracked m2m field) by name.
    investigators = [d.new for e in household_trail if e.source == "入户调查" for d in e.diffs if d.field == "调查人员"]
    assert investigators == ["王驻村、刘干部"]

    # Sealed, the audit tables verify.
    assert seal_audit() > 0
    run = verify_audit(by=world.district_officer)
    assert run.ok and run.problems == [] and run.rows_checked > 0
