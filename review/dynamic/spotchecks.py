"""区级抽查: reproducible samples, the 听、查、看、访 record, rectification until closed.

The draw: the population is the campaign's cases (or the cases finished in a
period), ordered by id and stored on the sample. Every near-relative case and
every case with an objection is taken (100 %); of the rest, ceil(share × n) are
drawn with `random.Random(seed).sample` over that ordered list. The share is
never below 30 % (S12§26): the campaign's setting, `sample_draw`, the form and
the database all refuse less. With the stored
population, the recorded mandatory cases and the seed, the draw can be repeated
exactly (`reproduce`).
"""

import math
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from households.selectors import town_ids_of, village_scoped, villages_visible_to
from kanjia import roles
from kanjia.worklists import WorkItem
from kanjia.xlsx import SheetSpec, write_xlsx
from review.models import Campaign, Case, SpotCheck, SpotCheckSample, Status
from review.models.cases import SPOT_CHECK_FLOOR

User = AbstractBaseUser | AnonymousUser
# S12§26: at least 30 % of the rest; a campaign or a draw may take more, never less.
DEFAULT_SHARE = SPOT_CHECK_FLOOR
SEED_BITS = 62
DOCUMENTS = (
    ("doc_hukou", "户口簿"),
    ("doc_id_card", "身份证"),
    ("doc_dibao_card", "低保证"),
    ("doc_social_security", "社保卡"),
    ("doc_archive_bag", "档案袋"),
)


# --- Who ---------------------------------------------------------------------------------


def can_draw(*, user: User) -> bool:
    """区民政局 draws samples and records 听查看访."""
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.DISTRICT)


def can_report_rectification(*, user: User) -> bool:
    return user.is_authenticated and not roles.is_read_only(user) and roles.has_role(user, roles.TOWN_OFFICE)


def samples_visible_to(*, user: User) -> QuerySet[SpotCheckSample]:
    # Like campaigns: the sample's settings are not personal data; its checks are scoped by village.
    # Another town's samples are not there at all (issue 19), as for campaigns.
    if not user.is_authenticated or not user.is_active or not roles.role_names(user):
        return SpotCheckSample.objects.none()
    samples = SpotCheckSample.objects.select_related("campaign", "drawn_by")
    towns = town_ids_of(user=user)
    if towns is None:
        return samples
    return samples.filter(Q(town_id__in=towns) | Q(town_id__in=villages_visible_to(user=user).values("town_id")))


def checks_visible_to(*, user: User) -> QuerySet[SpotCheck]:
    return village_scoped(SpotCheck, "household__village_id", user=user)


# --- The draw (pure) -------------------------------------------------------------------------


def random_part(*, candidates: Sequence[int], share: Decimal, seed: int) -> list[int]:
    """ceil(share % of the candidates), drawn with `seed` from the candidates in id order."""
    ordered = sorted(candidates)
    k = min(len(ordered), math.ceil(Decimal(len(ordered)) * Decimal(share) / Decimal(100)))
    # Reproducible by design (the seed is recorded); the seed itself comes from `secrets`.
    return sorted(random.Random(seed).sample(ordered, k))  # noqa: S311


def reproduce(*, sample: SpotCheckSample) -> list[int]:
    """The case ids the sample's seed gives again (mandatory cases included), in id order."""
    mandatory = set(sample.checks.exclude(selection=SpotCheck.Selection.RANDOM).values_list("case_id", flat=True))
    rest = [pk for pk in sample.population if pk not in mandatory]
    return sorted(mandatory | set(random_part(candidates=rest, share=sample.share, seed=sample.seed)))


# --- Services ------------------------------------------------------------------------------


def population(
    *, campaign: Campaign | None = None, period_start: date | None = None, period_end: date | None = None
) -> QuerySet[Case]:
    """A campaign's cases (not terminated), or the cases finished (办结) in a period."""
    if campaign is not None:
        return Case.objects.filter(campaign=campaign).exclude(status=Status.TERMINATED).order_by("pk")
    return Case.objects.filter(
        status=Status.DONE, closed_at__date__gte=period_start, closed_at__date__lte=period_end
    ).order_by("pk")


