"""Meeting records (会议记录): 动员大会, 培训, 推进会, 民主评议.

The town office records any meeting; a team member records the 民主评议
meetings of the villages their team covers. A 民主评议 meeting is linked to the
appraisal records of the cases it heard (same village, same day, each appraisal
in at most one meeting), so its signed minutes, filed once through
`review.filing` (the archive), show on every one of those cases and count as
each case's 民主评议记录 in its bag.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from households.models import Village
from households.selectors import households_changeable_by, villages_changeable_by
from kanjia import roles
from review import filing
from review.meetings.selectors import towns_of
from review.models import Appraisal, Campaign, Meeting, MeetingAppraisal

MAX_ATTENDEES = 2000


def meeting_refusal(*, user: AbstractBaseUser, kind: str, village: Village | None) -> str | None:
    """Why `user` may not record (or change) a meeting of this kind in this village; None when they may."""
    if not user.is_authenticated or roles.is_read_only(user):
        return "只读账号不能登记会议记录。"
    if roles.has_role(user, roles.TOWN_OFFICE):
        return None
    if roles.has_role(user, roles.VILLAGE_TEAM):
        if kind == Meeting.Kind.APPRAISAL and (
            village is None or villages_changeable_by(user=user).filter(pk=village.pk).exists()
        ):
            return None
        return "清理小组只能登记本小组负责村(社区)的民主评议会议。"
    return "会议记录由镇民政办或清理小组登记。"


def can_change_meeting(*, user: AbstractBaseUser, meeting: Meeting) -> bool:
    return meeting_refusal(user=user, kind=meeting.kind, village=meeting.village) is None


def _clean(
    *,
    by: AbstractBaseUser,
    kind: str,
    village: Village | None,
    held_on: date | None,
    place: str,
    attendees: str,
    attendee_count: int | None,
) -> dict[str, str]:
    refusal = meeting_refusal(user=by, kind=kind, village=village)
    if refusal:
        raise PermissionDenied(refusal)
    errors: dict[str, str] = {}
    if kind not in Meeting.Kind.values:
        errors["kind"] = "请选择会议类型。"
    elif kind == Meeting.Kind.APPRAISAL and village is None:
        errors["village"] = "民主评议会议须选择村(社区)。"
    if not held_on:
        errors["held_on"] = "请填写会议日期。"
    elif held_on > timezone.localdate():
        errors["held_on"] = "会议日期不能晚于今天（会议开过后再登记）。"
    if not place.strip():
        errors["place"] = "请填写会议地点。"
    if not attendees.strip():
        errors["attendees"] = "请填写参会人员。"
    if not attendee_count or not 0 < attendee_count <= MAX_ATTENDEES:
        errors["attendee_count"] = f"参会人数应在 1 至 {MAX_ATTENDEES} 人之间。"
    return errors


def meeting_create(
    *,
    by: AbstractBaseUser,
    kind: str,
    held_on: date,
    place: str,
    attendees: str,
    attendee_count: int,
    campaign: Campaign | None = None,
    village: Village | None = None,
    chair: str = "",
    summary: str = "",
    minutes: UploadedFile | None = None,
) -> Meeting:
    """Record a meeting (and file its minutes when given: all or nothing)."""
    errors = _clean(
        by=by,
        kind=kind,
        village=village,
        held_on=held_on,
        place=place,
        attendees=attendees,
        attendee_count=attendee_count,
    )
    town = village.town if village is not None else towns_of(user=by).first()
    if town is None:
        errors["__all__"] = "您的账号没有可登记会议的乡镇。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting(
            town=town,
            campaign=campaign,
            kind=kind,
            village=village,
            held_on=held_on,
            place=place.strip()[:100],
            chair=chair.strip()[:50],
            attendees=attendees.strip(),
            attendee_count=attendee_count,
            summary=summary.strip(),
            created_by=by,
        )
        meeting._history_user = by
        meeting.save()
        if minutes is not None:
            try:
                filing.attach(obj=meeting, file=minutes, by=by)
            except ValidationError as exc:  # the meeting is not kept without its file
                raise ValidationError({"minutes": exc.messages}) from exc
    return meeting


def meeting_update(
    *,
    meeting: Meeting,
    by: AbstractBaseUser,
    held_on: date,
    place: str,
    attendees: str,
    attendee_count: int,
    campaign: Campaign | None = None,
    chair: str = "",
    summary: str = "",
) -> Meeting:
    """Correct a meeting's details (its kind and village stay: cases and files hang on them)."""
    if not can_change_meeting(user=by, meeting=meeting):
        raise PermissionDenied(meeting_refusal(user=by, kind=meeting.kind, village=meeting.village))
    errors = _clean(
        by=by,
        kind=meeting.kind,
        village=meeting.village,
        held_on=held_on,
        place=place,
        attendees=attendees,
        attendee_count=attendee_count,
    )
    if held_on and held_on != meeting.held_on and meeting.links.exists():
        errors["held_on"] = "已有案件的民主评议关联到本次会议，不能改变会议日期（先取消关联）。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        meeting.campaign = campaign
        meeting.held_on, meeting.place, meeting.chair = held_on, place.strip()[:100], chair.strip()[:50]
        meeting.attendees, meeting.attendee_count, meeting.summary = attendees.strip(), attendee_count, summary.strip()
        meeting._history_user = by
        meeting.save()
    return meeting


