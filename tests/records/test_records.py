"""The town's and campaigns' files (综合档案, 财务档案): filing, checks, scoping, retention, checklist, boxes."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from archives.documents.services import add_years
from archives.models import RecordBox, RecordDocument
from archives.records import checklist, labels, services
from kanjia.models import AccessLog
from review.cases import campaigns
from review.meetings import services as meetings
from tests.archives.conftest import EXE, PDF, upload
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


def file_plan(campaign, by, record_kinds, *, name="工作方案", title="专项提升行动方案"):
    return services.record_upload(
        town=TownFactory(), kind=record_kinds[name], file=upload("方案.pdf", PDF), by=by, campaign=campaign, title=title
    )


def test_the_town_office_files_the_plan_in_the_campaigns_box(client, town_officer, campaign, record_kinds, village_a):
    client.force_login(town_officer)
    url = reverse("archives:record_upload")
    response = client.post(
        url,
        {
            "campaign": campaign.pk,
            "kind": record_kinds["工作方案"].pk,
            "title": "堪嘉镇低保专项提升行动方案",
            "file": upload("方案.pdf", PDF),
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("archives:records_campaign", args=[campaign.pk])
    document = RecordDocument.objects.get()
    assert (document.campaign, document.kind.name, document.title) == (
        campaign,
        "工作方案",
        "堪嘉镇低保专项提升行动方案",
    )
    # 室-柜-盒: the town room, the cabinet of the 综合档案, the campaign's box.
    assert document.box.code == "KJ-镇综合-01" and document.box.campaign == campaign
    assert document.history.count() == 1 and document.history.get().history_user == town_officer
    assert (Path(services.records_dir()) / document.stored_name).read_bytes() == PDF

    page = client.get(reverse("archives:records_campaign", args=[campaign.pk])).content.decode()
    assert "堪嘉镇低保专项提升行动方案" in page and "KJ-镇综合-01" in page


def test_uploads_are_checked_by_content_and_nothing_is_kept_on_refusal(town_officer, campaign, record_kinds):
    with pytest.raises(ValidationError) as refused:
        services.record_upload(
            town=TownFactory(), kind=record_kinds["工作方案"], file=upload("方案.pdf", EXE), by=town_officer
        )
    assert "按文件内容识别" in refused.value.message_dict["file"][0]
    with pytest.raises(ValidationError, match="文件是空的"):
        services.record_upload(
            town=TownFactory(), kind=record_kinds["工作方案"], file=upload("空.pdf", b""), by=town_officer
        )
    big = upload("大.pdf", PDF + b"0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError, match="不能超过 20 MB"):
        services.record_upload(town=TownFactory(), kind=record_kinds["工作方案"], file=big, by=town_officer)
    assert not RecordDocument.objects.exists() and not RecordBox.objects.exists()
    assert not services.records_dir().exists() or not any(services.records_dir().iterdir())


def test_only_the_town_office_files_town_documents(campaign, record_kinds, district_officer, inspector, team_member_a):
    from django.core.exceptions import PermissionDenied

    for user in (district_officer, inspector, team_member_a):
        with pytest.raises(PermissionDenied):
            file_plan(campaign, user, record_kinds)
    assert not RecordDocument.objects.exists()


def test_a_download_is_logged_and_not_cached(client, town_officer, campaign, record_kinds, village_a):
    document = file_plan(campaign, town_officer, record_kinds)
    client.force_login(town_officer)
    response = client.get(reverse("archives:record_download", args=[document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "no-store"
    log = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert (log.user, log.object_type, log.object_id) == (town_officer, "archives.recorddocument", str(document.pk))


def test_a_team_member_never_sees_the_towns_file(
    client, town_officer, team_member_a, team_a, campaign, record_kinds, village_a
):
    document = file_plan(campaign, town_officer, record_kinds)
    client.force_login(team_member_a)
    assert client.get(reverse("archives:records")).status_code == 403
    assert client.get(reverse("archives:records_campaign", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("archives:record_box", args=[document.box_id])).status_code == 403
    assert client.get(reverse("archives:record_kinds")).status_code == 403
    assert client.get(reverse("archives:record_download", args=[document.pk])).status_code == 404
    assert client.get(reverse("archives:record_labels") + "?level=box").status_code == 403
    # The campaign page (town-wide) shows a team member its cases, never the file or a link to it.
    page = client.get(reverse("review:campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="campaign-file"' not in page and "专项提升行动方案" not in page
    assert reverse("archives:records_campaign", args=[campaign.pk]) not in page
    # Nor the archive home's link.
    assert 'data-testid="records-link"' not in client.get(reverse("archives:index")).content.decode()
    assert not AccessLog.objects.filter(user=team_member_a).exists()


def test_the_town_wide_readers_see_the_file_and_only_the_office_files(
    client, town_officer, district_officer, inspector, campaign, record_kinds
):
    file_plan(campaign, town_officer, record_kinds)
    for user in (district_officer, inspector):
        client.force_login(user)
        page = client.get(reverse("archives:records_campaign", args=[campaign.pk])).content.decode()
        assert "专项提升行动方案" in page and 'id="record-upload-form"' not in page
    client.force_login(town_officer)
    page = client.get(reverse("archives:records_campaign", args=[campaign.pk])).content.decode()
    assert 'id="record-upload-form"' in page


def test_a_team_downloads_the_minutes_of_its_own_villages_meeting_only(
    client, town_officer, team_member_a, team_member_b, team_a, team_b, village_a, campaign, record_kinds
):
    meeting = meetings.meeting_create(
        by=town_officer,
        campaign=campaign,
        kind="民主评议",
        village=village_a,
        held_on=timezone.localdate(),
        place="甲村村委会",
        attendees="甲村村民代表",
        attendee_count=9,
        minutes=upload("评议记录.pdf", PDF),
    )
    minutes = RecordDocument.objects.get(meeting=meeting)
    assert (minutes.village, minutes.kind.name) == (village_a, "民主评议会议记录")
    client.force_login(team_member_a)
    assert client.get(reverse("archives:record_download", args=[minutes.pk])).status_code == 200
    client.force_login(team_member_b)
    assert client.get(reverse("archives:record_download", args=[minutes.pk])).status_code == 404


# --- Retention per kind ----------------------------------------------------------------------------


def test_retention_is_the_kinds_number_of_years(town_officer, campaign, record_kinds):
    today = timezone.localdate()
    plan = file_plan(campaign, town_officer, record_kinds)  # a key document: 10 years in the demo data
    minutes = file_plan(campaign, town_officer, record_kinds, name="清理小组名单")  # routine: 5 years
    roll = file_plan(campaign, town_officer, record_kinds, name="发放花名册（签字版）")  # financial: 30 years
    assert plan.keep_until == add_years(today, 10)
    assert minutes.keep_until == add_years(today, 5)
    assert roll.keep_until == add_years(today, 30) and roll.box.code == "KJ-镇财务-01"

    # The office changes a kind's retention: its documents follow (with history), the others do not.
    services.kind_update(
        kind=record_kinds["清理小组名单"], by=town_officer, retention_years=8, phase="准备", expected=True, active=True
    )
    minutes.refresh_from_db()
    plan.refresh_from_db()
    assert minutes.keep_until == add_years(today, 8) and plan.keep_until == add_years(today, 10)
    assert minutes.history.latest().history_change_reason == "保管期限随材料类别调整"
    # Permanent (no number of years).
    services.kind_update(
        kind=record_kinds["工作方案"], by=town_officer, retention_years=None, phase="准备", expected=True, active=True
    )
    plan.refresh_from_db()
    assert plan.keep_until is None


def test_nothing_is_deleted_before_its_retention_ends(town_officer, campaign, record_kinds):
    document = file_plan(campaign, town_officer, record_kinds, name="清理小组名单")
    with pytest.raises(ValidationError, match="须保管至"):
        services.record_delete(document=document, by=town_officer)
    filed = timezone.now() - timedelta(days=6 * 366)
    RecordDocument.objects.filter(pk=document.pk).update(
        uploaded_at=filed, keep_until=filed.date() + timedelta(days=1826)
    )
    path = services.record_path(document)
    services.record_delete(document=RecordDocument.objects.get(pk=document.pk), by=town_officer)
    assert not RecordDocument.objects.filter(pk=document.pk).exists()
    assert RecordDocument.history.filter(id=document.pk, history_type="-").exists()
    assert path.exists()  # removed only once the deletion commits (TestCase never commits)

    permanent = file_plan(campaign, town_officer, record_kinds)
    RecordDocument.objects.filter(pk=permanent.pk).update(keep_until=None)
    with pytest.raises(ValidationError, match="永久保存"):
        services.record_delete(document=RecordDocument.objects.get(pk=permanent.pk), by=town_officer)


def test_the_office_edits_retention_on_its_page(client, town_officer, district_officer, record_kinds, village_a):
    kind = record_kinds["工作方案"]
    url = reverse("archives:record_kind_edit", args=[kind.pk])
    client.force_login(district_officer)
    assert client.get(url).status_code == 403
    client.force_login(town_officer)
    response = client.post(url, {"retention_years": "0", "phase": "准备", "expected": "on", "active": "on"})
    assert response.status_code == 400
    kind.refresh_from_db()
    assert kind.retention_years == 10
    response = client.post(url, {"retention_years": "15", "phase": "准备", "expected": "on", "active": "on"})
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.retention_years == 15
    assert "15年" in client.get(reverse("archives:record_kinds")).content.decode()


# --- The checklist per phase ------------------------------------------------------------------------


def items(file) -> dict[str, dict[str, bool]]:
    return {p.phase: {i.kind: i.present for i in p.items if i.expected} for p in file.phases}


def test_the_checklist_follows_the_seeds_phases(town_officer, campaign, record_kinds):
    file = checklist.campaign_checklist(campaign=campaign)
    assert items(file) == {
        "准备": {
            "工作方案": False,
            "领导小组文件": False,
            "清理小组名单": False,
            "培训动员大会记录": False,
            "政策宣传记录": False,
        },
        "清理实施": {"民主评议会议记录": False},
        "抽查审批": {"区级抽查报告": False},
        "总结": {"工作总结": False, "情况通报": False, "目标考核材料": False},
    }
    assert file.missing_count == 10

    file_plan(campaign, town_officer, record_kinds)
    file_plan(campaign, town_officer, record_kinds, name="情况通报", title="关于低保复核情况的通报")
    file = checklist.campaign_checklist(campaign=campaign)
    assert items(file)["准备"]["工作方案"] and items(file)["总结"]["情况通报"]
    assert file.missing_count == 8
    summary = next(p for p in file.phases if p.phase == "总结")
    assert [i.kind for i in summary.missing] == ["工作总结", "目标考核材料"]
    assert [f.title for f in summary.items[1].files] == ["关于低保复核情况的通报"]


def test_the_appraisal_minutes_are_expected_only_when_the_campaign_requires_appraisal(town_officer, record_kinds):
    campaign = campaigns.campaign_create(
        name="免评议的行动", kind="专项清理", scope_date=date(2021, 5, 18), by=town_officer, appraisal_required=False
    )
    assert "民主评议会议记录" not in items(checklist.campaign_checklist(campaign=campaign))["清理实施"]


def test_expected_kinds_are_office_data(town_officer, campaign, record_kinds):
    services.kind_update(
        kind=record_kinds["推进会记录"],
        by=town_officer,
        retention_years=5,
        phase="清理实施",
        expected=True,
        active=True,
    )
    services.kind_update(
        kind=record_kinds["目标考核材料"],
        by=town_officer,
        retention_years=10,
        phase="总结",
        expected=False,
        active=True,
    )
    file = items(checklist.campaign_checklist(campaign=campaign))
    assert file["清理实施"] == {"民主评议会议记录": False, "推进会记录": False}
    assert "目标考核材料" not in file["总结"]


def test_the_appraisal_item_counts_the_cases_heard_in_meetings_with_minutes(
    town_officer, campaign, appraised, village_a, held_on
):
    item = lambda: next(  # noqa: E731
        i
        for p in checklist.campaign_checklist(campaign=campaign).phases
        for i in p.items
        if i.kind == "民主评议会议记录"
    )
    assert "已有 2 件案件填写民主评议记录，其中 0 件" in item().note
    meeting = meetings.meeting_create(
        by=town_officer,
        campaign=campaign,
        kind="民主评议",
        village=village_a,
        held_on=held_on,
        place="甲村村委会",
        attendees="村民代表8人",
        attendee_count=12,
        minutes=upload("评议记录.pdf", PDF),
    )
    meetings.meeting_link(meeting=meeting, case_ids=[appraised[0].pk], by=town_officer)
    assert item().present and "其中 1 件" in item().note and "1 件尚待关联" in item().note


# --- Boxes and labels ---------------------------------------------------------------------------------


def test_each_campaign_and_each_year_gets_its_own_box(town_officer, campaign, record_kinds):
    other = campaigns.campaign_create(name="年度核查", kind="年度核查", scope_date=date(2022, 1, 1), by=town_officer)
    first = file_plan(campaign, town_officer, record_kinds)
    second = file_plan(other, town_officer, record_kinds)
    again = file_plan(campaign, town_officer, record_kinds, name="领导小组文件")
    town_level = services.record_upload(
        town=TownFactory(), kind=record_kinds["其他综合材料"], file=upload("a.pdf", PDF), by=town_officer, year=2021
    )
    assert [first.box.code, second.box.code, again.box.code, town_level.box.code] == [
        "KJ-镇综合-01",
        "KJ-镇综合-02",
        "KJ-镇综合-01",
        "KJ-镇综合-03",
    ]
    assert town_level.box.title == "2021年度低保工作综合档案" and town_level.year == 2021


def test_town_box_labels_print_their_codes(client, town_officer, campaign, record_kinds, village_a):
    from io import BytesIO

    from pypdf import PdfReader

    file_plan(campaign, town_officer, record_kinds)
    found = labels.record_labels(user=town_officer, level="box")
    assert [(label.code, label.title) for label in found] == [("KJ-镇综合-01", f"{campaign.name} 低保工作综合档案")]
    assert found[0].url.endswith(reverse("archives:record_box", args=[RecordBox.objects.get().pk]))
    client.force_login(town_officer)
    response = client.get(reverse("archives:record_labels") + "?level=box")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "KJ-镇综合-01" in text
    assert AccessLog.objects.filter(action=AccessLog.Action.PRINT, detail__contains="镇级档案盒标签").exists()
    cabinets = labels.record_labels(user=town_officer, level="cabinet")
    assert [label.code for label in cabinets] == ["KJ-镇综合"]


def test_an_expected_financial_kind_counts_as_missing(town_officer, campaign, record_kinds):
    services.kind_update(
        kind=record_kinds["银行转账确认"], by=town_officer, retention_years=30, phase="", expected=True, active=True
    )
    file = checklist.campaign_checklist(campaign=campaign)
    assert [i.kind for i in file.financial_missing] == ["银行转账确认"] and file.missing_count == 11
    ((_, missing, _),) = checklist.campaign_overview(campaigns=[campaign])
    assert "银行转账确认" in missing and len(missing) == 11


def test_the_file_index_reads_in_the_same_queries_for_one_campaign_or_many(
    client, town_officer, campaign, record_kinds, village_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file_plan(campaign, town_officer, record_kinds)
    client.force_login(town_officer)
    url = reverse("archives:records")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(3):
        other = campaigns.campaign_create(
            name=f"行动{n}", kind="年度核查", scope_date=date(2022, 1, 1), by=town_officer
        )
        file_plan(other, town_officer, record_kinds)
    with CaptureQueriesContext(connection) as four:
        page = client.get(url).content.decode()
    assert len(four) == len(one)
    assert page.count("9 项：") == 4 and "KJ-镇综合-04" in page
