"""Printable label sheets for bags, boxes and cabinets, each with its code and a QR code.

A bag's QR code opens the household's page (login still required: the code
carries only the URL, no personal data); a box's or cabinet's opens the archive
home at that village. URLs are absolute, from settings.ARCHIVES_BASE_URL
(default http://127.0.0.1:8000), since a phone scanning a label knows no host.
"""

from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.urls import reverse

from archives.documents.locations import locations_sync
from archives.models import Bag, Box, Cabinet
from households.selectors import households_visible_to, villages_visible_to
from kanjia.pdf import STATIC_DIR, render_pdf

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# One request renders at most this many bag labels (about 50 ms each); larger runs go village by village.
MAX_BAG_LABELS = 600
LEVELS = {"bag": "档案袋", "box": "档案盒", "cabinet": "档案柜"}
LABELS_CSS = STATIC_DIR / "pdf" / "labels.css"


@dataclass(frozen=True)
class Label:
    code: str
    title: str
    subtitle: str
    url: str
    qr: str  # data: URI of a PNG

    @classmethod
    def make(cls, *, code: str, title: str, subtitle: str, url: str) -> "Label":
        # Error level M survives a scuffed label; scale 5 keeps modules crisp in print.
        qr = segno.make(url, error="m", micro=False).png_data_uri(scale=5, border=4)
        return cls(code=code, title=title, subtitle=subtitle, url=url, qr=qr)


def base_url() -> str:
    return str(getattr(settings, "ARCHIVES_BASE_URL", DEFAULT_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def household_url(household_id: int) -> str:
    return base_url() + reverse("households:detail", args=[household_id])


def village_url(village_id: int, box_number: int | None = None) -> str:
    url = f"{base_url()}{reverse('archives:index')}?village={village_id}"
    return url if box_number is None else f"{url}#box-{box_number}"


def labels_for(*, user: AbstractBaseUser, level: str, village_id: int | None = None) -> list[Label]:
    """The labels of one level within the user's villages (optionally one village), codes brought in step first."""
    households = households_visible_to(user=user)
    villages = villages_visible_to(user=user)
    if village_id:
        households = households.filter(village_id=village_id)
        villages = villages.filter(pk=village_id)
    locations_sync(household_ids=households.values("pk"), by=user)
    if level == "bag":
        bags = (
            Bag.objects.filter(household__in=households)
            .select_related("household__village", "box")
            .order_by("box__cabinet__village__order", "box__number", "number")
        )
        return [
            Label.make(
                code=bag.code,
                title=f"户主：{bag.household.head_name or '（未填）'}",
                subtitle=f"{bag.household.village.name} {bag.box.number or '未分'}组",
                url=household_url(bag.household_id),
            )
            for bag in bags
        ]
    if level == "box":
        boxes = (
            Box.objects.filter(cabinet__village__in=villages)
            .select_related("cabinet__village")
            .annotate(bag_count=Count("bags"))
            .order_by("cabinet__village__order", "number")
        )
        return [
            Label.make(
                code=box.code,
                title=f"{box.cabinet.village.name} {box.number or '未分'}组",
                subtitle=f"档案盒（{box.bag_count} 袋）",
                url=village_url(box.cabinet.village_id, box.number),
            )
            for box in boxes
        ]
    cabinets = Cabinet.objects.filter(village__in=villages).select_related("village").order_by("village__order")
    return [
        Label.make(code=c.code, title=c.village.name, subtitle="档案柜", url=village_url(c.village_id))
        for c in cabinets
    ]


def labels_pdf(*, labels: list[Label], level: str) -> bytes:
    return render_pdf(
        template="archives/documents/labels_pdf.html",
        context={"labels": labels, "level_name": LEVELS[level], "office": settings.OFFICE},
        stylesheets=(Path(LABELS_CSS),),
    )