def _selection(case: dict) -> str | None:
    if case["is_near_relative"]:
        return SpotCheck.Selection.NEAR_RELATIVE
    if case["has_objection"]:
        return SpotCheck.Selection.OBJECTION
    return None


def sample_draw(
    *,
    by: AbstractBaseUser,
    campaign: Campaign | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    share: Decimal | None = None,
    seed: int | None = None,
    note: str = "",
) -> SpotCheckSample:
    if not can_draw(user=by):
        raise PermissionDenied("抽查样本由区民政局抽取。")
    errors: dict[str, str] = {}
    if campaign is None and not (period_start and period_end):
        errors["campaign"] = "请选择专项行动，或填写抽查期间。"
    if campaign is None and period_start and period_end and period_end < period_start:
        errors["period_end"] = "期间结束日期不能早于开始日期。"
    if share is None:
        share = campaign.spot_check_share if campaign is not None else DEFAULT_SHARE
    if not SPOT_CHECK_FLOOR <= Decimal(share) <= Decimal("100"):
        errors["share"] = f"抽查比例不得低于 {SPOT_CHECK_FLOOR:.0f}%（可以更高，最高 100%）。"
    if seed is not None and not 0 <= seed < 2**63:
        errors["seed"] = "随机种子须为非负整数。"
    if errors:
        raise ValidationError(errors)
    if campaign is not None:
        period_start = period_end = None
    seed = seed if seed is not None else secrets.randbits(SEED_BITS)
    with transaction.atomic():
        cases = list(
            population(campaign=campaign, period_start=period_start, period_end=period_end).values(
                "pk", "household_id", "household__village__town_id", "is_near_relative", "has_objection"
            )
        )
        if not cases:
            raise ValidationError({"campaign": "所选范围内没有可抽查的案件。"})
        mandatory = {c["pk"]: _selection(c) for c in cases if _selection(c)}
        drawn = random_part(candidates=[c["pk"] for c in cases if c["pk"] not in mandatory], share=share, seed=seed)
        sample = SpotCheckSample(
            town_id=cases[0]["household__village__town_id"],
            campaign=campaign,
            period_start=period_start,
            period_end=period_end,
            share=share,
            seed=seed,
            population=[c["pk"] for c in cases],
            drawn_by=by,
            note=(note or "").strip()[:300],
        )
        sample._history_user = by
        sample.save()
        chosen = set(drawn) | set(mandatory)
        checks = [
            SpotCheck(
                sample=sample,
                case_id=c["pk"],
                household_id=c["household_id"],
                selection=mandatory.get(c["pk"], SpotCheck.Selection.RANDOM),
                # Drawn for the drawer, who may hand a check to a colleague (check_assign).
                assignee=by,
            )
            for c in cases
            if c["pk"] in chosen
        ]
        bulk_create_with_history(checks, SpotCheck, batch_size=1000, default_user=by)
    return sample


def _text(data: dict, name: str) -> str:
    return (data.get(name) or "").strip()


REQUIRED_TEXT = (
    ("heard_report", "请填写“听”：汇报情况。"),
    ("documents_note", "请填写“查”：资料核查情况。"),
    ("seen_housing", "请填写“看”：住房情况。"),
    ("seen_living", "请填写“看”：生活水平。"),
    ("neighbours_visited", "请填写“访”：走访了哪些邻居。"),
    ("neighbours_said", "请填写“访”：邻居反映的情况。"),
)
OPTIONAL_TEXT = ("seen_assets", "seen_income", "seen_occupation")


