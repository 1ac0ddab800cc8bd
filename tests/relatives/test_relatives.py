"""Declarations, the gate, automatic matching on every trigger, recusal and the district's home visit."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Member
from households.services import HouseholdInput, household_update
from review.cases.workflow import (
    TransitionForbidden,
    TransitionInvalid,
    available_transitions,
    case_advance,
    stage_save,
)
from review.models import Case, DeclarationStatus, RelativeDeclaration, RelativeFiling, Status
from review.relatives.services import (
    RelativeIn,
    declare,
    declare_none,
    filing_create,
    filing_report,
    filing_verify,
    has_declaration,
    relatives_match,
    relatives_rematch_all,
)
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import acceptance_data, district_data, drive


def relative_of(member: Member, relation: str = "父母") -> RelativeIn:
    return RelativeIn(relation=relation, name=member.name, id_number=member.id_number, address="堪嘉镇")


# --- The gate -----------------------------------------------------------------------------


def test_no_declaration_no_case_action(case, crew):
    with pytest.raises(TransitionForbidden) as exc:
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    assert "须先填写近亲属申报" in exc.value.text
    assert available_transitions(case=case, user=crew.cadre) == []
    with pytest.raises(TransitionForbidden):
        stage_save(case=case, by=crew.cadre, data=acceptance_data())
    declare_none(user=crew.cadre, by=crew.cadre)
    case = case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    assert case.status == Status.INVESTIGATION


def test_gate_page_says_why_and_links_to_the_declaration(client, case, crew):
    client.force_login(crew.cadre)
    page = client.get(reverse("review:case_detail", args=[case.pk]))
    assert "须先填写近亲属申报" in page.content.decode()
    assert reverse("review:relatives:mine") in page.content.decode()
    response = client.post(reverse("review:case_action", args=[case.pk, "terminate"]), {"note": "x"})
    assert response.status_code == 403


def test_declaring_none_is_dated_and_clears_relatives(team_member_a, household):
    declare(user=team_member_a, relatives=[relative_of(household.members.get())], by=team_member_a)
    assert has_declaration(user=team_member_a)
    status = declare_none(user=team_member_a, by=team_member_a)
    assert status.declared_none_on == timezone.localdate()
    assert not RelativeDeclaration.objects.filter(user=team_member_a).exists()
    assert has_declaration(user=team_member_a)
    # Every change is in the history, with who made it.
    assert RelativeDeclaration.history.filter(history_type="-", history_user=team_member_a).count() == 1
    assert DeclarationStatus.history.filter(user=team_member_a).count() == 2


def test_declaration_validates_id_numbers_in_chinese(team_member_a):
    with pytest.raises(ValidationError) as exc:
        declare(user=team_member_a, relatives=[RelativeIn("父母", "王五", "51200219600315001X")], by=team_member_a)
    assert "校验码" in exc.value.messages[0] or "身份证" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        declare(user=team_member_a, relatives=[], by=team_member_a)
    assert "无近亲属" in exc.value.messages[0]
    assert not has_declaration(user=team_member_a)


def test_nobody_declares_for_someone_else(team_member_a, team_member_b):
    with pytest.raises(PermissionDenied):
        declare_none(user=team_member_b, by=team_member_a)


# --- Matching on each trigger -----------------------------------------------------------------


def test_declaration_creates_filing_and_marks_open_case(case, crew, household):
    member = household.members.get()
    result = declare(user=crew.leader, relatives=[relative_of(member)], by=crew.leader)
    assert (result.created, result.cases_marked) == (1, 1)
    filing = RelativeFiling.objects.get()
    assert (filing.user, filing.household, filing.village, filing.relative_name) == (
        crew.leader,
        household,
        household.village,
        member.name,
    )
    assert (filing.status, filing.source, filing.monthly_amount) == ("待报备", "auto", Decimal("300.00"))
    case.refresh_from_db()
    assert case.is_near_relative
    assert case.history.first().history_user == crew.leader
    # Declaring again (address changed) updates the same entry.
    declare(user=crew.leader, relatives=[RelativeIn("父母", member.name, member.id_number, "新地址")], by=crew.leader)
    assert RelativeFiling.objects.count() == 1


def test_only_applicant_and_recipient_households_match(team_member_a, village_a):
    stopped = HouseholdFactory(village=village_a, status=Household.Status.SUSPENDED)
    member = MemberFactory(household=stopped)
    declare(user=team_member_a, relatives=[relative_of(member)], by=team_member_a)
    assert not RelativeFiling.objects.exists()


def test_member_edit_triggers_matching(
    team_member_a, town_officer, village_a, household, case, django_capture_on_commit_callbacks
):
    # The relative lives elsewhere, then joins the household in the case.
    other = HouseholdFactory(village=village_a, status=Household.Status.EXITED)
    person = MemberFactory(household=other, name="李四")
    declare(user=team_member_a, relatives=[relative_of(person, "兄弟姐妹")], by=team_member_a)
    assert not RelativeFiling.objects.exists()
    person.delete()
    head = household.members.get()
    rows = [{"id": head.pk}, {"id": None, "name": "李四", "id_number": person.id_number, "relation": "其他"}]
    with django_capture_on_commit_callbacks(execute=True):
        household_update(household=household, version=1, data=HouseholdInput(fields={}, members=rows), by=town_officer)
    filing = RelativeFiling.objects.get()
    assert (filing.household, filing.relation, filing.user) == (household, "兄弟姐妹", team_member_a)
    case.refresh_from_db()
    assert case.is_near_relative
    assert filing.history.get().history_user == town_officer


def test_pipeline_status_change_triggers_matching(
    town_officer, district_officer, crew, village_a, everyone_declared, django_capture_on_commit_callbacks
):
    """A household admitted by the district becomes a recipient: its members are matched then."""
    from kanjia import roles
    from review.cases.campaigns import application_create
    from tests.conftest import make_user
    from tests.review_cases.conftest import drive

    cadre_elsewhere = make_user("cadre_elsewhere", roles.VILLAGE_TEAM)
    household = HouseholdFactory(village=village_a, status=Household.Status.EXITED)
    member = MemberFactory(household=household)
    declare(user=cadre_elsewhere, relatives=[relative_of(member)], by=cadre_elsewhere)
    assert not RelativeFiling.objects.exists()  # 已退出: neither applicant nor recipient
    household.status = Household.Status.APPLYING
    household.save()  # a raw save is not a registry change the listeners hear of
    assert not RelativeFiling.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        case = application_create(household=household, by=town_officer)
        drive(case, "办结", crew, town=town_officer, district=district_officer)
    assert RelativeFiling.objects.filter(household=household).exists()


def test_ledger_import_triggers_matching(town_officer, team_member_a, places, run_import):
    from tests.ledger.helpers import member_row, new_id, workbook_bytes

    head_id = new_id()
    declare(user=team_member_a, relatives=[RelativeIn("配偶", "张大山", head_id)], by=team_member_a)
    batch = run_import(town_officer, workbook_bytes([member_row(head_id=head_id)]), commit=True)
    assert batch.status == batch.Status.COMMITTED, batch.error
    filing = RelativeFiling.objects.get()
    assert (filing.relative_id_number, filing.household.head_name, filing.village.name) == (head_id, "张大山", "陡岩村")


def test_full_rematch_is_a_safety_net_and_idempotent(team_member_a, village_a):
    household = HouseholdFactory(village=village_a)
    member = MemberFactory(household=household)
    declare(user=team_member_a, relatives=[relative_of(member)], by=team_member_a)
    RelativeFiling.objects.all().delete()  # as if a bulk tool had bypassed every signal
    assert relatives_rematch_all().created == 1
    again = relatives_rematch_all()
    assert (again.created, again.updated) == (0, 0)


def test_matching_is_one_statement_plus_constant_writes(village_a, team_member_a, django_assert_max_num_queries):
    for n in range(30):
        household = HouseholdFactory(village=village_a)
        member = MemberFactory(household=household, born=date(1950, 1, 1) + timedelta(days=n))
        RelativeDeclaration.objects.create(
            user=team_member_a, relation="子女", name=f"子{n}", id_number=member.id_number
        )
    relatives_match(by=None)  # creates 30 filings
    with django_assert_max_num_queries(1):
        relatives_match(user_ids=[0], by=None)
    # Nothing changed: match, households, staff, filings, cases, plus SAVEPOINT/RELEASE.
    with django_assert_max_num_queries(7):
        result = relatives_match(by=None)
    assert (result.created, result.updated) == (0, 0)


# --- Recusal and the home visit -----------------------------------------------------------------


def test_recusal_refuses_and_explains(client, case, crew, household, everyone_declared):
    member = household.members.get()
    declare(user=crew.cadre, relatives=[relative_of(member, "子女")], by=crew.cadre)
    with pytest.raises(TransitionForbidden) as exc:
        case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())
    assert "回避" in exc.value.text and member.name in exc.value.text
    client.force_login(crew.cadre)
    form = {k: v.isoformat() if isinstance(v, date) else v for k, v in acceptance_data().items() if v is not False}
    response = client.post(reverse("review:case_stage", args=[case.pk, "acceptance"]), {**form, "action": "accept"})
    assert response.status_code == 403
    assert "回避" in response.content.decode()
    # Someone else in the team takes the case.
    case = case_advance(case=case, action="accept", by=crew.leader, data=acceptance_data())
    assert case.status == Status.INVESTIGATION


def test_district_approval_needs_the_home_visit(
    case, crew, household, town_officer, district_officer, everyone_declared
):
    from tests.conftest import make_user

    # A clerk's relative lives in the household: the case is marked, the clerk does not act on it.
    relative_holder = make_user("clerk", None)
    declare(user=relative_holder, relatives=[relative_of(household.members.get())], by=relative_holder)
    case.refresh_from_db()
    assert case.is_near_relative
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert "近亲属备案" in exc.value.text and "入户核查" in exc.value.text
    visit = district_data(
        home_visit_on=timezone.localdate() - timedelta(days=1), home_visit_note="入户核实，情况属实。"
    )
    case = case_advance(case=case, action="approve", by=district_officer, data=visit)
    assert case.status == Status.DONE


def test_cases_opened_after_the_filing_start_marked(
    campaign, crew, household, village_a, town_officer, district_officer, everyone_declared
):
    """A filing made before the campaign launch, or before a new application, still makes the
    district's home visit mandatory on the cases opened later."""
    from review.cases import campaigns
    from tests.conftest import make_user

    clerk = make_user("clerk", None)
    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    declare(
        user=clerk,
        relatives=[relative_of(household.members.get()), relative_of(MemberFactory(household=applicant))],
        by=clerk,
    )
    assert not Case.objects.exists()

    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    recheck = Case.objects.get(campaign=campaign, household=household)
    application = campaigns.application_create(household=applicant, by=town_officer)
    assert recheck.is_near_relative and application.is_near_relative
    unrelated = campaigns.application_create(
        household=HouseholdFactory(village=village_a, status=Household.Status.APPLYING), by=town_officer
    )
    assert not unrelated.is_near_relative

    case = drive(recheck, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    with pytest.raises(TransitionInvalid) as exc:
        case_advance(case=case, action="approve", by=district_officer, data=district_data())
    assert "入户核查" in exc.value.text


def test_registering_a_new_application_is_recused_like_any_step(crew, village_a, town_officer, everyone_declared):
    from review.cases import campaigns
    from tests.conftest import make_user

    applicant = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    relative = MemberFactory(household=applicant)
    undeclared = make_user("undeclared_town", "镇民政办")
    with pytest.raises(PermissionDenied, match="近亲属"):
        campaigns.application_create(household=applicant, by=undeclared)
    declare(user=crew.cadre, relatives=[relative_of(relative)], by=crew.cadre)
    with pytest.raises(PermissionDenied, match="须回避"):
        campaigns.application_create(household=applicant, by=crew.cadre)
    assert not Case.objects.exists()
    assert campaigns.application_create(household=applicant, by=town_officer).household == applicant


# --- The register's statuses ----------------------------------------------------------------------


def test_filing_goes_pending_reported_verified(team_member_a, town_officer, district_officer, village_a):
    household = HouseholdFactory(village=village_a)
    member = MemberFactory(household=household)
    declare(user=team_member_a, relatives=[relative_of(member)], by=team_member_a)
    filing = RelativeFiling.objects.get()
    with pytest.raises(PermissionDenied):
        filing_report(filing=filing, reported_on=date.today(), by=district_officer)
    with pytest.raises(ValidationError):
        filing_verify(filing=filing, verified_on=date.today(), note="已核", by=district_officer)
    filing = filing_report(filing=filing, reported_on=date.today(), by=town_officer)
    assert (filing.status, filing.reported_on) == ("已报区民政局", date.today())
    with pytest.raises(ValidationError) as exc:
        filing_verify(filing=filing, verified_on=date.today(), note=" ", by=district_officer)
    assert "核查情况" in str(exc.value)
    filing = filing_verify(filing=filing, verified_on=date.today(), note="入户核查属实。", by=district_officer)
    assert filing.status == "已核查"
    assert [h.status for h in filing.history.order_by("history_id")] == ["待报备", "已报区民政局", "已核查"]


def test_manual_entry_marks_cases_and_is_unique(case, household, crew, town_officer):
    filing = filing_create(
        user=crew.leader, household=household, relative=relative_of(household.members.get(), "配偶"), by=town_officer
    )
    assert filing.source == "manual"
    case.refresh_from_db()
    assert case.is_near_relative
    with pytest.raises(PermissionDenied):
        filing_create(
            user=crew.leader, household=household, relative=relative_of(household.members.get()), by=crew.cadre
        )


def test_closed_cases_are_not_remarked(case, crew, town_officer, district_officer, household, everyone_declared):
    case = drive(case, Status.DONE, crew, town=town_officer, district=district_officer)
    from tests.conftest import make_user

    clerk = make_user("clerk", None)
    declare(user=clerk, relatives=[relative_of(household.members.get())], by=clerk)
    assert not Case.objects.get(pk=case.pk).is_near_relative
    assert RelativeFiling.objects.filter(household=household).exists()
