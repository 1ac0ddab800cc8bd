"""Objects in village B for the scope sweep's publicity URLs (tests/test_scope_sweep.py).

Rows are made directly (a campaign case of household_b at 民主评议 in a round of
village B); notice files are written under settings.MEDIA_ROOT like any file.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from publicity import notices
from publicity.models import GenerationJob, Objection, PublicityRound, RoundCase
from review.models import Campaign, Case, Status


def _today() -> str:
    return timezone.localdate().isoformat()


def _round(w, *, status: str = PublicityRound.Status.OPEN) -> PublicityRound:
    campaign, _ = Campaign.objects.get_or_create(
        name="扫描用专项行动",
        town=w.village_b.town,
        defaults={"scope_date": timezone.localdate(), "created_by": w.town_officer},
    )
    case, _ = Case.objects.get_or_create(
        household=w.household_b, campaign=campaign, defaults={"kind": Case.Kind.RECHECK, "status": Status.APPRAISAL}
    )
    start = timezone.localdate() - timedelta(days=10)
    publicity_round = PublicityRound.objects.create(
        campaign=campaign,
        village=w.village_b,
        number=1,
        status=status,
        prepared_by=w.town_officer,
        starts_on=None if status == PublicityRound.Status.DRAFT else start,
        ends_on=None if status == PublicityRound.Status.DRAFT else start + timedelta(days=6),
    )
    RoundCase.objects.create(round=publicity_round, case=case)
    w.publicity_case = case
    return publicity_round


def open_round(w) -> dict:
    return {"pk": _round(w).pk}


def photo_round(w) -> dict:
    """An open round of village B with a posting photo (a PNG signature is all the photo view checks)."""
    publicity_round = _round(w)
    publicity_round.posted_photo.save("sweep.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), save=True)
    return {"pk": publicity_round.pk}


def draft_round(w) -> dict:
    return {"pk": _round(w, status=PublicityRound.Status.DRAFT).pk}


def open_payload(w, fields: dict) -> dict:
    return {"starts_on": _today(), "days": 7, "paper": "A4"}


def posting_payload(w, fields: dict) -> dict:
    return {"posted_on": _today(), "posted_place": "越权登记的张贴地点"}


def correct_payload(w, fields: dict) -> dict:
    return {"starts_on": (timezone.localdate() - timedelta(days=12)).isoformat(), "reason": "越权更正"}


def period(w) -> dict:
    return {"campaign_pk": _round(w).campaign_id}


def period_payload(w, fields: dict) -> dict:
    return {f"c{_round_campaign(w)}-days": "9"}


def _round_campaign(w) -> int:
    return Campaign.objects.get(name="扫描用专项行动").pk


def objection_payload(w, fields: dict) -> dict:
    return {
        "case": w.publicity_case.pk,
        "received_on": _today(),
        "channel": "电话",
        "anonymous": "on",
        "content": "越权",
    }


def objection(w) -> dict:
    publicity_round = _round(w)
    found = Objection.objects.create(
        round=publicity_round,
        case=w.publicity_case,
        received_on=timezone.localdate(),
        channel=Objection.Channel.PHONE,
        anonymous=True,
        content="扫描用异议",
        registered_by=w.town_officer,
    )
    return {"pk": found.pk}


def handle_payload(w, fields: dict) -> dict:
    return {
        "investigation": "越权",
        "result": "不成立",
        "reply": "越权",
        "replied_on": _today(),
        "investigated_on": _today(),
        "investigators": [w.town_officer.pk],
    }


def generate(w) -> dict:
    return {"campaign_pk": _round(w).campaign_id, "number": 1}


def job(w) -> dict:
    publicity_round = _round(w)
    found = GenerationJob.objects.create(campaign=publicity_round.campaign, number=1, requested_by=w.town_officer)
    return {"pk": found.pk}


def combined(w) -> dict:
    publicity_round = _round(w)
    rendered = notices.combine([notices.render_round(round=publicity_round, keep=True).document])
    found = notices.store_combined(campaign=publicity_round.campaign, number=1, rendered=rendered, by=w.town_officer)
    return {"pk": found.pk}


def board(w) -> dict:
    notices.store_board(village=w.village_b, by=w.town_officer)
    return {"village_pk": w.village_b.pk}


def village(w) -> dict:
    return {"village_pk": w.village_b.pk}
