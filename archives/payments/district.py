"""全区发放花名册: the district's set of payment rolls for a month, built by a Celery job.

Each town generates its own roll (archives.payments.services.roll_generate, a financial record the
district does not write). The district's job takes each town's newest roll of the month and writes a
zip: one PDF per town and village (WeasyPrint holds a whole document in memory, about 250 MB per
1,000 rows, so a district or even a town PDF is never one document) and 全区汇总.xlsx (each village,
a 小计 per town, the 全区合计, and the towns without a roll for the month). The job's row shows
progress by PDFs written; it is idempotent (a second delivery of a job already taken does nothing).
"""

import logging
import tempfile
import zipfile
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from archives.models import DistrictRollExport, PaymentRoll, PaymentRollLine
from archives.payments import services as payments
from households.selectors import is_district_wide, towns_visible_to
from kanjia import roles
from kanjia.xlsx import SheetSpec, write_xlsx
from review.dynamic.services import add_months, month_start

User = AbstractBaseUser | AnonymousUser
Status = DistrictRollExport.Status
logger = logging.getLogger(__name__)
ZERO = Decimal("0")


def can_read_district_rolls(*, user: User) -> bool:
    return is_district_wide(user=user)


def can_start_district_rolls(*, user: User) -> bool:
    return is_district_wide(user=user) and not roles.is_read_only(user)


def district_rolls_visible_to(*, user: User) -> QuerySet[DistrictRollExport]:
    if not can_read_district_rolls(user=user):
        return DistrictRollExport.objects.none()
    return DistrictRollExport.objects.select_related("requested_by")


def district_roll_start(*, month: date, by: AbstractBaseUser) -> DistrictRollExport:
    """Queue the district's rolls of `month` (a job already queued or running for it is reused)."""
    from archives.payments.tasks import district_rolls

    if not can_start_district_rolls(user=by):
        raise PermissionDenied("全区发放花名册由区民政局汇总。")
    month = month_start(month)
    if month > add_months(month_start(timezone.localdate()), 1):
        raise ValidationError({"month": "不能汇总下月以后的发放花名册。"})
    running = DistrictRollExport.objects.filter(month=month, status__in=[Status.QUEUED, Status.RUNNING])
    with transaction.atomic():
        found = running.first()
        if found:
            return found
        try:
            with transaction.atomic():
                job = DistrictRollExport.objects.create(month=month, requested_by=by)
        except IntegrityError:
            return running.get()
        district_rolls.delay_on_commit(job.pk)
    return job


def newest_rolls(*, towns: QuerySet, month: date) -> QuerySet[PaymentRoll]:
    """Each town's newest roll of `month` (one query)."""
    newest = PaymentRoll.objects.filter(town=OuterRef("town"), month=month).order_by("-sequence").values("pk")[:1]
    return PaymentRoll.objects.filter(town__in=towns, month=month, pk=Subquery(newest)).select_related(
        "town", "generated_by"
    )


def village_parts(*, rolls: list[PaymentRoll]) -> list[dict]:
    """(roll, village) parts with their totals, in town and village order (one query)."""
    return list(
        PaymentRollLine.objects.filter(roll__in=rolls)
        .values("roll_id", "village_id", "village_name", "village__order")
        .annotate(households=Count("id"), persons=Sum("covered_persons"), total=Sum("total"))
        .order_by("roll__town__code", "village__order", "village_id")
    )


