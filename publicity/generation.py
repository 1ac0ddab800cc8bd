"""Generating every village's notice of one round for a campaign, as a Celery job.

`job_request` creates (or reuses) the job row and sends the task on commit; the
task calls `run_job`, which is idempotent: a job already done returns at once,
and each file is keyed (one per round, one combined per campaign and round), so
running twice replaces files instead of adding rows. The acting user comes from
the job row, never from a request (simple-history #780).
"""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from publicity import notices
from publicity.models import GenerationJob, PublicityRound
from publicity.rounds import NUMERALS, require_manager, rounds_applying
from review.models import Campaign

logger = logging.getLogger(__name__)
CURRENT = (PublicityRound.Status.DRAFT, PublicityRound.Status.OPEN)


def current_rounds(*, campaign: Campaign, number: int) -> QuerySet[PublicityRound]:
    """The draft or open round `number` of each village in the campaign (at most one per village)."""
    return (
        PublicityRound.objects.filter(campaign=campaign, number=number, status__in=CURRENT)
        .select_related("village__town", "campaign")
        .order_by("village__order", "village__name")
    )


def job_request(*, campaign: Campaign, number: int, by: AbstractBaseUser) -> GenerationJob:
    require_manager(by)
    if number not in rounds_applying(campaign=campaign):
        raise ValidationError(f"本次行动不设第{NUMERALS.get(number, number)}榜公示。")
    if not current_rounds(campaign=campaign, number=number).exists():
        raise ValidationError(f"本次行动还没有未结束的第{NUMERALS[number]}榜公示批次。")
    from publicity.tasks import generate_notices

    running = GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING
    with transaction.atomic():
        job = GenerationJob.objects.filter(campaign=campaign, number=number, status__in=running).first()
        if job is not None:
            return job
        try:
            with transaction.atomic():
                job = GenerationJob.objects.create(campaign=campaign, number=number, requested_by=by)
        except IntegrityError:
            # A concurrent click created it first.
            return GenerationJob.objects.get(campaign=campaign, number=number, status__in=running)
        generate_notices.delay_on_commit(job.pk)
    return job


def run_job(*, job_id: int) -> GenerationJob:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().select_related("campaign", "requested_by").get(pk=job_id)
        if job.status in (GenerationJob.Status.DONE, GenerationJob.Status.FAILED):
            return job
        job.status = GenerationJob.Status.RUNNING
        job.save(update_fields=["status"])
    try:
        rounds = list(current_rounds(campaign=job.campaign, number=job.number))
        job.total, job.done = len(rounds), 0
        job.save(update_fields=["total", "done"])
        documents = []
        for publicity_round in rounds:
            rendered = notices.render_round(round=publicity_round, keep=True)
            notices.store_round(round=publicity_round, by=job.requested_by, rendered=rendered)
            documents.append(rendered.document)
            job.done += 1
            job.save(update_fields=["done"])
        if documents:
            combined = notices.combine(documents)
            notices.store_combined(campaign=job.campaign, number=job.number, rendered=combined, by=job.requested_by)
        job.status, job.finished_at = GenerationJob.Status.DONE, timezone.now()
        job.save(update_fields=["status", "finished_at"])
    except Exception as error:
        logger.exception("publicity notice generation failed (job %s)", job_id)
        job.status, job.finished_at = GenerationJob.Status.FAILED, timezone.now()
        job.error = f"生成失败：{type(error).__name__}"
        job.save(update_fields=["status", "finished_at", "error"])
    return job
