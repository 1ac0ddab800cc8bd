"""Opening and closing publicity rounds; which rounds apply to a case.

Which rounds apply (issue 15): 第二榜 (the town's 初审 result, S21) and 第三榜
(审批结果, the long-term board) apply to every case, campaign or not; 第一榜
(评议结果, village) whenever a democratic appraisal is held, i.e. in every case
whose campaign requires appraisal and in every case outside a campaign. No
setting switches a round off (`Campaign.publicity_rounds` is derived and
constrained in the database).

Periods: rounds 1 and 2 last at least `MIN_DAYS` (7) days; a town may set
more (`RoundSetting`), never less. A round starts on the day it is opened or
later, never before (no backdating); a start date that has to be corrected
afterwards (the notice was really posted on another day) is a town-office
action with a reason, `round_correct_start`, kept in the round's history.

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
from kanjia.uploads import HEAD, IMAGE_TYPES, FileType, clean_upload, detect_type
from publicity.hooks import posting_photo_recorded
from publicity.models import Objection, PublicityRound, RoundCase, RoundSetting
from review.cases.workflow import AWAITING_SIGNATURES, RETURN, TransitionError, case_advance
from review.models import Campaign, Case, CaseStep, Outcome, RegistrationForm, Status

NUMERALS = {1: "一", 2: "二", 3: "三"}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# What closing a round does with a case that passed it: (expected status, action).
ADVANCE = {1: (Status.APPRAISAL, "submit"), 2: (Status.TOWN_REVIEW, "town_review")}
# Where a case with an upheld objection goes back to (S21: re-investigation).
RETURN_TARGET = Status.INVESTIGATION
LISTED_OUTCOMES = (Outcome.KEEP, Outcome.ADJUST, Outcome.STOP, Outcome.ADMIT)
PHOTO_MAX_SIZE = 5 * 1024 * 1024
# S21 / DOMAIN §2: the village and town notices are posted for 7 days; a town may post longer, never shorter.
MIN_DAYS = 7
MAX_DAYS = 60
CORRECTION = "更正公示开始日期"


# --- Which rounds apply --------------------------------------------------------------


def rounds_applying(*, campaign: Campaign | None) -> tuple[int, ...]:
    """第二、三榜 always; 第一榜 when an appraisal is held (every case outside a campaign holds one)."""
    appraisal = True if campaign is None else campaign.appraisal_required
    return (1, 2, 3) if appraisal else (2, 3)


def publicity_days(*, campaign: Campaign | None) -> int:
    """The campaign's period (RoundSetting), else settings.PUBLICITY_DAYS; never below MIN_DAYS."""
    days = int(getattr(settings, "PUBLICITY_DAYS", MIN_DAYS))
    if campaign is not None:
        setting = RoundSetting.objects.filter(campaign=campaign).first()
        if setting is not None:
            days = setting.days
    return max(days, MIN_DAYS)


def check_days(days: int, *, number: int) -> str | None:
    """Why `days` is not a valid period for round `number`, or None (round 3 has no end)."""
    if number == 3:
        return None
    if days < MIN_DAYS:
        return f"第一、二榜公示期不得少于 {MIN_DAYS} 天（可以更长）。"
    if days > MAX_DAYS:
        return f"公示天数不能超过 {MAX_DAYS} 天。"
    return None


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


def round_setting_save(*, campaign: Campaign, days: int, by: AbstractBaseUser) -> RoundSetting:
    """Set a campaign's period for rounds 1 and 2 (at least MIN_DAYS); drafts prepared afterwards use it."""
    require_manager(by)
    reason = check_days(days, number=1)
    if reason:
        raise ValidationError({"days": reason})
    with transaction.atomic():
        setting = RoundSetting.objects.select_for_update().filter(campaign=campaign).first()
        setting = setting or RoundSetting(campaign=campaign)
        if setting.pk and setting.days == days:
            return setting
        setting.days = days
        _save(setting, by)
    return setting


# --- Eligible cases ----------------------------------------------------------------


def eligible_cases(*, campaign: Campaign | None, village: Village, number: int) -> QuerySet[Case]:
    """Cases of `village` ready for round `number` and not yet listed in a current or passed round."""
    cases = Case.objects.filter(household__village=village)
    cases = cases.filter(campaign=campaign) if campaign is not None else cases.filter(campaign__isnull=True)
    return ready_for_round(cases, number=number).order_by("household__group__number", "household__head_name", "pk")


def ready_for_round(cases: QuerySet[Case], *, number: int) -> QuerySet[Case]:
    """Those of `cases` ready for round `number` and not yet listed in a current or passed round."""
    if number == 1:
        # The appraisal's result submitted ("提交评议结果"), not only saved as a draft.
        cases = cases.filter(status=Status.APPRAISAL, appraisal__completed_at__isnull=False)
    elif number == 2:
        cases = cases.filter(status=Status.TOWN_REVIEW, town_review__isnull=False)
    else:
        cases = cases.filter(status=Status.DONE, outcome__in=LISTED_OUTCOMES)
    current = RoundCase.objects.filter(case=OuterRef("pk"), round__number=number).exclude(
        round__status=PublicityRound.Status.CLOSED
    )
    return with_passed(cases, number=number).annotate(listed=Exists(current)).filter(passed=False, listed=False)


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
    """Publish a draft: 公示中 from `starts_on` (today or later) for `days` days (round 3: no end)."""
    require_manager(by)
    today = timezone.localdate()
    starts_on = starts_on or today
    days = days or round.days
    errors = {}
    if starts_on < today:
        errors["starts_on"] = (
            f"公示开始日期不能早于发布当天（{today:%Y-%m-%d}）。"
            "已提前张贴的，请先按今天发布，再由镇民政办说明理由更正开始日期。"
        )
    reason = check_days(days, number=round.number)
    if reason:
        errors["days"] = reason
    if paper is not None and paper not in PublicityRound.Paper.values:
        errors["paper"] = "纸张须为 A4 或 A3。"
    if errors:
        raise ValidationError(errors)
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


