"""Completeness per household and case, the village/town report, and the approval gate."""

import io

import pytest
from openpyxl import load_workbook

from archives.documents.checklist import case_checklist, completeness_report, completeness_xlsx, household_checklist
from archives.documents.services import document_upload
from archives.models import ChecklistRequirement, ChecklistWarning
from review.cases.workflow import TransitionInvalid, case_advance
from review.models import Case, Status
from tests.archives.conftest import PDF, upload
from tests.factories import HouseholdFactory
from tests.review_cases.conftest import district_data, drive, town_data

pytestmark = pytest.mark.django_db


def file(household, kind, by, case=None):
    return document_upload(household=household, kind=kind, file=upload(f"{kind.name}.pdf", PDF), by=by, case=case)


def test_a_household_without_a_case_is_checked_against_the_application_file(town_officer, household_a, kinds):
    checklist = household_checklist(household=household_a)
    expected = [r.kind.name for r in ChecklistRequirement.objects.filter(case_kind="新申请").select_related("kind")]
    assert {i.kind.name for i in checklist.due} == set(expected)
    assert checklist.percent == 0 and not checklist.complete
    file(household_a, kinds["申请书"], town_officer)
    file(household_a, kinds["身份证/户口簿复印件"], town_officer)
    checklist = household_checklist(household=household_a)
    assert checklist.present_count == 2
    assert checklist.percent == round(100 * 2 / len(expected))
    assert "申请书" not in {i.kind.name for i in checklist.missing}


def test_a_case_needs_only_the_documents_of_the_stages_it_reached(pipeline, case, crew, kinds):
    # A re-check in 受理: only its acceptance documents are due.
    checklist = case_checklist(case=case)
    assert {i.kind.name for i in checklist.due} == {"诚信承诺书", "家庭经济状况核对授权书"}
    case = drive(case, Status.APPRAISAL, crew)
    # The 清理核实登记表 is no longer an upload due at 入户调查: it is handed in (and filed) with the case.
    assert {i.kind.name for i in case_checklist(case=case).missing} == {
        "诚信承诺书",
        "家庭经济状况核对授权书",
        "入户调查表",
        "民主评议记录",
    }
    # At 镇审核 it is due, and the one the third signature filed counts.
    case = drive(case, Status.TOWN_REVIEW, crew)
    item = next(i for i in case_checklist(case=case).due if i.kind.name == "清理核实登记表")
    assert item.present and item.stage == "镇审核" and [d.case_id for d in item.documents] == [case.pk]


def test_documents_of_another_case_do_not_count(pipeline, case, crew, kinds, town_officer):
    earlier = Case.objects.create(household=case.household, kind=Case.Kind.APPLICATION, status=Status.DONE)
    file(case.household, kinds["诚信承诺书"], town_officer, case=earlier)
    assert "诚信承诺书" in {i.kind.name for i in case_checklist(case=case).missing}
    assert "诚信承诺书" not in {i.kind.name for i in case_checklist(case=earlier).missing}
    # Filed against the household (no case), it serves every case.
    file(case.household, kinds["诚信承诺书"], town_officer)
    assert "诚信承诺书" not in {i.kind.name for i in case_checklist(case=case).missing}


def test_town_review_refuses_to_forward_what_the_district_would_refuse(
    pipeline, case, crew, kinds, town_officer, district_officer
):
    case = drive(case, Status.TOWN_REVIEW, crew)
    # The town review does not forward a case the district will refuse: the same list, the same switch.
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    assert "档案材料不全，不能报区审批" in refused.value.text
    assert "入户调查表" in refused.value.text and "镇审核意见" in refused.value.text
    case.refresh_from_db()
    assert case.status == Status.TOWN_REVIEW and not ChecklistWarning.objects.exists()

    # (The 清理核实登记表 was filed by the third signature.)
    for name in ["诚信承诺书", "家庭经济状况核对授权书", "入户调查表", "民主评议记录", "镇审核意见"]:
        file(case.household, kinds[name], town_officer, case=case)
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    assert "缺少：公示照片。" in refused.value.text
    file(case.household, kinds["公示照片"], town_officer, case=case)
    case = case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    assert case.status == Status.DISTRICT_APPROVAL
    case = case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert case.status == Status.DONE
    # Done: every stage is due, the district's own form is the one item left.
    assert [i.kind.name for i in case_checklist(case=case).missing] == ["区审批表"]


