"""Meetings: one 民主评议 meeting covers many households, its minutes filed once and shown on each case."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from archives.documents.checklist import case_checklist, missing_before
from archives.models import RecordDocument
from review.meetings import services as meetings
from review.models import Meeting, MeetingAppraisal
from tests.archives.conftest import EXE, PDF, upload
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def appraisal_meeting(by, village, held_on, campaign=None, **over):
    data = {
        "by": by,
        "campaign": campaign,
        "kind": "民主评议",
        "village": village,
        "held_on": held_on,
        "place": "甲村村委会会议室",
        "chair": "甲村书记",
        "attendees": "镇干部1人、村两委2人、党员代表1人、村民代表8人",
        "attendee_count": 12,
        **over,
    }
    return meetings.meeting_create(**data)


def test_one_meetings_minutes_show_on_every_case_it_heard(
    client, town_officer, team_member_a, campaign, appraised, village_a, held_on
):
    meeting = appraisal_meeting(town_officer, village_a, held_on, campaign, minutes=upload("评议记录.pdf", PDF))
    assert meetings.meeting_link(meeting=meeting, case_ids=[c.pk for c in appraised], by=town_officer) == 2
    assert RecordDocument.objects.filter(meeting=meeting).count() == 1  # filed once
    minutes = RecordDocument.objects.get(meeting=meeting)
    for user in (town_officer, team_member_a):
        client.force_login(user)
        for case in appraised:
            page = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
            assert 'data-testid="appraisal-meeting"' in page
            assert reverse("review:meeting_detail", args=[meeting.pk]) in page
            assert reverse("archives:record_download", args=[minutes.pk]) in page
    page = client.get(reverse("review:meeting_detail", args=[meeting.pk])).content.decode()
    assert all(reverse("review:case_detail", args=[c.pk]) in page for c in appraised)


def test_the_minutes_count_as_each_cases_appraisal_record_in_its_bag(
    client, settings, town_officer, campaign, appraised, village_a, held_on, record_kinds
):
    settings.ARCHIVES_APPROVAL_GATE = True
    case = appraised[0]
    assert "民主评议记录" in missing_before(case=case, stage="区审批")
    meeting = appraisal_meeting(town_officer, village_a, held_on, campaign, minutes=upload("评议记录.pdf", PDF))
    meetings.meeting_link(meeting=meeting, case_ids=[case.pk], by=town_officer)
    assert "民主评议记录" not in missing_before(case=case, stage="区审批")
    item = next(i for i in case_checklist(case=case).items if i.kind.name == "民主评议记录")
    assert item.present and not item.documents and [d.meeting for d in item.shared] == [meeting]
    # The other case, not heard in a meeting with minutes, still lacks it.
    assert "民主评议记录" in missing_before(case=appraised[1], stage="区审批")
    client.force_login(town_officer)
    page = client.get(reverse("archives:bag", args=[case.household_id])).content.decode()
    assert 'data-testid="shared-minutes"' in page


def test_a_meeting_links_only_its_villages_appraisals_of_its_day(
    town_officer, campaign, appraised, village_a, village_b, held_on
):
    meeting = appraisal_meeting(town_officer, village_a, held_on, campaign)
    other_day = appraisal_meeting(town_officer, village_a, held_on - timezone.timedelta(days=1), campaign)
    with pytest.raises(ValidationError, match=r"与会议日期.*不一致"):
        meetings.meeting_link(meeting=other_day, case_ids=[appraised[0].pk], by=town_officer)
    elsewhere = appraisal_meeting(town_officer, village_b, held_on, campaign)
    with pytest.raises(ValidationError, match="不属于乙村"):
        meetings.meeting_link(meeting=elsewhere, case_ids=[appraised[0].pk], by=town_officer)
    # All or nothing: one bad id links none.
    with pytest.raises(ValidationError, match="没有民主评议记录"):
        meetings.meeting_link(meeting=meeting, case_ids=[appraised[0].pk, 999999], by=town_officer)
    assert not MeetingAppraisal.objects.exists()
    meetings.meeting_link(meeting=meeting, case_ids=[appraised[0].pk], by=town_officer)
    second = appraisal_meeting(town_officer, village_a, held_on, campaign, place="甲村二组院坝")
    with pytest.raises(ValidationError, match="已关联到会议"):
        meetings.meeting_link(meeting=second, case_ids=[appraised[0].pk], by=town_officer)
    # A town-level meeting hears no cases.
    mobilisation = appraisal_meeting(town_officer, None, held_on, campaign, kind="动员大会")
    with pytest.raises(ValidationError, match="只有民主评议会议"):
        meetings.meeting_link(meeting=mobilisation, case_ids=[appraised[1].pk], by=town_officer)


def test_the_meeting_page_offers_the_days_appraisals_and_links_them(
    client, town_officer, campaign, appraised, village_a, held_on
):
    meeting = appraisal_meeting(town_officer, village_a, held_on, campaign)
    client.force_login(town_officer)
    page = client.get(reverse("review:meeting_detail", args=[meeting.pk])).content.decode()
    assert all(f'value="{c.pk}"' in page for c in appraised)
    response = client.post(reverse("review:meeting_link", args=[meeting.pk]), {"cases": [appraised[1].pk]})
    assert response.status_code == 302
    link = MeetingAppraisal.objects.get()
    assert link.appraisal.case == appraised[1] and link.history.get().history_user == town_officer
    client.post(reverse("review:meeting_unlink", args=[meeting.pk, link.pk]))
    assert not MeetingAppraisal.objects.exists()


def test_teams_record_their_own_villages_appraisal_meetings_only(
    town_officer, team_member_a, team_a, team_b, village_a, village_b, held_on, inspector
):
    meeting = appraisal_meeting(team_member_a, village_a, held_on)
    assert meeting.town == village_a.town and meeting.created_by == team_member_a
    with pytest.raises(PermissionDenied, match="本小组负责"):
        appraisal_meeting(team_member_a, village_b, held_on)
    with pytest.raises(PermissionDenied, match="民主评议"):
        appraisal_meeting(team_member_a, None, held_on, kind="动员大会")
    with pytest.raises(PermissionDenied, match="只读"):
        appraisal_meeting(inspector, village_a, held_on)


def test_a_team_sees_its_villages_appraisal_meetings_and_not_the_towns(
    client, town_officer, team_member_a, team_member_b, team_a, team_b, village_a, held_on
):
    appraisal = appraisal_meeting(town_officer, village_a, held_on)
    mobilisation = appraisal_meeting(town_officer, None, held_on, kind="动员大会")
    client.force_login(team_member_a)
    assert client.get(reverse("review:meeting_detail", args=[appraisal.pk])).status_code == 200
    assert client.get(reverse("review:meeting_detail", args=[mobilisation.pk])).status_code == 404
    listing = client.get(reverse("review:meetings")).content.decode()
    assert reverse("review:meeting_detail", args=[appraisal.pk]) in listing
    assert reverse("review:meeting_detail", args=[mobilisation.pk]) not in listing
    client.force_login(team_member_b)
    assert client.get(reverse("review:meeting_detail", args=[appraisal.pk])).status_code == 404


def test_bad_minutes_keep_nothing_and_say_why(client, town_officer, village_a, held_on, record_kinds):
    client.force_login(town_officer)
    response = client.post(
        reverse("review:meeting_new"),
        {
            "kind": "民主评议",
            "village": village_a.pk,
            "held_on": held_on.isoformat(),
            "place": "甲村村委会",
            "attendees": "村民代表",
            "attendee_count": "9",
            "minutes": upload("评议记录.pdf", EXE),
        },
    )
    assert response.status_code == 400
    assert "按文件内容识别" in response.content.decode()
    assert not Meeting.objects.exists() and not RecordDocument.objects.exists()
    # The rest of the input is still on the form.
    assert 'value="甲村村委会"' in response.content.decode()


def test_an_appraisal_meeting_needs_a_village_and_a_past_date(town_officer, village_a):
    with pytest.raises(ValidationError) as error:
        appraisal_meeting(town_officer, None, timezone.localdate() + timezone.timedelta(days=1))
    assert set(error.value.message_dict) == {"village", "held_on"}


def test_the_campaign_page_lists_its_meetings(client, town_officer, campaign, village_a, held_on):
    HouseholdFactory(village=village_a)
    meeting = appraisal_meeting(town_officer, None, held_on, campaign, kind="动员大会", place="镇政府会议室")
    client.force_login(town_officer)
    page = client.get(reverse("review:campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("review:meeting_detail", args=[meeting.pk]) in page and "镇级动员大会" in page
