"""District spot checks: reproducible draw with the mandatory cases, 听查看访, rectification until closed."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from review.cases import campaigns
from review.dynamic import spotchecks
from review.models import Case, SpotCheck
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def launched(village_a, village_b, team_a, team_b, town_officer):
    for _ in range(14):
        HouseholdFactory(village=village_a)
    for _ in range(6):
        HouseholdFactory(village=village_b)
    campaign = campaigns.campaign_create(name="抽查测试行动", kind="专项清理", scope_date=TODAY, by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    ids = list(Case.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))
    Case.objects.filter(pk__in=ids[3:5]).update(is_near_relative=True)
    Case.objects.filter(pk=ids[-1]).update(has_objection=True)
    campaign.mandatory = {ids[3], ids[4], ids[-1]}
    return campaign


def check_data(**over) -> dict:
    return {
        "heard_on": TODAY,
        "heard_report": "镇民政办汇报：该户经入户调查、民主评议维持。",
        "doc_hukou": True,
        "doc_id_card": True,
        "doc_dibao_card": True,
        "doc_social_security": False,
        "doc_archive_bag": True,
        "documents_note": "户口簿、身份证、低保证与档案一致；社保卡未见。",
        "seen_housing": "砖木结构平房两间",
        "seen_living": "生活困难，无大件电器",
        "seen_assets": "无车辆",
        "seen_income": "务农",
        "seen_occupation": "务农",
        "neighbours_visited": "邻居王某、李某",
        "neighbours_said": "反映该户确实困难。",
        "conclusion": SpotCheck.Conclusion.TRUE,
        "rectification": "",
        "rectification_due": None,
        **over,
    }


def test_draw_takes_every_mandatory_case_and_the_share_of_the_rest(launched, district_officer):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=20210621)

    drawn = set(sample.checks.values_list("case_id", flat=True))
    assert sample.share == Decimal("30")  # from the campaign's setting
    assert launched.mandatory <= drawn
    assert len(drawn) == 3 + 6  # 3 mandatory + ceil(30 % × 17)
    assert sample.checks.filter(selection=SpotCheck.Selection.NEAR_RELATIVE).count() == 2
    assert sample.checks.filter(selection=SpotCheck.Selection.OBJECTION).count() == 1
    assert len(sample.population) == 20


def test_draw_is_reproducible_from_its_seed(launched, district_officer):
    first = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=7)
    again = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=7)
    other = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=8)

    ids = sorted(first.checks.values_list("case_id", flat=True))
    assert spotchecks.reproduce(sample=first) == ids
    assert sorted(again.checks.values_list("case_id", flat=True)) == ids
    assert sorted(other.checks.values_list("case_id", flat=True)) != ids
    assert first.seed == 7


def test_without_a_seed_one_is_chosen_and_recorded(launched, district_officer):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, share=Decimal("50"))
    assert sample.seed > 0
    assert spotchecks.reproduce(sample=sample) == sorted(sample.checks.values_list("case_id", flat=True))
    assert sample.checks.count() == 3 + 9


def test_only_the_district_draws(launched, town_officer, inspector):
    for user in (town_officer, inspector):
        with pytest.raises(PermissionDenied):
            spotchecks.sample_draw(by=user, campaign=launched)


def test_a_period_sample_draws_from_cases_finished_in_it(village_a, district_officer):
    finished = [Case.objects.create(household=HouseholdFactory(village=village_a), kind="定期核查") for _ in range(4)]
    Case.objects.filter(pk__in=[c.pk for c in finished]).update(status="办结", closed_at=timezone.now())
    Case.objects.create(household=HouseholdFactory(village=village_a), kind="定期核查")  # still open
    with pytest.raises(ValidationError) as exc:
        spotchecks.sample_draw(by=district_officer, period_start=TODAY, period_end=TODAY - timedelta(days=1))
    assert "不能早于开始日期" in str(exc.value)

    sample = spotchecks.sample_draw(by=district_officer, period_start=TODAY, period_end=TODAY, share=Decimal("100"))

    assert set(sample.checks.values_list("case_id", flat=True)) == {c.pk for c in finished}


def test_record_requires_each_part_of_ting_cha_kan_fang(launched, district_officer):
    check = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=1).checks.first()
    with pytest.raises(ValidationError) as exc:
        spotchecks.check_record(check=check, data=check_data(neighbours_said="", heard_report=""), by=district_officer)
    assert set(exc.value.message_dict) == {"neighbours_said", "heard_report"}
    with pytest.raises(ValidationError) as exc:
        spotchecks.check_record(check=check, data=check_data(conclusion="需整改"), by=district_officer)
    assert set(exc.value.message_dict) == {"rectification", "rectification_due"}
    check.refresh_from_db()
    assert check.conclusion == "" and check.state == "待核查"

    spotchecks.check_record(check=check, data=check_data(), by=district_officer)

    check.refresh_from_db()
    assert (check.conclusion, check.checked_by, check.doc_social_security) == ("属实", district_officer, False)
    assert check.history.count() == 2


def test_rectification_is_tracked_until_the_district_closes_it(launched, district_officer, town_officer):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=3)
    check = sample.checks.first()
    data = check_data(conclusion="需整改", rectification="补齐社保卡复印件", rectification_due=TODAY)
    spotchecks.check_record(check=check, data=data, by=district_officer)
    check.refresh_from_db()
    assert check.state == "整改中"
    with pytest.raises(ValidationError) as exc:
        spotchecks.rectification_close(check=check, by=district_officer)
    assert "尚未报告整改情况" in str(exc.value)
    with pytest.raises(PermissionDenied):
        spotchecks.rectification_report(check=check, rectified_on=TODAY, report="已补齐", by=district_officer)

    spotchecks.rectification_report(check=check, rectified_on=TODAY, report="已补齐社保卡复印件", by=town_officer)
    check.refresh_from_db()
    assert check.state == "已报整改"
    spotchecks.rectification_close(check=check, by=district_officer)

    check.refresh_from_db()
    assert check.state == "已整改销号"
    with pytest.raises(ValidationError):
        spotchecks.check_record(check=check, data=check_data(), by=district_officer)
    with pytest.raises(ValidationError):
        spotchecks.rectification_close(check=check, by=district_officer)


def test_results_per_town_and_village_count_overdue_rectifications(launched, district_officer, village_a):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=5)
    checks = list(spotchecks.checks_for_sample(sample=sample, user=district_officer))
    late = check_data(
        conclusion="需整改",
        rectification="整改",
        rectification_due=TODAY - timedelta(days=2),
        heard_on=TODAY - timedelta(days=3),
    )
    spotchecks.check_record(check=checks[0], data=late, by=district_officer)
    spotchecks.check_record(check=checks[1], data=check_data(conclusion="不属实"), by=district_officer)

    tallies = spotchecks.results(checks=spotchecks.checks_for_sample(sample=sample, user=district_officer))

    (town,) = tallies["towns"]
    assert (town.sampled, town.checked, town.false, town.rectify, town.open, town.overdue) == (9, 2, 1, 1, 1, 1)
    by_village = {t.name: t for t in tallies["villages"]}
    assert sum(t.sampled for t in by_village.values()) == 9
    assert by_village["甲村"].sampled == SpotCheck.objects.filter(sample=sample, household__village=village_a).count()


def test_team_members_see_only_their_villages_checks_and_export_has_the_same_rows(
    launched, district_officer, team_member_a, village_a
):
    sample = spotchecks.sample_draw(by=district_officer, campaign=launched, seed=11)
    mine = spotchecks.checks_for_sample(sample=sample, user=team_member_a)
    assert set(mine.values_list("household__village", flat=True)) == {village_a.pk}

    data = spotchecks.export_xlsx(
        sample=sample, checks=list(spotchecks.checks_for_sample(sample=sample, user=district_officer))
    )

    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["按乡镇", "按村(社区)", "抽查明细"]
    assert len(list(book["抽查明细"].iter_rows())) == 1 + 9
    town_row = list(book["按乡镇"].iter_rows(values_only=True))[1]
    assert town_row[1] == 9