def meeting_link(*, meeting: Meeting, case_ids: list[int], by: AbstractBaseUser) -> int:
    """Link the appraisal records of these cases to a 民主评议 meeting; all or nothing. Returns how many were linked."""
    if not can_change_meeting(user=by, meeting=meeting):
        raise PermissionDenied(meeting_refusal(user=by, kind=meeting.kind, village=meeting.village))
    if meeting.kind != Meeting.Kind.APPRAISAL:
        raise ValidationError("只有民主评议会议可以关联案件的评议记录。")
    if not case_ids:
        raise ValidationError("请选择本次会议评议的案件。")
    with transaction.atomic():
        appraisals = {
            a.case_id: a
            # Lock the appraisals only: the link is on the nullable side of an outer join.
            for a in Appraisal.objects.select_for_update(of=("self",))
            .filter(case_id__in=case_ids, case__household__in=households_changeable_by(user=by))
            .select_related("case__household", "meeting_link__meeting")
        }
        errors, new = [], []
        for case_id in dict.fromkeys(case_ids):
            appraisal = appraisals.get(case_id)
            if appraisal is None:
                errors.append(f"案件#{case_id} 没有民主评议记录，或不在您负责的范围内。")
            elif appraisal.case.household.village_id != meeting.village_id:
                errors.append(f"案件#{case_id} 不属于{meeting.village.name}。")
            elif appraisal.held_on != meeting.held_on:
                held, on = f"{appraisal.held_on:%Y-%m-%d}", f"{meeting.held_on:%Y-%m-%d}"
                errors.append(f"案件#{case_id} 的评议日期（{held}）与会议日期（{on}）不一致。")
            elif hasattr(appraisal, "meeting_link"):
                if appraisal.meeting_link.meeting_id != meeting.pk:
                    errors.append(f"案件#{case_id} 已关联到会议“{appraisal.meeting_link.meeting}”。")
            else:
                new.append(appraisal)
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                for appraisal in new:
                    link = MeetingAppraisal(meeting=meeting, appraisal=appraisal, linked_by=by)
                    link._history_user = by
                    link.save()
        except IntegrityError as exc:  # linked elsewhere a moment ago (one meeting per appraisal)
            raise ValidationError("其中有案件刚被关联到其他会议，请刷新页面后重试。") from exc
    return len(new)


def meeting_unlink(*, link: MeetingAppraisal, by: AbstractBaseUser) -> None:
    if not can_change_meeting(user=by, meeting=link.meeting):
        raise PermissionDenied(meeting_refusal(user=by, kind=link.meeting.kind, village=link.meeting.village))
    link._history_user = by
    link.delete()


def meeting_attach(*, meeting: Meeting, file: UploadedFile, by: AbstractBaseUser) -> filing.FiledFile:
    """File the meeting's (signed) minutes in the archive, once for every case the meeting covers."""
    if not can_change_meeting(user=by, meeting=meeting):
        raise PermissionDenied(meeting_refusal(user=by, kind=meeting.kind, village=meeting.village))
    if not filing.can_attach():
        raise ValidationError("档案模块未启用，不能上传会议记录。")
    with transaction.atomic():
        return filing.attach(obj=meeting, file=file, by=by)
