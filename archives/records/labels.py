"""Labels for the town's own cabinets and boxes (室-柜-盒), on the same sheet as the bags' labels.

A box's QR code opens the box's page (login still required; the code carries only the URL).
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.urls import reverse

from archives.documents.labels import LABELS_CSS, Label, base_url
from archives.records.selectors import boxes_visible_to, cabinets_visible_to
from kanjia.pdf import render_pdf

LEVELS = {"box": "镇级档案盒", "cabinet": "镇级档案柜"}


def record_labels(*, user: AbstractBaseUser, level: str) -> list[Label]:
    if level == "box":
        boxes = (
            boxes_visible_to(user=user)
            .select_related("cabinet")
            .annotate(n=Count("documents"))
            .order_by("cabinet__file", "number")
        )
        return [
            Label.make(
                code=box.code,
                title=box.title,
                subtitle=f"{box.cabinet.get_file_display()} · {box.year}年 · {box.n} 件",
                url=base_url() + reverse("archives:record_box", args=[box.pk]),
            )
            for box in boxes
        ]
    return [
        Label.make(
            code=cabinet.code,
            title=f"{cabinet.get_file_display()}柜",
            subtitle="镇档案室",
            url=base_url() + reverse("archives:records"),
        )
        for cabinet in cabinets_visible_to(user=user).order_by("file")
    ]


def record_labels_pdf(*, labels: list[Label], level: str) -> bytes:
    return render_pdf(
        template="archives/documents/labels_pdf.html",
        context={"labels": labels, "level_name": LEVELS[level], "office": settings.OFFICE},
        stylesheets=(LABELS_CSS,),
    )