def run_district_roll(*, job_id: int) -> None:
    with transaction.atomic():
        job = DistrictRollExport.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=job_id)
        if job.status != Status.QUEUED:
            return  # delivered twice: the first delivery owns it
        towns = list(towns_visible_to(user=job.requested_by).order_by("code"))
        rolls = list(newest_rolls(towns=towns, month=job.month))
        parts = village_parts(rolls=rolls)
        job.status, job.total, job.done = Status.RUNNING, len(parts), 0
        job.save(update_fields=["status", "total", "done"])
    try:
        job.summary = summary(towns=towns, rolls=rolls, parts=parts)
        with tempfile.TemporaryFile() as tmp:
            # PDFs are compressed already: stored, not deflated (the workbook is small either way).
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
                _write_pdfs(job, archive, rolls, parts)
                archive.writestr("全区汇总.xlsx", summary_xlsx(job.summary))
            tmp.seek(0)
            job.file.save(f"{job.month:%Y-%m}-全区发放花名册.zip", File(tmp), save=False)
    except Exception as exc:  # the page says it failed; the worker log has the traceback
        logger.exception("district payment rolls failed (job %s)", job_id)
        job.status, job.error, job.finished_at = Status.FAILED, f"生成失败：{type(exc).__name__}", timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    job.status, job.finished_at = Status.DONE, timezone.now()
    job.save()


def _write_pdfs(job: DistrictRollExport, archive: zipfile.ZipFile, rolls: list[PaymentRoll], parts: list[dict]):
    by_id = {roll.pk: roll for roll in rolls}
    current, totals, diff = None, [], None
    for n, part in enumerate(parts, start=1):
        roll = by_id[part["roll_id"]]
        if roll is not current:  # a roll's totals and diff are read once, not once per village
            current = roll
            totals, diff = payments.roll_village_totals(roll=roll), payments.roll_diff(roll=roll)
        pdf = payments.roll_pdf(roll=roll, village_id=part["village_id"], totals=totals, diff=diff)
        folder = f"{roll.town.code}_{roll.town.name}_第{roll.sequence}版"
        archive.writestr(f"{folder}/{part['village__order']:03d}_{part['village_name']}.pdf", pdf)
        job.done = n
        if n % 5 == 0 or n == len(parts):
            DistrictRollExport.objects.filter(pk=job.pk).update(done=n)


def summary(*, towns: list, rolls: list[PaymentRoll], parts: list[dict]) -> dict:
    """Per town: its roll, its villages and its 小计; the 全区合计; the towns without a roll."""
    rolled = {roll.town_id: roll for roll in rolls}
    villages: dict[int, list[dict]] = {}
    for part in parts:
        villages.setdefault(part["roll_id"], []).append(
            {
                "village": part["village_name"],
                "households": part["households"],
                "persons": part["persons"] or 0,
                "total": str(part["total"] or ZERO),
            }
        )
    sections = []
    for town in towns:
        roll = rolled.get(town.pk)
        if roll is None:
            continue
        sections.append(
            {
                "town": town.name,
                "code": town.code,
                "roll": f"第{roll.sequence}版",
                "roll_id": roll.pk,
                "villages": villages.get(roll.pk, []),
                "totals": {"households": roll.households, "persons": roll.persons, "total": str(roll.total)},
            }
        )
    return {
        "towns": sections,
        "totals": {
            "households": sum(s["totals"]["households"] for s in sections),
            "persons": sum(s["totals"]["persons"] for s in sections),
            "total": str(sum((Decimal(s["totals"]["total"]) for s in sections), ZERO)),
        },
        "missing": [town.name for town in towns if town.pk not in rolled],
    }


def summary_rows(data: dict) -> list[list]:
    rows = []
    for s in data["towns"]:
        rows += [
            [s["town"], s["roll"], v["village"], v["households"], v["persons"], Decimal(v["total"])]
            for v in s["villages"]
        ]
        t = s["totals"]
        rows.append([s["town"], s["roll"], "小计", t["households"], t["persons"], Decimal(t["total"])])
    t = data["totals"]
    rows.append(["全区", "", "合计", t["households"], t["persons"], Decimal(t["total"])])
    return rows


def summary_xlsx(data: dict) -> bytes:
    header = ["乡镇(街道)", "花名册版次", "村(社区)", "户数", "人数", "合计(元)"]
    sheets = [SheetSpec("全区汇总", header, summary_rows(data))]
    if data["missing"]:
        sheets.append(SheetSpec("未生成花名册的乡镇", ["乡镇(街道)"], [[name] for name in data["missing"]]))
    return write_xlsx(sheets)