def round_correct_start(*, round: PublicityRound, by: AbstractBaseUser, starts_on: date, reason: str) -> PublicityRound:
    """Correct a published round's start date (the notice was really posted on `starts_on`).

    The town office's action, with a reason kept in the round's history (and
    shown on the round's page). The period keeps its length; the start may not
    be in the future of today, nor after an objection already received.
    """
    require_manager(by)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "更正公示开始日期须说明理由。"
    if starts_on is None:
        errors["starts_on"] = "请填写更正后的开始日期。"
    elif starts_on > timezone.localdate():
        errors["starts_on"] = "更正后的开始日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = PublicityRound.objects.select_for_update().get(pk=round.pk)
        if locked.status != PublicityRound.Status.OPEN:
            raise ValidationError({"starts_on": f"该批次{locked.status}，只有公示中的批次可以更正开始日期。"})
        if locked.starts_on == starts_on:
            raise ValidationError({"starts_on": "开始日期没有变化。"})
        first = locked.objections.order_by("received_on").values_list("received_on", flat=True).first()
        if first is not None and starts_on > first:
            raise ValidationError({"starts_on": f"已有 {first:%Y-%m-%d} 受理的异议，开始日期不能晚于该日。"})
        before = locked.starts_on
        locked.starts_on = starts_on
        if locked.number != 3:
            locked.ends_on = starts_on + timedelta(days=locked.days - 1)
        locked.correction_note = f"开始日期由 {before:%Y-%m-%d} 更正为 {starts_on:%Y-%m-%d}。理由：{reason}"
        locked._change_reason = CORRECTION
        _save(locked, by)
    return locked


def start_corrections(*, round: PublicityRound) -> list[dict]:
    """The round's start-date corrections from its history: when, who, the sentence with the reason."""
    rows = round.history.filter(history_change_reason=CORRECTION).select_related("history_user")
    return [
        {"at": row.history_date, "by": row.history_user, "text": row.correction_note}
        for row in rows.order_by("history_date", "history_id")
    ]


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
    photo_type = clean = None
    if photo is not None:
        try:
            # Decoded and re-encoded without metadata (the GPS of the board), see kanjia/uploads.py.
            photo_type, clean = clean_upload(photo, max_size=PHOTO_MAX_SIZE, allowed=IMAGE_TYPES)
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
                locked.posted_photo.save(secrets.token_hex(16) + photo_type.extension, clean, save=False)
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

    Cases that passed move on (第一榜: 提交镇审核, except a campaign case: its team now signs
    the 清理核实登记表 and the third signature hands it in — 公示期满，待签字上交; 第二榜:
    审核通过报区审批; 第三榜: nothing to move). A case with an upheld objection goes back to 入户调查 with
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
    if publicity_round.number == 1 and case.registration_required:
        form = RegistrationForm.objects.filter(case=case).first()
        if form is None or not form.fully_signed:
            # The seed's order: the team signs the 登记表 now; the third signature hands it in.
            return RoundCase.Result.PASSED, AWAITING_SIGNATURES
    try:
        case_advance(case=case, action=action, by=by)
    except TransitionError as error:
        return RoundCase.Result.HELD, error.text[:300]
    return RoundCase.Result.PASSED, ""


def round_one_outcome(*, case: Case) -> list[str]:
    """The 第一榜 publicity of `case` as printed on its 清理核实登记表 (review.cases.registration reads it).

    The latest round 1 that listed the case after its latest 退回: its dates, and, once
    closed, its result and the objections received.
    """
    last_return = CaseStep.objects.filter(case=case, action=RETURN).order_by("-at").values_list("at", flat=True)
    since = last_return.first() or EPOCH
    entry = (
        RoundCase.objects.filter(case=case, round__number=1, round__prepared_at__gt=since)
        .select_related("round")
        .order_by("-round__prepared_at", "-pk")
        .first()
    )
    if entry is None:
        return []
    found = entry.round
    if found.starts_on is None:
        return ["已列入第一榜公示草稿，尚未发布。"]
    period = f"公示期：{found.starts_on:%Y年%m月%d日}至{found.ends_on:%Y年%m月%d日}（{found.days}天）"
    objections = Objection.objects.filter(round=found, case=case)
    if found.status != PublicityRound.Status.CLOSED:
        return [period, "正在公示。"]
    upheld = objections.filter(result=Objection.Result.UPHELD).count()
    count = objections.count()
    heard = f"收到异议 {count} 件（成立 {upheld} 件）" if count else "公示期内无异议"
    result = "异议成立，已退回重新调查" if entry.result == RoundCase.Result.RETURNED else "公示通过"
    closed = timezone.localtime(found.closed_at)
    return [period, f"{closed:%Y年%m月%d日}结束公示；{heard}；结果：{result}"]