def check_record(*, check: SpotCheck, data: dict, by: AbstractBaseUser) -> SpotCheck:
    """Write the 听、查、看、访 record and the conclusion (区民政局; not after the rectification is closed)."""
    if not can_draw(user=by):
        raise PermissionDenied("听查看访记录由区民政局填写。")
    errors: dict[str, str] = {}
    today = timezone.localdate()
    heard_on = data.get("heard_on")
    if not heard_on:
        errors["heard_on"] = "请填写核查日期。"
    elif heard_on > today:
        errors["heard_on"] = "核查日期不能晚于今天。"
    for name, message in REQUIRED_TEXT:
        if not _text(data, name):
            errors[name] = message
    conclusion = data.get("conclusion")
    if conclusion not in SpotCheck.Conclusion.values:
        errors["conclusion"] = "请选择核查结论（属实、不属实或需整改）。"
    elif conclusion == SpotCheck.Conclusion.RECTIFY:
        if not _text(data, "rectification"):
            errors["rectification"] = "需整改的，请填写整改要求。"
        due = data.get("rectification_due")
        if not due:
            errors["rectification_due"] = "需整改的，请填写整改期限。"
        elif heard_on and due < heard_on:
            errors["rectification_due"] = "整改期限不能早于核查日期。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if check.closed_at:
            raise ValidationError("该户整改已销号，不能再修改核查记录。")
        check.heard_on = heard_on
        for name, _ in REQUIRED_TEXT:
            setattr(check, name, _text(data, name))
        for name in OPTIONAL_TEXT:
            setattr(check, name, _text(data, name))
        for name, _ in DOCUMENTS:
            setattr(check, name, bool(data.get(name)))
        check.conclusion = conclusion
        rectify = conclusion == SpotCheck.Conclusion.RECTIFY
        check.rectification = _text(data, "rectification") if rectify else ""
        check.rectification_due = data.get("rectification_due") if rectify else None
        if not rectify:
            check.rectified_on, check.rectification_report = None, ""
        check.checked_by = by
        check.checked_at = timezone.now()
        check._history_user = by
        check.save()
    return check


def check_assign(*, check: SpotCheck, assignee: AbstractBaseUser, by: AbstractBaseUser) -> SpotCheck:
    """Hand a spot check's home visit to a district officer (it shows in their phone's visit list)."""
    if not can_draw(user=by):
        raise PermissionDenied("抽查走访人员由区民政局安排。")
    if not (assignee.is_active and roles.has_role(assignee, roles.DISTRICT) and not roles.is_read_only(assignee)):
        raise ValidationError({"assignee": "走访人员须是区民政局的在岗人员。"})
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if check.closed_at:
            raise ValidationError("该户整改已销号，不能再安排走访。")
        if check.assignee_id != assignee.pk:
            check.assignee = assignee
            check._history_user = by
            check.save()
    return check


