"""The 清理核实登记表 in the seed's order (issue 14; issue 17's 民主评议 step).

自查, 入户调查, 经济状况核对, 民主评议 (its result submitted, not only saved) and 第一榜 公示, then
the three signatures (驻村领导, 驻村干部, 村干部) and the hand-over to the 民政办: the third
signature submits the case to 镇审核 and files the printed form in the household's bag.
Every production gate is on (but the near-relatives declarations, tested in their own suite).
"""

import importlib
from datetime import date
from io import BytesIO

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from pypdf import PdfReader

from archives.documents import seed
from archives.documents.services import document_path
from archives.models import ChecklistRequirement, Document, DocumentKind
from households.models import Member
from publicity import rounds
from publicity.models import Objection, RoundCase
from review.cases import campaigns
from review.cases.nextstep import next_step
from review.cases.selectors import case_list_url
from review.cases.workflow import TransitionInvalid, case_advance, registration_sign, stage_save
from review.models import Case, Status
from tests.e2e_helpers import build_world, close_round, fresh, gates_on, publish_round
from tests.factories import MemberFactory
from tests.review_cases.conftest import acceptance_data, appraisal_data, investigation_data

pytestmark = pytest.mark.django_db
WAITING = "公示期满，待签字上交"


@pytest.fixture
def world(settings, town_officer, district_officer):
    gates_on(settings)
    settings.RELATIVES_DECLARATION_REQUIRED = False
    return build_world(town_officer=town_officer, district_officer=district_officer)


def appraised(world) -> Case:
    """At 民主评议 with the appraisal's result submitted (listed for 第一榜)."""
    case = case_advance(case=world.case, action="accept", by=world.cadre, data=acceptance_data())
    data = investigation_data([world.cadre, world.leader])
    case = case_advance(case=case, action="investigate", by=world.cadre, data=data)
    return case_advance(case=case, action="appraise", by=world.cadre, data=appraisal_data())


def publicised(world) -> Case:
    """Round 1 closed with the case passed: 公示期满，待签字上交."""
    case = appraised(world)
    close_round(world, publish_round(world, 1))
    return fresh(case)


def sign_all(world, case: Case):
    signed = None
    for member in (world.leader, world.cadre, world.village_cadre):
        signed = registration_sign(case=case, by=member)
    return signed


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def count(client, **filters) -> int:
    import re

    html = client.get(case_list_url(**filters)).content.decode()
    return int(re.search(r"共 (\d+) 件", html).group(1))


# --- 民主评议: saved is a draft; submitted is listed for 第一榜 ------------------------------------------


def test_only_a_submitted_appraisal_is_listed_for_round_one(world):
    case = case_advance(case=world.case, action="accept", by=world.cadre, data=acceptance_data())
    case = case_advance(
        case=case, action="investigate", by=world.cadre, data=investigation_data([world.cadre, world.leader])
    )
    stage_save(case=case, by=world.cadre, data=appraisal_data())
    village = world.household.village
    assert not rounds.eligible_cases(campaign=world.campaign, village=village, number=1).exists()
    case = case_advance(case=case, action="appraise", by=world.cadre)
    assert case.status == Status.APPRAISAL and case.appraisal.completed_at is not None
    assert list(rounds.eligible_cases(campaign=world.campaign, village=village, number=1)) == [case]
    # 退回 reopens it: no longer listed until submitted again.
    case = case_advance(
        case=case, action="return", by=world.cadre, data={"target": Status.INVESTIGATION}, note="补充核对"
    )
    assert fresh(case).appraisal.completed_at is None


# --- Signing: after 第一榜 has closed -----------------------------------------------------------------


def test_signing_is_refused_until_round_one_has_closed(client, world):
    case = appraised(world)
    for stage in ("before", "published"):
        with pytest.raises(TransitionInvalid, match="清理核实登记表须在第一榜公示期满、公示结束后签字。"):
            registration_sign(case=case, by=world.leader)
        client.force_login(world.leader)
        page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
        assert 'data-action="sign"' not in page and WAITING not in page
        if stage == "before":
            round_1 = publish_round(world, 1)
    # A POST anyway is refused with the reason; nothing is signed.
    response = client.post(reverse("review:case_sign", args=[case.pk]), follow=True)
    assert "第一榜公示期满、公示结束后签字" in response.content.decode()
    assert fresh(case).registration.leader_signed_by is None
    close_round(world, round_1)
    registration_sign(case=case, by=world.leader)
    assert fresh(case).registration.leader_signed_by == world.leader


