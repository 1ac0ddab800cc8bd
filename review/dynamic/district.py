"""全区月上报: the district's monthly report, every town's 月上报 grouped and totalled by town.

One town's 月上报 stays interactive (review.dynamic.monthly). The district's runs as a Celery job
(`review.district_monthly_report`, sent with delay_on_commit) whose row shows progress by towns:
towns are read CHUNK at a time with `monthly.figures_of` (a fixed number of queries per chunk,
whatever the number of villages), then one Excel (a 小计 row per town and a 全区合计 row) and one
PDF (one row per town: a district PDF never grows with the number of villages) are written.
The job is idempotent: a second delivery of a job already taken, finished or failed does nothing.
"""

import logging
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from households.models import ReviewFlag
from households.selectors import is_district_wide, towns_visible_to
from kanjia import roles
from kanjia.pdf import render_pdf
from kanjia.xlsx import SheetSpec, write_xlsx
from review.dynamic import monthly
from review.dynamic.services import month_start
from review.models import DistrictMonthlyReport

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)
CHUNK = 20  # towns read together: bounded memory and queries, and a progress step per chunk
Status = DistrictMonthlyReport.Status


def can_read_district(*, user: User) -> bool:
    """The district's roles (区民政局, 区纪委) read the district report."""
    return is_district_wide(user=user)


def can_start_district(*, user: User) -> bool:
    return is_district_wide(user=user) and not roles.is_read_only(user)


def district_reports_visible_to(*, user: User) -> QuerySet[DistrictMonthlyReport]:
    if not can_read_district(user=user):
        return DistrictMonthlyReport.objects.none()
    return DistrictMonthlyReport.objects.select_related("requested_by")


def district_report_start(*, month: date, by: AbstractBaseUser) -> DistrictMonthlyReport:
    """Queue the district report of `month` (a job already queued or running for it is reused)."""
    from review.tasks import district_monthly_report

    if not can_start_district(user=by):
        raise PermissionDenied("全区月报由区民政局生成。")
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError({"month": "不能生成未来月份的月报。"})
    running = DistrictMonthlyReport.objects.filter(month=month, status__in=[Status.QUEUED, Status.RUNNING])
    with transaction.atomic():
        found = running.first()
        if found:
            return found
        try:
            with transaction.atomic():
                job = DistrictMonthlyReport.objects.create(month=month, requested_by=by)
        except IntegrityError:
            return running.get()
        district_monthly_report.delay_on_commit(job.pk)
    return job


def run_district_report(*, job_id: int) -> None:
    with transaction.atomic():
        job = (
            DistrictMonthlyReport.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=job_id)
        )
        if job.status != Status.QUEUED:
            return  # delivered twice: the first delivery owns it
        towns = list(towns_visible_to(user=job.requested_by).order_by("code"))
        job.status, job.total, job.done = Status.RUNNING, len(towns), 0
        job.save(update_fields=["status", "total", "done"])
    try:
        sections = []
        for start in range(0, len(towns), CHUNK):
            chunk = towns[start : start + CHUNK]
            found = monthly.figures_of(towns=chunk, month=job.month)
            sections += [{"town_id": t.pk, "town": t.name, "code": t.code, **found[t.pk]} for t in chunk]
            job.done = start + len(chunk)
            DistrictMonthlyReport.objects.filter(pk=job.pk).update(done=job.done)
        job.figures = combine(sections, month=job.month)
        stem = f"{job.month:%Y-%m}-全区月报"
        job.xlsx.save(f"{stem}.xlsx", ContentFile(district_xlsx(job.figures)), save=False)
        context = {**district_context(job=job), "printed_at": timezone.now()}
        job.pdf.save(
            f"{stem}.pdf",
            ContentFile(
                render_pdf(template="review/dynamic/district_pdf.html", context=context, stylesheets=(monthly.PDF_CSS,))
            ),
            save=False,
        )
    except Exception as exc:  # the page says it failed; the worker log has the traceback
        logger.exception("district monthly report failed (job %s)", job_id)
        job.status, job.error, job.finished_at = Status.FAILED, f"生成失败：{type(exc).__name__}", timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    job.status, job.finished_at = Status.DONE, timezone.now()
    job.save()


def combine(sections: list[dict], *, month: date) -> dict:
    """The district figures: each town's section (its villages and its 小计) and the 全区合计."""
    month = month_start(month)
    counts: dict[str, int] = {}
    grace_households, grace_amount = 0, Decimal("0")
    for section in sections:
        for stop in section["stops_by_reason"]:
            counts[stop["kind"]] = counts.get(stop["kind"], 0) + stop["count"]
        grace_households += section["grace"]["households"]
        grace_amount += Decimal(section["grace"]["amount"])
    return {
        "month": month.isoformat(),
        "towns": sections,
        "totals": monthly.sum_rows([s["totals"] for s in sections]),
        "stops_by_reason": [
            {"kind": kind, "label": label, "count": counts.get(kind, 0)} for kind, label in ReviewFlag.Kind.choices
        ],
        "grace": {"households": grace_households, "amount": monthly.money(grace_amount)},
    }


def _row(label: str, r: dict) -> list:
    return monthly.table_rows({"villages": [{**r, "village": label}]}, total=False)[0]


def town_rows(data: dict) -> list[list]:
    """One row per town (its 小计) and the 全区合计 row."""
    return [*(_row(s["town"], s["totals"]) for s in data["towns"]), _row("全区合计", data["totals"])]


def detail_rows(data: dict) -> list[list]:
    """Town, village, figures: each town's villages, then its 小计; the 全区合计 last."""
    out = []
    for section in data["towns"]:
        out += [[section["town"], *row] for row in monthly.table_rows({**section, "totals": None}, total=False)]
        out.append([section["town"], *_row("小计", section["totals"])])
    out.append(["全区", *_row("合计", data["totals"])])
    return out


TOWN_HEADER = ["乡镇(街道)", *monthly.TABLE_HEADER[1:]]


def district_xlsx(data: dict) -> bytes:
    return write_xlsx(
        [
            SheetSpec("各镇汇总", TOWN_HEADER, town_rows(data)),
            SheetSpec("各村明细", ["乡镇(街道)", *monthly.TABLE_HEADER], detail_rows(data)),
            SheetSpec("停保原因", ["停保原因", "户数"], [[s["label"], s["count"]] for s in data["stops_by_reason"]]),
            SheetSpec(
                "渐退期",
                ["乡镇(街道)", "渐退期户数", "渐退期月发放金额(元)"],
                [
                    *([s["town"], s["grace"]["households"], Decimal(s["grace"]["amount"])] for s in data["towns"]),
                    ["全区合计", data["grace"]["households"], Decimal(data["grace"]["amount"])],
                ],
            ),
        ]
    )


def district_context(*, job: DistrictMonthlyReport) -> dict:
    data = job.figures or {}
    sections = [
        {
            "town": s["town"],
            "rows": monthly.table_rows({**s, "totals": None}, total=False),
            "subtotal": _row("小计", s["totals"]),
        }
        for s in data.get("towns", [])
    ]
    return {
        "report": job,
        "data": data,
        "header": monthly.TABLE_HEADER,
        "town_header": TOWN_HEADER,
        "town_rows": town_rows(data) if data else [],
        "sections": sections,
        "total_row": _row("全区合计", data["totals"]) if data else None,
    }