def test_with_the_switch_off_the_town_review_warns_and_records_what_was_missing(
    pipeline, case, crew, kinds, town_officer, district_officer
):
    pipeline.ARCHIVES_APPROVAL_GATE = False
    case = drive(case, Status.TOWN_REVIEW, crew)
    case = case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    assert case.status == Status.DISTRICT_APPROVAL
    warning = ChecklistWarning.objects.get(case=case)
    assert warning.action == "town_review" and "入户调查表" in warning.missing
    assert "清理核实登记表" not in warning.missing  # filed by the third signature
    # Switched back on, the district refuses what is missing (a case forwarded while it was off).
    pipeline.ARCHIVES_APPROVAL_GATE = True
    with pytest.raises(TransitionInvalid) as refused:
        case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert "档案材料不全" in refused.value.text and "镇审核意见" in refused.value.text


def test_case_page_tells_the_town_officer_what_the_district_will_need(
    client, pipeline, case, crew, kinds, town_officer
):
    from django.urls import reverse

    case = drive(case, Status.TOWN_REVIEW, crew)
    client.force_login(town_officer)
    url = reverse("review:case_detail", args=[case.pk])
    page = client.get(url).content.decode()
    assert "档案材料缺项" in page and "入户调查表" in page and "区审批前必须补齐" in page

    for name in ["诚信承诺书", "家庭经济状况核对授权书", "入户调查表", "民主评议记录"]:
        file(case.household, kinds[name], town_officer, case=case)
    page = client.get(url).content.decode()
    assert "入户调查表" not in page.split("档案材料缺项：")[1].split("。")[0]  # filed: no longer listed
    for name in ["镇审核意见", "公示照片"]:
        file(case.household, kinds[name], town_officer, case=case)
    assert "档案材料缺项" not in client.get(url).content.decode()


def test_the_gate_is_configurable(pipeline, case, crew, town_officer, district_officer):
    # Rows that do not block approval hold neither the town review nor the approval.
    ChecklistRequirement.objects.update(blocks_approval=False)
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    case = case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert case.status == Status.DONE


def test_the_switch_turns_the_gate_off(pipeline, case, crew, town_officer, district_officer):
    pipeline.ARCHIVES_APPROVAL_GATE = False
    case = drive(case, Status.DONE, crew, town=town_officer, district=district_officer)
    assert case.status == Status.DONE


def test_village_and_town_report(
    town_officer, team_a, team_member_a, village_a, village_b, household_a, kinds, django_assert_max_num_queries
):
    complete = HouseholdFactory(village=village_a)
    HouseholdFactory(village=village_b)
    # Only two kinds are required of households without a case.
    ChecklistRequirement.objects.exclude(case_kind="新申请", kind__name__in=["申请书", "低保证"]).delete()
    ChecklistRequirement.objects.get_or_create(case_kind="新申请", stage="区审批", kind=kinds["低保证"])
    for kind in ("申请书", "低保证"):
        file(complete, kinds[kind], town_officer)
    file(household_a, kinds["申请书"], town_officer)

    with django_assert_max_num_queries(6):
        report = completeness_report(user=town_officer)
    by_village = {v.name: v for v in report.villages}
    assert (by_village["甲村"].households, by_village["甲村"].complete, by_village["甲村"].percent) == (2, 1, 75)
    assert (by_village["乙村"].due, by_village["乙村"].present, by_village["乙村"].percent) == (2, 0, 0)
    assert (report.total.households, report.total.due, report.total.present, report.total.percent) == (3, 6, 3, 50)
    missing = {h.household_id: [i.kind.name for i in h.checklist.missing] for h in report.households}
    assert missing[household_a.pk] == ["低保证"] and missing[complete.pk] == []

    # A team member's report covers their villages only.
    mine = completeness_report(user=team_member_a)
    assert [v.name for v in mine.villages] == ["甲村"]

    workbook = load_workbook(io.BytesIO(completeness_xlsx(report=report)))
    assert ["甲村", 2, 1, 4, 3, 75] in [[c.value for c in row] for row in workbook["完整率汇总"].iter_rows()]
    details = [[c.value for c in row] for row in workbook["缺项明细"].iter_rows()]
    assert any(row[2] == "张甲" and row[-1] == "低保证" for row in details)


def test_the_case_list_filters_cases_missing_documents(client, pipeline, case, kinds, town_officer):
    from review.cases.selectors import case_list_url

    other = Case.objects.create(household=HouseholdFactory(village=case.household.village), kind=Case.Kind.RECHECK)
    for name in ["诚信承诺书", "家庭经济状况核对授权书"]:
        file(other.household, kinds[name], town_officer, case=other)
    client.force_login(town_officer)
    page = client.get(case_list_url(documents=1)).content.decode()
    assert "档案缺项" in page and "共 1 件" in page
    assert f">#{case.pk}<" in page and f">#{other.pk}<" not in page
