"""Objects for the scope sweep's URLs of issue 18 (tests/test_scope_sweep.py): the campaign file,
meetings, outreach, the leadership group and the inspector's register, in village B where they
belong to a village.

- a 民主评议 meeting of village B with its minutes filed, and the sweep's case of household_b
  (appraised the same day) ready to be linked to it;
- an outreach record of village B;
- a town-level document past its retention, a campaign document, a box;
- a clue naming household_b (inspectors only), and one referred to the town office.
"""

from datetime import timedelta

from django.utils import timezone

from archives.clues import services as clues
from archives.models import Clue, RecordDocument, RecordKind
from archives.records import services as records
from review.leadership.services import leadership_set
from review.meetings import services as meetings
from review.models import LeadershipMember, Meeting, MeetingAppraisal, Outreach
from review.outreach import services as outreach
from tests.archives.sweep import PDF, RewindingUpload
from tests.review_cases import sweep as cases


def _meeting(w) -> Meeting:
    found = Meeting.objects.filter(village=w.village_b, kind=Meeting.Kind.APPRAISAL).first()
    if found is not None:
        return found
    meeting = meetings.meeting_create(
        by=w.town_officer,
        campaign=cases.make_campaign(w),
        kind=Meeting.Kind.APPRAISAL,
        village=w.village_b,
        held_on=timezone.localdate(),
        place="乙村村委会",
        attendees="乙村村民代表",
        attendee_count=7,
    )
    meetings.meeting_attach(meeting=meeting, file=RewindingUpload("乙村评议记录.pdf", PDF), by=w.town_officer)
    return meeting


def meeting(w) -> dict:
    return {"pk": _meeting(w).pk}


def meeting_to_link(w) -> dict:
    cases.make_case(w)  # appraised in village B today, not linked yet
    return {"pk": _meeting(w).pk}


def link_payload(w, fields: dict) -> dict:
    return {"cases": [cases.make_case(w).pk]}


def meeting_payload(w, fields: dict) -> dict:
    return {**fields, "place": "越权改写的地点"}


def linked(w) -> dict:
    meeting = _meeting(w)
    link = MeetingAppraisal.objects.filter(meeting=meeting).first()
    if link is None:
        meetings.meeting_link(meeting=meeting, case_ids=[cases.make_case(w).pk], by=w.town_officer)
        link = MeetingAppraisal.objects.get(meeting=meeting)
    return {"pk": meeting.pk, "link_id": link.pk}


def minutes(w) -> dict:
    return {"pk": RecordDocument.objects.get(meeting=_meeting(w)).pk}


def file_payload(w, fields: dict) -> dict:
    return {"file": RewindingUpload("越权上传.pdf", PDF)}


def _outreach(w) -> Outreach:
    return Outreach.objects.filter(village=w.village_b).first() or outreach.outreach_create(
        by=w.town_officer, village=w.village_b, held_on=timezone.localdate(), kind="标语", count=5
    )


def outreach_record(w) -> dict:
    return {"pk": _outreach(w).pk}


def _town_document(w) -> RecordDocument:
    return records.record_upload(
        town=w.village_b.town,
        kind=RecordKind.objects.get(name="其他综合材料"),
        file=RewindingUpload("镇级材料.pdf", PDF),
        by=w.town_officer,
        year=2015,
    )


def expired_document(w) -> dict:
    """Filed six years ago as a 5-year routine file: the town office may delete it now."""
    document = _town_document(w)
    filed = timezone.now() - timedelta(days=6 * 366)
    RecordDocument.objects.filter(pk=document.pk).update(
        uploaded_at=filed, keep_until=filed.date() + timedelta(days=5 * 365)
    )
    return {"pk": document.pk}


def box(w) -> dict:
    return {"pk": _town_document(w).box_id}


def kind(w) -> dict:
    return {"pk": RecordKind.objects.get(name="工作方案").pk}


def kind_payload(w, fields: dict) -> dict:
    return {**fields, "retention_years": "7"}


def leadership_payload(w, fields: dict) -> dict:
    return {"user": w.team_member_b.pk, "role": LeadershipMember.Role.MEMBER}


def leader(w) -> dict:
    campaign = cases.make_campaign(w)
    member = LeadershipMember.objects.filter(campaign=campaign).first() or leadership_set(
        campaign=campaign, user=w.team_member_b, role=LeadershipMember.Role.MEMBER, by=w.town_officer
    )
    return {"pk": campaign.pk, "member_id": member.pk}


def _clue(w, *, referred: bool) -> Clue:
    title = "已交办的线索" if referred else "核实中的线索"
    found = Clue.objects.filter(title=title).first()
    if found is not None:
        return found
    clue = clues.clue_create(
        by=w.inspector,
        town=w.village_b.town,
        found_on=timezone.localdate(),
        source=Clue.Source.REPORT,
        title=title,
        description="群众反映乙村户主家有营业用房。",
        household_ids=[w.household_b.pk],
    )
    if referred:
        clue = clues.clue_refer(clue=clue, by=w.inspector, note="请核实并答复。")
    return clue


def clue(w) -> dict:
    return {"pk": _clue(w, referred=False).pk}


def referred_clue(w) -> dict:
    return {"pk": _clue(w, referred=True).pk}


def clue_payload(w, fields: dict) -> dict:
    return {**fields, "title": "越权改写的摘要"}


def refer_payload(w, fields: dict) -> dict:
    return {"note": "请镇民政办核实。"}


def answer_payload(w, fields: dict) -> dict:
    return {"answer": "经核实，该户无营业用房。"}
