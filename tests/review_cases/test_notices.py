"""Issue 15: written decisions (决定通知书) with reasons and remedies, their delivery, and complaints."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from archives.documents.seed import seed_defaults
from archives.models import ChecklistRequirement, Document, DocumentKind
from households.models import Household
from kanjia import holidays
from kanjia.models import AccessLog
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.models import Case, Complaint, DecisionNotice, NoticeSetting, Status
from review.notices import selectors, services
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import district_data, drive
from tests.samples import PDF

pytestmark = pytest.mark.django_db
S = Status
# Wednesday 2026-09-30: three working days later is Saturday 2026-10-10 (National Day, then a make-up Saturday).
DECIDED = date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _kinds(db):
    seed_defaults(DocumentKind, ChecklistRequirement)


def decide(case: Case, crew, town, district, **decision) -> Case:
    case = drive(case, S.DISTRICT_APPROVAL, crew, town=town, district=district)
    return case_advance(case=case, action="approve", by=district, data=district_data(**decision))


@pytest.fixture
def refused(village_a, crew, town_officer, district_officer) -> Case:
    household = HouseholdFactory(village=village_a, status=Household.Status.APPLYING, head_name="王申请")
    MemberFactory(household=household, name="王申请")
    case = campaigns.application_create(household=household, by=town_officer)
    return decide(
        case,
        crew,
        town_officer,
        district_officer,
        outcome="不予纳入",
        decided_on=DECIDED,
        opinion="家庭人均收入高于当地保障标准。",
    )


def _notice(case: Case) -> DecisionNotice:
    return DecisionNotice.objects.get(case=case)


# --- Which decisions need a notice, and when it is due ---------------------------------------------


def test_a_refusal_gets_a_notice_due_in_3_working_days(refused, town_officer):
    notice = _notice(refused)
    assert notice.kind == "不予纳入" and notice.due_days == 3
    assert notice.due_on == date(2026, 10, 10)
    assert "不符合城乡最低生活保障条件" in notice.reasons and "高于当地保障标准" in notice.reasons
    # The town may not lengthen a refusal's limit: it is the rule's.
    services.notice_setting_save(
        town=refused.household.village.town,
        stop_days=10,
        complaint_days=15,
        review_body="某区人民政府",
        court="某法院",
        by=town_officer,
    )
    assert services.due_days_for(kind="不予纳入", setting=NoticeSetting.objects.get()) == 3


def test_a_stop_uses_3_working_days_unless_the_town_sets_more(case, crew, town_officer, district_officer):
    setting = services.notice_setting(town_id=case.household.village.town_id)
    assert "与不予纳入相同" in services.deadline_rule_text(setting=setting)
    services.notice_setting_save(
        town=case.household.village.town,
        stop_days=5,
        complaint_days=15,
        review_body="资阳市雁江区人民政府",
        court="有管辖权的人民法院",
        by=town_officer,
    )
    stopped = decide(case, crew, town_officer, district_officer, outcome="停保", stop_reason=8, decided_on=DECIDED)
    notice = _notice(stopped)
    # 5 working days after 2026-09-30: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert (notice.kind, notice.due_days, notice.due_on) == ("停保", 5, date(2026, 10, 13))
    assert "收入达到或超过保障标准" in notice.reasons or "停发" in notice.reasons
    with pytest.raises(ValidationError):
        services.notice_setting_save(
            town=case.household.village.town,
            stop_days=2,
            complaint_days=15,
            review_body="x",
            court="y",
            by=town_officer,
        )


@pytest.mark.parametrize(
    ("outcome", "amount", "kind"),
    [("调整", "250.00", "减发"), ("调整", "360.00", None), ("调整", "300.00", None), ("维持", "0", None)],
)
def test_only_a_lower_total_is_a_reduction(case, crew, town_officer, district_officer, outcome, amount, kind):
    assert case.household.base_amount == Decimal("300.00")
    done = decide(case, crew, town_officer, district_officer, outcome=outcome, base_amount=Decimal(amount))
    notice = DecisionNotice.objects.filter(case=done).first()
    assert (notice.kind if notice else None) == kind
    if notice:
        assert (notice.previous_total, notice.new_total) == (Decimal("300.00"), Decimal("250.00"))
        assert "300.00 元调整为 250.00 元" in notice.reasons


def test_an_admission_needs_no_notice(village_a, crew, town_officer, district_officer):
    household = HouseholdFactory(village=village_a, status=Household.Status.APPLYING)
    MemberFactory(household=household)
    case = campaigns.application_create(household=household, by=town_officer)
    done = decide(case, crew, town_officer, district_officer, outcome="新纳入", base_amount=Decimal("300"))
    assert not DecisionNotice.objects.filter(case=done).exists()


# --- The printed notice ------------------------------------------------------------------------------


def test_the_pdf_states_reasons_and_the_appeal_rights_and_the_print_is_logged(client, refused, town_officer):
    notice = _notice(refused)
    client.force_login(town_officer)
    response = client.get(reverse("review:notice_pdf", args=[notice.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = text.replace("\n", "").replace(" ", "")
    assert "不予纳入决定通知书" in text and "王申请" in text and "高于当地保障标准" in text
    assert "六十日内向资阳市雁江区人民政府申请行政复议" in text
    assert "六个月内向有管辖权的人民法院提起行政诉讼" in text
    assert "512002" not in text  # no ID number on a delivered paper
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT)
    assert (log.user, log.object_id, log.village_id) == (town_officer, str(notice.pk), refused.household.village_id)


def test_reasons_are_worded_by_the_town_office_before_delivery(refused, town_officer, team_member_a):
    notice = _notice(refused)
    with pytest.raises(PermissionDenied):
        services.notice_edit_reasons(notice=notice, reasons="改", by=team_member_a)
    with pytest.raises(ValidationError):
        services.notice_edit_reasons(notice=notice, reasons="  ", by=town_officer)
    edited = services.notice_edit_reasons(notice=notice, reasons="经核对，你户有商铺两间。", by=town_officer)
    assert edited.history.latest().history_change_reason == "修改决定理由"


# --- Delivery -------------------------------------------------------------------------------------------


def test_delivery_is_recorded_and_the_scan_filed_in_the_bag(refused, town_officer):
    notice = _notice(refused)
    scan = SimpleUploadedFile("回证.pdf", PDF, content_type="application/pdf")
    delivered = services.notice_deliver(
        notice=notice, by=town_officer, delivered_on=date(2026, 10, 9), method="当面", recipient="王申请", scan=scan
    )
    assert (delivered.delivered_on, delivered.method, delivered.recipient) == (date(2026, 10, 9), "当面", "王申请")
    document = Document.objects.get(household=refused.household, kind__name="决定通知书送达回证")
    assert document.case == refused and "已归入该户档案袋" in delivered.scan_note
    remedies = services.remedy_deadlines(notice=delivered)
    assert remedies == {"review_until": date(2026, 12, 8), "litigation_until": date(2027, 4, 9)}
    with pytest.raises(ValidationError, match="已登记送达"):
        services.notice_deliver(
            notice=notice, by=town_officer, delivered_on=date(2026, 10, 9), method="当面", recipient="王申请"
        )


def test_a_bad_scan_or_missing_recipient_records_nothing(refused, town_officer, district_officer):
    notice = _notice(refused)
    with pytest.raises(ValidationError) as refused_scan:
        services.notice_deliver(
            notice=notice,
            by=town_officer,
            delivered_on=date(2026, 10, 9),
            method="邮寄",
            recipient="王申请",
            scan=SimpleUploadedFile("回证.pdf", b"not a pdf at all", content_type="application/pdf"),
        )
    assert "scan" in refused_scan.value.message_dict
    with pytest.raises(ValidationError) as incomplete:
        services.notice_deliver(notice=notice, by=town_officer, delivered_on=date(2026, 10, 9), method="", recipient="")
    assert {"method", "recipient"} <= set(incomplete.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.notice_deliver(
            notice=notice, by=district_officer, delivered_on=date(2026, 10, 9), method="当面", recipient="王申请"
        )
    assert _notice(refused).delivered_on is None and not Document.objects.filter(kind__name="决定通知书送达回证")


def test_undelivered_and_overdue_notices_on_the_worklist_and_the_case_page(client, refused, town_officer):
    notice = _notice(refused)
    assert list(selectors.notices_overdue(user=town_officer)) == [notice]
    client.force_login(town_officer)
    worklist = client.get(reverse("review:worklist")).content.decode()
    assert 'data-testid="worklist-notices"' in worklist and reverse("review:notice", args=[notice.pk]) in worklist
    assert "逾期" in worklist
    page = client.get(reverse("review:case_detail", args=[refused.pk])).content.decode()
    assert "逾期未送达" in page
    services.notice_deliver(
        notice=notice, by=town_officer, delivered_on=date(2026, 10, 9), method="留置", recipient="村主任李某（见证）"
    )
    assert not selectors.notices_undelivered(user=town_officer).exists()
    assert "已送达" in client.get(reverse("review:case_detail", args=[refused.pk])).content.decode()


def test_the_delivery_page(client, refused, town_officer, team_member_a):
    notice = _notice(refused)
    client.force_login(team_member_a)
    assert client.get(reverse("review:notice", args=[notice.pk])).status_code == 200  # their village
    assert client.post(reverse("review:notice_deliver", args=[notice.pk]), {}).status_code == 403
    client.force_login(town_officer)
    page = client.get(reverse("review:notice", args=[notice.pk])).content.decode()
    assert "六十日内" in page and "3 个工作日" in page
    data = {"delivered_on": "2026-10-09", "method": "当面", "recipient": "王申请"}
    response = client.post(reverse("review:notice_deliver", args=[notice.pk]), data)
    assert response.status_code == 302 and _notice(refused).delivered_on == date(2026, 10, 9)


# --- Complaints ------------------------------------------------------------------------------------------


def test_a_complaint_is_registered_on_a_finished_case_only(refused, case, town_officer):
    with pytest.raises(ValidationError, match="已办结"):
        services.complaint_register(
            case=case, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="张三", content="不服"
        )
    complaint = services.complaint_register(
        case=refused,
        by=town_officer,
        kind="复核申请",
        received_on=date(2026, 10, 12),
        complainant="王申请",
        content="家中有病人，收入计算有误。",
    )
    # 15 working days (the town's default) from Monday 2026-10-12.
    assert complaint.due_on == date(2026, 11, 2) and complaint.notice == _notice(refused)
    assert list(selectors.complaints_open(user=town_officer)) == [complaint]


def test_the_register_is_read_by_the_inspector_not_by_the_teams(
    client, refused, town_officer, inspector, team_member_a
):
    complaint = services.complaint_register(
        case=refused, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="王申请", content="不服"
    )
    client.force_login(inspector)
    assert "王申请" in client.get(reverse("review:complaints")).content.decode()
    assert client.get(reverse("review:complaint", args=[complaint.pk])).status_code == 200
    assert client.post(reverse("review:complaint", args=[complaint.pk]), {"result": "成立"}).status_code == 403
    client.force_login(team_member_a)
    assert client.get(reverse("review:complaints")).status_code == 403
    assert client.get(reverse("review:complaint", args=[complaint.pk])).status_code == 404


def test_an_upheld_complaint_opens_a_new_questioned_case_and_the_finished_one_stays_closed(
    client, refused, town_officer
):
    complaint = services.complaint_register(
        case=refused, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="王申请", content="不服"
    )
    handled = services.complaint_handle(
        complaint=complaint,
        by=town_officer,
        result="成立",
        reply="经核实，收入计算有误，另案复查。",
        handled_on=date(2026, 10, 20),
    )
    follow_up = handled.follow_up
    assert handled.created and follow_up.pk != refused.pk
    assert (follow_up.kind, follow_up.status, follow_up.has_objection) == ("新申请", "受理", True)
    assert Case.objects.get(pk=refused.pk).status == "办结"
    assert Complaint.objects.get(pk=complaint.pk).follow_up_case == follow_up
    client.force_login(town_officer)
    page = client.get(reverse("review:case_detail", args=[follow_up.pk])).content.decode()
    assert f"申诉#{complaint.pk}" in page and f"#{refused.pk}" in page
    assert not selectors.complaints_open(user=town_officer).exists()


def test_an_upheld_complaint_marks_the_open_case_instead_of_a_second_one(refused, town_officer):
    open_case = campaigns.application_create(household=refused.household, by=town_officer)
    complaint = services.complaint_register(
        case=refused, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="王申请", content="不服"
    )
    handled = services.complaint_handle(
        complaint=complaint,
        by=town_officer,
        result="成立",
        reply="并入正在办理的申请复查。",
        handled_on=date(2026, 10, 20),
    )
    assert handled.follow_up == open_case and not handled.created
    assert Case.objects.get(pk=open_case.pk).has_objection


def test_a_rejected_complaint_opens_nothing(refused, town_officer):
    complaint = services.complaint_register(
        case=refused, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="王申请", content="不服"
    )
    before = Case.objects.count()
    handled = services.complaint_handle(
        complaint=complaint,
        by=town_officer,
        result="不成立",
        reply="经复核，原决定正确。",
        handled_on=date(2026, 10, 20),
    )
    assert handled.follow_up is None and Case.objects.count() == before


def test_entering_a_year_recomputes_notice_and_complaint_deadlines(refused, town_officer):
    notice = _notice(refused)
    complaint = services.complaint_register(
        case=refused, by=town_officer, kind="申诉", received_on=date(2026, 10, 12), complainant="王申请", content="不服"
    )
    # The office's own 2026 arrangement (a test one): 10-09 becomes a holiday, 10-10 is no make-up day.
    holidays.holiday_year_save(year=2026, source="测试安排", text="2026-10-01至2026-10-09 休 国庆节", by=town_officer)
    assert DecisionNotice.objects.get(pk=notice.pk).due_on == date(2026, 10, 14)
    assert Complaint.objects.get(pk=complaint.pk).due_on == date(2026, 11, 2)