def test_the_waiting_state_shows_on_the_case_page_panel_list_and_worklist(client, world):
    case = appraised(world)
    client.force_login(world.town_officer)
    assert count(client, unsigned=1) == 0  # 公示 not yet over: not waiting for signatures
    # Submitted, the appraisal no longer waits for the team: 第一榜 is the town office's turn.
    client.force_login(world.cadre)
    home = client.get(reverse("dashboard")).content.decode()
    assert "待民主评议" not in home and WAITING not in home
    client.force_login(world.town_officer)
    close_round(world, publish_round(world, 1))
    case = fresh(case)
    # The case list's filter (the town office) lists it.
    assert count(client, unsigned=1) == 1
    # The team's home page: the state, linked to the filtered list.
    client.force_login(world.cadre)
    home = client.get(reverse("dashboard")).content.decode()
    assert (
        WAITING in home and case_list_url(village=world.household.village_id, unsigned=1).replace("&", "&amp;") in home
    )
    # The case page and its 下一步 panel: the state, and who still signs, by name.
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-substate" title="' in page and page.count(WAITING) >= 2
    step = next_step(case=case, user=world.cadre)
    said = "\n".join(m.text for m in step.missing)
    assert step.state == WAITING
    assert "驻村领导（王驻村）、驻村干部（刘干部）、村干部（张小川）" in said
    registration_sign(case=case, by=world.leader)
    said = "\n".join(m.text for m in next_step(case=case, user=world.cadre).missing)
    assert "驻村领导" not in said and "驻村干部（刘干部）、村干部（张小川）" in said
    # Signed by all: handed in, no longer waiting anywhere.
    registration_sign(case=case, by=world.cadre)
    registration_sign(case=case, by=world.village_cadre)
    assert fresh(case).status == Status.TOWN_REVIEW
    assert WAITING not in client.get(reverse("dashboard")).content.decode()
    client.force_login(world.town_officer)
    assert count(client, unsigned=1) == 0


# --- The hand-over: the third signature submits ------------------------------------------------------


def test_the_third_signature_submits_to_town_review(world):
    case = publicised(world)
    first = registration_sign(case=case, by=world.leader)
    second = registration_sign(case=case, by=world.cadre)
    assert not first.submitted and not second.submitted and fresh(case).status == Status.APPRAISAL
    third = registration_sign(case=case, by=world.village_cadre)
    assert third.submitted and third.case.status == Status.TOWN_REVIEW
    step = case.steps.get(action="submit")
    assert (step.actor, step.from_status, step.to_status) == (world.village_cadre, Status.APPRAISAL, Status.TOWN_REVIEW)
    entry = RoundCase.objects.get(case=case, round__number=1)
    assert (entry.result, entry.note) == (RoundCase.Result.PASSED, WAITING)


def test_a_refused_hand_over_keeps_the_signatures_and_offers_the_retry(client, world):
    case = publicised(world)
    registration_sign(case=case, by=world.leader)
    registration_sign(case=case, by=world.cadre)
    # Something else holds the case: an open objection (as the office would leave a late one).
    objection = Objection.objects.create(
        round=RoundCase.objects.get(case=case).round,
        case=case,
        received_on=date.today(),
        channel=Objection.Channel.VISIT,
        content="反映有车",
        anonymous=True,
        registered_by=world.town_officer,
    )
    client.force_login(world.village_cadre)
    response = client.post(reverse("review:case_sign", args=[case.pk]), follow=True)
    page = response.content.decode()
    assert "三人已签齐，签字有效；但暂未能上交民政办" in page and "公示异议" in page
    case = fresh(case)
    assert case.status == Status.APPRAISAL and case.registration.fully_signed
    assert 'data-action="submit"' not in page  # blocked: the panel says why
    objection.delete()
    client.force_login(world.cadre)
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="submit"' in page and "上交民政办" in page
    response = client.post(reverse("review:case_action", args=[case.pk, "submit"]))
    assert response.status_code == 302 and fresh(case).status == Status.TOWN_REVIEW


