"""下一步 on the case page: the next action, who can take it, and everything still missing at once,
from the workflow's own guards and requirements (so the panel and case_advance never disagree)."""

import pytest
from django.urls import reverse

from review.cases.nextstep import next_step
from review.cases.workflow import TransitionInvalid, case_advance, registration_sign, stage_save
from review.models import Status
from tests.e2e_helpers import build_world, close_round, file_documents, fresh, gates_on, publish_round
from tests.review_cases.conftest import acceptance_data, appraisal_data, investigation_data, town_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, town_officer, district_officer):
    gates_on(settings)
    settings.RELATIVES_DECLARATION_REQUIRED = False
    return build_world(town_officer=town_officer, district_officer=district_officer)


def at_appraisal(world, *, submit: bool = True):
    """At 民主评议 with the appraisal saved and (by default) its result submitted (列入第一榜)."""
    case = case_advance(case=world.case, action="accept", by=world.cadre, data=acceptance_data())
    data = investigation_data([world.cadre, world.leader])
    case = case_advance(case=case, action="investigate", by=world.cadre, data=data)
    stage_save(case=case, by=world.cadre, data=appraisal_data())
    if submit:
        case = case_advance(case=case, action="appraise", by=world.cadre)
    return fresh(case)


def texts(step) -> str:
    return "\n".join(m.text for m in step.missing)


def page_of(client, user, case) -> str:
    client.force_login(user)
    return client.get(reverse("review:case_detail", args=[case.pk])).content.decode()


def test_a_saved_appraisal_is_submitted_by_its_own_button(client, world):
    case = at_appraisal(world, submit=False)
    step = next_step(case=case, user=world.cadre)
    assert step.label == "提交评议结果（列入第一榜公示）" and not step.blocked
    assert step.route[:2] == [
        "第一榜公示（评议结果，期满后）",
        "清理核实登记表三人签字（驻村领导、驻村干部、村干部各自登录签字）",
    ]
    page = page_of(client, world.cadre, case)
    assert 'data-action="appraise"' in page and 'data-action="submit"' not in page
    assert 'data-action="sign"' not in page and "尚不能签字" in page


def test_at_appraisal_the_panel_says_round_one_and_the_three_signatures_at_once(client, world):
    case = at_appraisal(world)
    step = next_step(case=case, user=world.cadre)
    assert step.label == "上交民政办" and step.blocked and step.refusal is None and step.state == ""
    said = texts(step)
    assert "第一榜公示期满" in said and "尚未列入第一榜公示" in said
    assert "清理核实登记表须在第一榜公示期满、公示结束后签字" in said and "还缺 3 个签字" in said
    for name in ("王驻村", "刘干部", "张小川"):
        assert name in said
    # Every item says where it is done.
    links = {m.link: m.url for m in step.missing}
    assert links["生成公示（镇民政办）"].startswith(reverse("publicity:rounds"))
    assert links["清理核实登记表签字"].endswith("#registration")
    # The service refuses for the first of the same reasons: the panel and case_advance agree.
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="submit", by=world.cadre)
    assert refused.value.text in said
    # Signing too is refused before the round, with the reason; the button is not offered.
    with pytest.raises(TransitionInvalid, match="第一榜公示期满、公示结束后签字"):
        registration_sign(case=case, by=world.leader)

    # The buttons that cannot succeed are not offered; the panel is on the page instead.
    page = page_of(client, world.leader, case)
    assert 'data-testid="next-step"' in page and "尚未列入第一榜公示" in page
    assert 'data-action="submit"' not in page and 'data-action="sign"' not in page
    assert "尚不能签字：清理核实登记表须在第一榜公示期满、公示结束后签字。" in page
    assert "公示期满，待签字上交" not in page


def test_the_panel_follows_the_round_and_the_signatures(client, world):
    case = at_appraisal(world)
    round_1 = publish_round(world, 1)
    said = texts(next_step(case=case, user=world.cadre))
    assert "公示期已满，待镇民政办结束公示" in said
    close_round(world, round_1)  # passed: the case waits for the signatures
    case = fresh(case)
    assert case.status == Status.APPRAISAL
    step = next_step(case=case, user=world.cadre)
    assert step.state == "公示期满，待签字上交"
    said = texts(step)
    assert "第一榜" not in said and "还缺 3 个签字：驻村领导（王驻村）、驻村干部（刘干部）、村干部（张小川）" in said
    page = page_of(client, world.leader, case)
    assert 'data-testid="case-substate"' in page and 'data-testid="next-state"' in page
    assert "以驻村领导身份签字" in page
    for member in (world.leader, world.cadre):
        registration_sign(case=case, by=member)
    said = texts(next_step(case=case, user=world.cadre))
    assert "还缺 1 个签字：村干部（张小川）" in said
    # The third signature, on the page, hands the 登记表 in: the case goes to 镇审核.
    client.force_login(world.village_cadre)
    response = client.post(reverse("review:case_sign", args=[case.pk]), follow=True)
    page = response.content.decode()
    assert "登记表已上交民政办" in page and fresh(case).status == Status.TOWN_REVIEW
    assert "公示期满，待签字上交" not in page


def test_at_town_review_the_panel_lists_the_documents_and_round_two(client, world):
    case = at_appraisal(world)
    close_round(world, publish_round(world, 1))
    for member in (world.leader, world.cadre, world.village_cadre):
        registration_sign(case=case, by=member)
    case = fresh(case)
    assert case.status == Status.TOWN_REVIEW
    stage_save(case=case, by=world.town_officer, data=town_data())
    step = next_step(case=case, user=world.town_officer)
    said = texts(step)
    assert step.blocked and "第二榜公示期满" in said and "档案材料不全，不能报区审批" in said
    # The signed 登记表 was filed by the system: it is not missing.
    assert "入户调查表" in said and "公示照片" in said and "清理核实登记表" not in said
    assert any(m.url == reverse("archives:bag", args=[case.household_id]) for m in step.missing)
    # The investigator may not review: the panel says so and names who can.
    assert "测试民政" in step.people
    page = page_of(client, world.town_officer, case)
    assert 'data-action="town_review"' not in page and "档案清单" not in page and "档案材料缺项" in page
    file_documents(world, ["诚信承诺书", "家庭经济状况核对授权书", "入户调查表"], by=world.cadre)
    file_documents(world, ["民主评议记录", "公示照片", "镇审核意见"], by=world.town_officer)
    said = texts(next_step(case=case, user=world.town_officer))
    assert "档案材料" not in said and "第二榜" in said
    page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "档案清单（区审批前须齐备）" in page


def test_the_panel_leaves_no_trace(world, django_assert_max_num_queries):
    """Guards run in a rolled-back savepoint: the archive's warning is not recorded by looking."""
    from archives.models import ChecklistWarning

    case = at_appraisal(world)
    world.case = case
    with django_assert_max_num_queries(40):
        next_step(case=case, user=world.cadre)
    assert not ChecklistWarning.objects.exists()


def test_a_user_who_may_not_act_is_told_why(world, district_officer):
    case = at_appraisal(world)
    step = next_step(case=case, user=district_officer)
    assert step.refusal and "清理小组" in step.refusal
    assert all(not m.url.endswith("#stage-form") for m in step.missing)
