"""Opening and closing publicity rounds; which rounds apply to a case.

Which rounds apply: a campaign's `publicity_rounds` (0–3) counts the rounds it
keeps, dropped from the front: 3 → 第一、二、三榜; 2 → 第二、三榜 (the town-review
notice and the long-term board, what S21 itself requires); 1 → 第三榜 only;
0 → none. 第一榜 follows 民主评议, so a campaign without appraisal has no
第一榜. New applications without a campaign follow
`settings.PUBLICITY_ROUNDS_WITHOUT_CAMPAIGN` (default 3, the Kanjia 2021 practice).

A case has *passed* round N when a closed round N listed it after its latest
退回: a case sent back and redone is publicised again.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from households.models import Village
from kanjia import roles
from kanjia.uploads import HEAD, IMAGE_TYPES, FileType, check_upload, detect_type
from publicity.hooks import posting_photo_recorded
from publicity.models import Objection, PublicityRound, RoundCase, RoundSetting
from review.cases.workflow import RETURN, TransitionError, case_advance
from review.models import Campaign, Case, CaseStep, Outcome, Status

NUMERALS = {1: "一", 2: "二", 3: "三"}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# What closing a round does with a case that passed it: (expected status, action).
ADVANCE = {1: (Status.APPRAISAL, "submit"), 2: (Status.TOWN_REVIEW, "town_review")}
# Where a case with an upheld objection goes back to (S21: re-investigation).
RETURN_TARGET = Status.INVESTIGATION
LISTED_OUTCOMES = (Outcome.KEEP, Outcome.ADJUST, Outcome.STOP, Outcome.ADMIT)
PHOTO_MAX_SIZE = 5 * 1024 * 1024


# --- Which rounds apply --------------------------------------------------------------


def rounds_applying(*, campaign: Campaign | None) -> tuple[int, ...]:
    if campaign is None:
        count = int(getattr(settings, "PUBLICITY_ROUNDS_WITHOUT_CAMPAIGN", 3))
        appraisal = True
    else:
        count, appraisal = campaign.publicity_rounds, campaign.appraisal_required
    numbers = (1, 2, 3)[3 - max(0, min(3, count)) :]
    return tuple(n for n in numbers if n != 1 or appraisal)


def publicity_days(*, campaign: Campaign | None) -> int:
    if campaign is not None:
        setting = RoundSetting.objects.filter(campaign=campaign).first()
        if setting is not None:
            return setting.days
    return int(getattr(settings, "PUBLICITY_DAYS", 7))


def _last_return_at() -> Coalesce:
    latest = CaseStep.objects.filter(case=OuterRef("pk"), action=RETURN).order_by("-at").values("at")[:1]
    return Coalesce(Subquery(latest), Value(EPOCH))


def with_passed(cases: QuerySet[Case], *, number: int) -> QuerySet[Case]:
    """Annotate `passed`: a closed round `number` listed the case after its latest 退回."""
    passed = RoundCase.objects.filter(
        case=OuterRef("pk"),
        round__number=number,
        round__status=PublicityRound.Status.CLOSED,
        round__closed_at__gt=OuterRef("last_return_at"),
    ).exclude(result=RoundCase.Result.RETURNED)
    return cases.annotate(last_return_at=_last_return_at()).annotate(passed=Exists(passed))


def has_passed(*, case: Case, number: int) -> bool:
    return with_passed(Case.objects.filter(pk=case.pk), number=number).values_list("passed", flat=True).first() or False


# --- Who -------------------------------------------------------------------------------


def can_manage_rounds(*, user: AbstractBaseUser) -> bool:
    """Only the 民政办 opens and closes rounds and generates notices."""
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def require_manager(user: AbstractBaseUser) -> None:
    if not can_manage_rounds(user=user):
        raise PermissionDenied("公示批次由镇民政办发布和结束。")


def _save(obj, by: AbstractBaseUser) -> None:
    obj._history_user = by
    obj.save()


# --- Eligible cases ----------------------------------------------------------------


def eligible_cases(*, campaign: Campaign | None, village: Village, number: int) -> QuerySet[Case]:
    """Cases of `village` ready for round `number` and not yet listed in a current or passed round."""
    cases = Case.objects.filter(household__village=village)
    cases = cases.filter(campaign=campaign) if campaign is not None else cases.filter(campaign__isnull=True)
    if number == 1:
        cases = cases.filter(status=Status.APPRAISAL, appraisal__isnull=False)
    elif number == 2:
        cases = cases.filter(status=Status.TOWN_REVIEW, town_review__isnull=False)
    else:
        cases = cases.filter(status=Status.DONE, outcome__in=LISTED_OUTCOMES)
    current = RoundCase.objects.filter(case=OuterRef("pk"), round__number=number).exclude(
        round__status=PublicityRound.Status.CLOSED
    )
    return (
        with_passed(cases, number=number)
        .annotate(listed=Exists(current))
        .filter(passed=False, listed=False)
        .order_by("household__group__number", "household__head_name", "pk")
    )


# --- Services ------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseSummary:
    passed: int
    held: list[str]
    returned: int


def round_prepare(*, campaign: Campaign | None, village: Village, number: int, by: AbstractBaseUser) -> PublicityRound:
    """A draft round listing every eligible case of the village (草稿)."""
    require_manager(by)
    if number not in (1, 2, 3):
        raise ValidationError({"number": "榜次须为第一、二、三榜。"})
    if number not in rounds_applying(campaign=campaign):
        raise ValidationError({"number": f"本次行动不设第{NUMERALS[number]}榜公示。"})
    with transaction.atomic():
        cases = list(eligible_cases(campaign=campaign, village=village, number=number))
        if not cases:
            raise ValidationError({"number": f"{village.name}没有可列入第{NUMERALS[number]}榜的案件。"})
        publicity_round = PublicityRound(
            campaign=campaign,
            village=village,
            number=number,
            days=publicity_days(campaign=campaign),
            prepared_by=by,
        )
        try:
            with transaction.atomic():
                _save(publicity_round, by)
        except IntegrityError:
            raise ValidationError({"number": "该村本轮公示已有未结束的批次。"}) from None
        for case in cases:
            _save(RoundCase(round=publicity_round, case=case), by)
    return publicity_round


def round_open(
    *,
    round: PublicityRound,
    by: AbstractBaseUser,
    starts_on: date | None = None,
    days: int | None = None,
    paper: str | None = None,
) -> PublicityRound:
    """Publish a draft: 公示中 from `starts_on` for `days` days (round 3: no end)."""
    require_manager(by)
    starts_on = starts_on or timezone.localdate()
    days = days or round.days
    if not 1 <= days <= 60:
        raise ValidationError({"days": "公示天数须在 1 至 60 天之间。"})
    if paper is not None and paper not in PublicityRound.Paper.values:
        raise ValidationError({"paper": "纸张须为 A4 或 A3。"})
    with transaction.atomic():
        locked = PublicityRound.objects.select_for_update().get(pk=round.pk)
        if locked.status != PublicityRound.Status.DRAFT:
            raise ValidationError(f"该批次{locked.status}，不能再发布。")
        if not locked.entries.exists():
            raise ValidationError("公示名单为空，不能发布。")
        locked.status = PublicityRound.Status.OPEN
        locked.days = days
        locked.paper = paper or locked.paper
        locked.starts_on = starts_on
        locked.ends_on = None if locked.number == 3 else starts_on + timedelta(days=days - 1)
        locked.opened_by, locked.opened_at = by, timezone.now()
        _save(locked, by)
    return locked


def round_record_posting(
    *, round: PublicityRound, by: AbstractBaseUser, posted_on: date, place: str, photo=None
) -> PublicityRound:
    """张贴记录: when and where the printed notice was posted (photo optional).

    The photo is checked by content (JPEG or PNG, at most PHOTO_MAX_SIZE), stored
    under a random name and handed to the posting-photo listeners (archives files
    it in every listed household's bag as 公示照片), all in one transaction. The
    listeners' notes are left on the returned round as `posting_notes`.
    """
    if not can_manage_rounds(user=by):
        raise PermissionDenied("张贴记录由镇民政办登记。")
    errors = {}
    if round.status == PublicityRound.Status.DRAFT:
        errors["posted_on"] = "请先发布公示，再登记张贴。"
    elif posted_on > timezone.localdate():
        errors["posted_on"] = "张贴日期不能晚于今天。"
    if not place.strip():
        errors["posted_place"] = "请填写张贴地点。"
    photo_type = None
    if photo is not None:
        try:
            photo_type = check_upload(photo, max_size=PHOTO_MAX_SIZE, allowed=IMAGE_TYPES)
        except ValidationError as error:
            errors["posted_photo"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    saved = None
    try:
        with transaction.atomic():
            locked = PublicityRound.objects.select_for_update().get(pk=round.pk)
            locked.posted_on, locked.posted_place, locked.posted_by = posted_on, place.strip(), by
            if photo_type is not None:
                # Our name (random hex + the sniffed type's extension), never the uploaded one.
                locked.posted_photo.save(secrets.token_hex(16) + photo_type.extension, photo, save=False)
                saved = locked.posted_photo.name
            _save(locked, by)
            locked.posting_notes = posting_photo_recorded(round=locked, by=by) if saved else []
    except BaseException:
        if saved:  # nothing of a refused posting stays on disk
            PublicityRound._meta.get_field("posted_photo").storage.delete(saved)
        raise
    return locked


def posting_photo_type(*, round: PublicityRound) -> FileType | None:
    """The stored posting photo's type, read from its content (None: no photo, or not a JPEG/PNG)."""
    if not round.posted_photo:
        return None
    try:
        with round.posted_photo.open("rb") as photo:
            return detect_type(photo.read(HEAD), allowed=IMAGE_TYPES)
    except OSError:
        return None


def round_close(*, round: PublicityRound, by: AbstractBaseUser, today: date | None = None) -> CloseSummary:
    """End a round: its period has passed and every objection is handled.

    Cases that passed move on (第一榜: 提交镇审核; 第二榜: 审核通过报区审批; 第三榜:
    nothing to move). A case with an upheld objection goes back to 入户调查 with
    the objection as the reason. A forward move the pipeline refuses (e.g. the
    registration form is not yet signed) leaves the case where it is, noted on
    its entry; a return that fails aborts the whole close.
    """
    require_manager(by)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = PublicityRound.objects.select_for_update().get(pk=round.pk)
        if locked.status != PublicityRound.Status.OPEN:
            raise ValidationError(f"该批次{locked.status}，不能结束。")
        if locked.ends_on is not None and today <= locked.ends_on:
            raise ValidationError(f"公示期至{locked.ends_on:%Y年%m月%d日}，期满后才能结束。")
        pending = locked.objections.filter(result="").count()
        if pending:
            raise ValidationError(f"还有 {pending} 件异议尚未处理完毕，不能结束公示。")
        locked.status = PublicityRound.Status.CLOSED
        locked.closed_by, locked.closed_at = by, timezone.now()
        _save(locked, by)
        upheld = {}
        for objection in locked.objections.filter(result=Objection.Result.UPHELD).order_by("received_on", "pk"):
            upheld.setdefault(objection.case_id, objection)
        passed, held, returned = 0, [], 0
        for entry in locked.entries.select_related("case__household").order_by("pk"):
            case = entry.case
            objection = upheld.get(case.pk)
            if objection is not None:
                entry.result, entry.note = _send_back(locked, case, objection, by)
                returned += entry.result == RoundCase.Result.RETURNED
            else:
                entry.result, entry.note = _move_on(locked, case, by)
                passed += entry.result == RoundCase.Result.PASSED
            if entry.result == RoundCase.Result.HELD:
                held.append(f"{case.household.head_name}（案件#{case.pk}）：{entry.note}")
            _save(entry, by)
    return CloseSummary(passed=passed, held=held, returned=returned)


def _send_back(publicity_round: PublicityRound, case: Case, objection: Objection, by) -> tuple[str, str]:
    if not case.is_open:
        return RoundCase.Result.HELD, "异议成立；本案已办结，请另行启动核查。"
    note = f"第{NUMERALS[publicity_round.number]}榜公示异议成立（异议#{objection.pk}）：{objection.content}"[:1000]
    try:
        case_advance(case=case, action=RETURN, by=by, data={"target": RETURN_TARGET}, note=note)
    except TransitionError as error:
        raise ValidationError(f"案件#{case.pk}异议成立但无法退回：{error.text}") from error
    return RoundCase.Result.RETURNED, f"异议成立，已退回{RETURN_TARGET}。"


def _move_on(publicity_round: PublicityRound, case: Case, by) -> tuple[str, str]:
    step = ADVANCE.get(publicity_round.number)
    if step is None:
        return RoundCase.Result.PASSED, ""
    status, action = step
    if case.status != status:
        return RoundCase.Result.HELD, f"案件当前处于“{case.status}”环节，未推进。"
    try:
        case_advance(case=case, action=action, by=by)
    except TransitionError as error:
        return RoundCase.Result.HELD, error.text[:300]
    return RoundCase.Result.PASSED, ""