def test_without_an_appraisal_the_form_is_signed_after_the_investigation(world):
    campaign = campaigns.campaign_create(
        name="年度核查", kind="年度核查", scope_date=date.today(), by=world.town_officer, appraisal_required=False
    )
    world.case.delete()
    campaigns.campaign_launch(campaign=campaign, by=world.town_officer)
    case = Case.objects.get(campaign=campaign)
    case = case_advance(case=case, action="accept", by=world.cadre, data=acceptance_data())
    with pytest.raises(TransitionInvalid, match="入户调查记录填写后签字"):
        registration_sign(case=case, by=world.leader)
    stage_save(case=case, by=world.cadre, data=investigation_data([world.cadre, world.leader]))
    signed = sign_all(world, case)
    assert signed.submitted and signed.case.status == Status.TOWN_REVIEW
    text = pdf_text(document_path(Document.objects.get(case=case, kind__name="清理核实登记表")).read_bytes())
    assert "本次行动不设民主评议" in text and "不设第一榜公示" in text


# --- The printed form and its filing --------------------------------------------------------------------


def test_the_printed_form_shows_appraisal_publicity_and_who_died_or_moved(client, world):
    MemberFactory(
        household=world.household,
        name="张老汉",
        born=date(1930, 1, 1),
        relation=Member.Relation.PARENT,
        covered=False,
        died_on=date(2026, 8, 15),
    )
    MemberFactory(
        household=world.household,
        name="张小芳",
        born=date(1990, 5, 5),
        male=False,
        relation=Member.Relation.CHILD,
        covered=False,
        moved_out_on=date(2026, 7, 1),
    )
    case = publicised(world)
    round_1 = RoundCase.objects.get(case=case).round
    client.force_login(world.cadre)
    text = pdf_text(client.get(reverse("review:registration_pdf", args=[case.pk])).content)
    assert "入户调查日期" in text and "九类事项均无异常" in text
    assert "评议结果：同意调查意见" in text and "同意 10 票" in text
    assert f"公示期：{round_1.starts_on:%Y年%m月%d日}至{round_1.ends_on:%Y年%m月%d日}" in text
    assert "公示期内无异议" in text and "结果：公示通过" in text
    assert "已死亡（2026-08-15）" in text and "已迁出（2026-07-01）" in text
    # The same content is what the third signature files.
    sign_all(world, case)
    filed = pdf_text(document_path(Document.objects.get(case=case, kind__name="清理核实登记表")).read_bytes())
    assert "评议结果：同意调查意见" in filed and "结果：公示通过" in filed and "已死亡（2026-08-15）" in filed
    assert "王驻村" in filed and "张小川" in filed  # the signatures


def test_filed_on_the_third_signature_as_an_approval_document(world):
    case = publicised(world)
    registration_sign(case=case, by=world.leader)
    registration_sign(case=case, by=world.cadre)
    assert not Document.objects.filter(kind__name="清理核实登记表").exists()
    signed = registration_sign(case=case, by=world.village_cadre)
    document = Document.objects.get(kind__name="清理核实登记表")
    assert (document.household, document.case, document.stage) == (world.household, case, Status.APPRAISAL)
    assert document.content_type == "application/pdf" and document_path(document).read_bytes().startswith(b"%PDF")
    # 审批材料: kept while aid continues (no end date yet) and 3 years after it stops.
    assert document.kind.retention == DocumentKind.Retention.APPROVAL and document.keep_until is None
    assert any("已归入该户档案袋" in note for note in signed.notes)


def test_no_longer_an_upload_required_at_investigation():
    assert "清理核实登记表" not in seed.REQUIREMENTS["复核"]["入户调查"]
    assert "清理核实登记表" in seed.REQUIREMENTS["复核"]["镇审核"]
    rows = ChecklistRequirement.objects.filter(kind__name="清理核实登记表")
    assert list(rows.values_list("case_kind", "stage")) == [("复核", "镇审核")]
    assert DocumentKind.objects.get(name="清理核实登记表").retention == DocumentKind.Retention.APPROVAL


def test_the_data_migration_moves_a_database_seeded_the_old_way():
    kind = DocumentKind.objects.get(name="清理核实登记表")
    kind.retention = DocumentKind.Retention.ROUTINE
    kind.save()
    ChecklistRequirement.objects.filter(kind=kind).update(stage="入户调查")
    migration = importlib.import_module("archives.migrations.0011_registration_form_filed")
    migration.forward(django_apps, None)
    kind.refresh_from_db()
    assert kind.retention == DocumentKind.Retention.APPROVAL
    assert list(ChecklistRequirement.objects.filter(kind=kind).values_list("stage", flat=True)) == ["镇审核"]