def district_staff() -> QuerySet:
    """Active district officers, for the assignee select."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, groups__name=roles.DISTRICT).distinct().order_by("username")


def rectification_report(*, check: SpotCheck, rectified_on: date, report: str, by: AbstractBaseUser) -> SpotCheck:
    """The town office reports what was done; the district then closes it."""
    if not can_report_rectification(user=by):
        raise PermissionDenied("整改情况由镇民政办报告。")
    errors: dict[str, str] = {}
    if not rectified_on:
        errors["rectified_on"] = "请填写整改完成日期。"
    elif rectified_on > timezone.localdate():
        errors["rectified_on"] = "整改完成日期不能晚于今天。"
    if not (report or "").strip():
        errors["rectification_report"] = "请填写整改情况。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if check.conclusion != SpotCheck.Conclusion.RECTIFY or check.closed_at:
            raise ValidationError("该户没有待整改事项。")
        check.rectified_on, check.rectification_report = rectified_on, report.strip()
        check._history_user = by
        check.save()
    return check


def rectification_close(*, check: SpotCheck, by: AbstractBaseUser) -> SpotCheck:
    """The district confirms the rectification (销号)."""
    if not can_draw(user=by):
        raise PermissionDenied("整改销号由区民政局确认。")
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if check.conclusion != SpotCheck.Conclusion.RECTIFY or check.closed_at:
            raise ValidationError("该户没有待销号的整改事项。")
        if not check.rectified_on:
            raise ValidationError("镇民政办尚未报告整改情况，不能销号。")
        check.closed_by, check.closed_at = by, timezone.now()
        check._history_user = by
        check.save()
    return check


# --- Results -------------------------------------------------------------------------------


@dataclass
class Tally:
    name: str
    sampled: int = 0
    checked: int = 0
    true: int = 0
    false: int = 0
    rectify: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0

    def add(self, check: SpotCheck, today: date) -> None:
        self.sampled += 1
        if not check.conclusion:
            return
        self.checked += 1
        if check.conclusion == SpotCheck.Conclusion.TRUE:
            self.true += 1
        elif check.conclusion == SpotCheck.Conclusion.FALSE:
            self.false += 1
        else:
            self.rectify += 1
            if check.closed_at:
                self.closed += 1
            else:
                self.open += 1
                self.overdue += bool(check.rectification_due and check.rectification_due < today)

    def row(self) -> list:
        return [
            self.name,
            self.sampled,
            self.checked,
            self.true,
            self.false,
            self.rectify,
            self.open,
            self.overdue,
            self.closed,
        ]


RESULT_HEADER = ["村(社区)", "抽查户数", "已核查", "属实", "不属实", "需整改", "整改中", "整改逾期", "已销号"]


def results(*, checks: Iterable[SpotCheck], today: date | None = None) -> dict:
    """Per town and per village (checks need household__village__town selected)."""
    today = today or timezone.localdate()
    towns: dict[int, Tally] = {}
    villages: dict[int, Tally] = {}
    order: dict[int, tuple] = {}
    for check in checks:
        village = check.household.village
        towns.setdefault(village.town_id, Tally(village.town.name)).add(check, today)
        villages.setdefault(village.pk, Tally(village.name)).add(check, today)
        order[village.pk] = (village.order, village.pk)
    return {
        "towns": list(towns.values()),
        "villages": [villages[pk] for pk in sorted(villages, key=order.__getitem__)],
    }


def checks_for_sample(*, sample: SpotCheckSample, user: User) -> QuerySet[SpotCheck]:
    return (
        checks_visible_to(user=user)
        .filter(sample=sample)
        .select_related("case", "household__village__town", "checked_by")
        .order_by("household__village__order", "household__village_id", "case_id")
    )


def export_xlsx(*, sample: SpotCheckSample, checks: Sequence[SpotCheck]) -> bytes:
    tallies = results(checks=checks)
    detail = [
        [
            c.household.village.name,
            c.household.head_name,
            c.case_id,
            c.get_selection_display(),
            c.heard_on,
            c.heard_report,
            "、".join(label for name, label in DOCUMENTS if getattr(c, name)),
            c.documents_note,
            c.seen_housing,
            c.seen_living,
            c.seen_assets,
            c.seen_income,
            c.seen_occupation,
            c.neighbours_visited,
            c.neighbours_said,
            c.conclusion or "待核查",
            c.rectification,
            c.rectification_due,
            c.rectified_on,
            c.rectification_report,
            c.state,
        ]
        for c in checks
    ]
    return write_xlsx(
        [
            SheetSpec("按乡镇", ["乡镇", *RESULT_HEADER[1:]], [t.row() for t in tallies["towns"]]),
            SheetSpec("按村(社区)", RESULT_HEADER, [t.row() for t in tallies["villages"]]),
            SheetSpec(
                "抽查明细",
                [
                    "村(社区)",
                    "户主",
                    "案件编号",
                    "抽取方式",
                    "核查日期",
                    "听：汇报情况",
                    "查：已查证件",
                    "查：资料核查情况",
                    "看：住房",
                    "看：生活水平",
                    "看：财产",
                    "看：收入来源",
                    "看：职业",
                    "访：走访邻居",
                    "访：邻居反映",
                    "结论",
                    "整改要求",
                    "整改期限",
                    "整改完成日期",
                    "整改情况",
                    "状态",
                ],
                detail,
            ),
        ]
    )


def spot_check_work_items(*, user: User) -> list[WorkItem]:
    """The district's worklist: drawn spot checks without a conclusion, per sample (1 query)."""
    if not can_draw(user=user):
        return []
    rows = (
        checks_visible_to(user=user)
        .filter(conclusion="")
        .order_by()
        .values("sample_id", "sample__campaign__name")
        .annotate(n=Count("pk"))
    )
    return [
        WorkItem(
            section="抽查",
            action=f"抽查待核查（{row['sample__campaign__name'] or '样本'}）",
            village="",
            count=row["n"],
            url=reverse("review:dynamic:sample", args=[row["sample_id"]]),
            order=800,
        )
        for row in rows
    ]
