"""Public notices as PDFs: round notices, fixed boards, the policy sheet.

Privacy by construction (S21§24, DOMAIN.md §2): a notice row is a `NoticeRow`,
built from an explicit whitelist of source columns read with `.values()`. No
model instance reaches a public template, so an ID number, phone, health,
illness, disability or income detail cannot appear even by a template mistake.

Rendering uses `kanjia.pdf`'s safe pieces (bundled font, static-only fetcher,
base print CSS) but keeps WeasyPrint's `Document` so that page counts are known
and per-village documents can be joined into one combined file, each village
keeping its own 第 N 页 / 共 M 页.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration

from households.models import Household, Village
from households.towns.selectors import office_of
from kanjia.pdf import BASE_CSS, STATIC_DIR, StaticOnlyFetcher
from publicity.models import NoticeFile, PolicySheet, PublicityRound
from publicity.rounds import NUMERALS
from review.models import Campaign, Outcome

NOTICE_CSS = STATIC_DIR / "pdf" / "publicity.css"

# The only columns a public notice has (S21§24: name, household size, amount, plus village/group).
WHITELIST = ("序号", "村组", "户主姓名", "保障人数", "月保障金额", "变动情况")
BOARD_COLUMNS = WHITELIST[:-1]
CHANGES = (Outcome.KEEP, Outcome.ADJUST, Outcome.STOP, Outcome.ADMIT)

# Source columns read per round; `_row` turns them into whitelisted values.
_PLACE = ("case__household__village__name", "case__household__group__number", "case__household__group__name")
_HOUSEHOLD = (
    "case__household__head_name",
    "case__household__covered_persons",
    "case__household__base_amount",
    "case__household__extra_amount",
)
_DECISION = {
    1: ("case__investigation__recommended_outcome", "case__investigation__recommended_amount"),
    2: ("case__town_review__proposed_outcome", "case__town_review__proposed_amount"),
    3: ("case__district_approval__outcome", None),
}
_APPROVED = ("case__district_approval__base_amount", "case__district_approval__extra_amount")

DEFAULT_POLICY = (
    "城乡最低生活保障政策宣传",
    "\n".join(
        [
            "一、共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产状况符合规定的，可以申请最低生活保障。",
            "二、申请以家庭为单位，由共同生活的家庭成员向户籍所在地乡镇人民政府（街道办事处）提出书面申请。",
            "三、申请人应当如实提供家庭收入、财产等情况，并签署诚信承诺书和家庭经济状况核对授权书。",
            "四、审核确认结果在申请人所在村（社区）公示，公示期为7天；对公示有异议的，可以向乡镇民政办反映。",
            "五、最低生活保障家庭的人口、收入、财产状况发生变化的，应当及时告知乡镇人民政府（街道办事处）。",
            "六、采取虚报、隐瞒、伪造等手段骗取最低生活保障金的，停止发放，追回骗取的款项，并依法处理。",
        ]
    ),
)


@dataclass(frozen=True)
class NoticeRow:
    """One public row: exactly the WHITELIST columns and nothing else."""

    seq: int
    place: str
    head_name: str
    persons: int
    amount: Decimal | None
    change: str


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    rows: int
    document: Document | None = None


def _place(village: str, group_number: int | None, group_name: str | None) -> str:
    if group_number is None:
        return village
    return f"{village}{group_name or f'{group_number}组'}"


def _amount(change: str, proposed: Decimal | None, current: Decimal) -> Decimal | None:
    if change == Outcome.STOP:
        return None
    if change == Outcome.KEEP:
        return current
    return proposed if proposed is not None else current


def round_rows(*, round: PublicityRound) -> list[NoticeRow]:
    outcome_col, amount_col = _DECISION[round.number]
    columns = [*_PLACE, *_HOUSEHOLD, outcome_col, *([amount_col] if amount_col else _APPROVED)]
    values = (
        round.entries.values(*columns)
        .filter(**{f"{outcome_col}__in": CHANGES})
        .order_by("case__household__group__number", "case__household__head_name", "case_id")
    )
    rows = []
    for seq, v in enumerate(values, start=1):
        change = v[outcome_col]
        current = v["case__household__base_amount"] + v["case__household__extra_amount"]
        if amount_col:
            proposed = v[amount_col]
        else:
            proposed = (v[_APPROVED[0]] or Decimal("0")) + (v[_APPROVED[1]] or Decimal("0"))
        rows.append(
            NoticeRow(
                seq=seq,
                place=_place(*(v[c] for c in _PLACE)),
                head_name=v["case__household__head_name"],
                persons=v["case__household__covered_persons"],
                amount=_amount(change, proposed, current),
                change=change,
            )
        )
    return rows


def board_rows(*, village: Village) -> list[NoticeRow]:
    """The fixed board: every current recipient household of the village."""
    columns = ("village__name", "group__number", "group__name", "head_name", "covered_persons")
    values = (
        Household.objects.filter(village=village, status=Household.Status.ACTIVE)
        .values(*columns, "base_amount", "extra_amount")
        .order_by("group__number", "head_name", "pk")
    )
    return [
        NoticeRow(
            seq=seq,
            place=_place(v["village__name"], v["group__number"], v["group__name"]),
            head_name=v["head_name"],
            persons=v["covered_persons"],
            amount=v["base_amount"] + v["extra_amount"],
            change="",
        )
        for seq, v in enumerate(values, start=1)
    ]


# --- Titles and context ------------------------------------------------------------


def _cn_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def round_title(*, round: PublicityRound) -> str:
    village = round.village
    if round.campaign_id:
        year, kind = round.campaign.scope_date.year, round.campaign.kind
    else:
        year, kind = (round.starts_on or timezone.localdate()).year, "新申请"
    suffix = "（长期公示）" if round.number == 3 else ""
    return f"{village.town.name}{village.name}{year}年城乡低保{kind}第{NUMERALS[round.number]}榜公示{suffix}"


ROUND_INTRO = {
    1: "经入户调查、家庭经济状况核对和民主评议，现将调查评议结果公示如下：",
    2: "经镇人民政府审核，现将审核结果公示如下：",
    3: "经区民政局审批，现将最低生活保障对象长期公示如下：",
}


def round_period(*, round: PublicityRound) -> str:
    if round.starts_on is None:
        return f"公示期：{round.days}天（发布时确定起止日期）"
    if round.ends_on is None:
        return f"自{_cn_date(round.starts_on)}起长期公示"
    return f"公示期：{_cn_date(round.starts_on)}至{_cn_date(round.ends_on)}"


def _office(town=None) -> dict:
    office = office_of(town=town)  # each town's own office (issue 19)
    return {"name": office["name"], "phone": office["phone"], "address": office["address"]}


def round_context(*, round: PublicityRound, rows: list[NoticeRow] | None = None) -> dict:
    rows = round_rows(round=round) if rows is None else rows
    issued = round.opened_at.astimezone(timezone.get_current_timezone()).date() if round.opened_at else None
    return {
        "title": round_title(round=round),
        "intro": ROUND_INTRO[round.number],
        "period": round_period(round=round),
        "columns": WHITELIST,
        "rows": rows,
        "households": len(rows),
        "persons": sum(r.persons for r in rows),
        "office": _office(round.village.town),
        "issued_on": _cn_date(issued or timezone.localdate()),
        "draft": round.status == PublicityRound.Status.DRAFT,
        "paper": round.paper,
        "objections_open": round.number != 3,
    }


def board_context(*, village: Village, rows: list[NoticeRow] | None = None) -> dict:
    rows = board_rows(village=village) if rows is None else rows
    today = timezone.localdate()
    return {
        "title": f"{village.town.name}{village.name}城乡最低生活保障对象公示栏",
        "intro": f"截至{_cn_date(today)}，本村（社区）城乡最低生活保障对象如下：",
        "period": "长期公示",
        "columns": BOARD_COLUMNS,
        "rows": rows,
        "households": len(rows),
        "persons": sum(r.persons for r in rows),
        "office": _office(village.town),
        "issued_on": _cn_date(today),
        "draft": False,
        "paper": PublicityRound.Paper.A4,
        "objections_open": True,
        "board": True,
    }


def policy_context() -> dict:
    sheet = PolicySheet.objects.filter(active=True).first()
    title, body = (sheet.title, sheet.body) if sheet else DEFAULT_POLICY
    return {
        "title": title,
        "paragraphs": [line.strip() for line in body.splitlines() if line.strip()],
        "office": _office(),
        "issued_on": _cn_date(timezone.localdate()),
    }


# --- Rendering -----------------------------------------------------------------------


def render_document(html: str) -> Document:
    """Lay out `html` with the project's fonts, base CSS and notice CSS; nothing outside static/ loads."""
    fonts = FontConfiguration()
    fetcher = StaticOnlyFetcher()
    css = [CSS(filename=str(path), font_config=fonts, url_fetcher=fetcher) for path in (BASE_CSS, NOTICE_CSS)]
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.render(stylesheets=css, font_config=fonts)


def _render(template: str, context: dict, *, keep: bool = False) -> Rendered:
    document = render_document(render_to_string(template, context))
    rows = len(context.get("rows", ()))
    return Rendered(pdf=document.write_pdf(), pages=len(document.pages), rows=rows, document=document if keep else None)


def notice_html(*, round: PublicityRound) -> str:
    return render_to_string("publicity/pdf/notice.html", round_context(round=round))


def render_round(*, round: PublicityRound, keep: bool = False) -> Rendered:
    return _render("publicity/pdf/notice.html", round_context(round=round), keep=keep)


def render_board(*, village: Village) -> Rendered:
    return _render("publicity/pdf/notice.html", board_context(village=village))


def render_policy() -> Rendered:
    return _render("publicity/pdf/policy.html", policy_context())


def combine(documents: list[Document]) -> Rendered:
    """One file of several laid-out documents; each keeps its own page numbers."""
    pages = [page for document in documents for page in document.pages]
    return Rendered(pdf=documents[0].copy(pages).write_pdf(), pages=len(pages), rows=0)


# --- Stored files (idempotent: one row per round / combined / board / policy) ---------


def _filename(stem: str, pdf: bytes) -> str:
    return f"{stem}-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"


def _store(*, lookup: dict, stem: str, rendered: Rendered, by: AbstractBaseUser, **extra) -> NoticeFile:
    with transaction.atomic():
        notice = NoticeFile.objects.select_for_update().filter(**lookup).first() or NoticeFile(**lookup, **extra)
        old = notice.file.name if notice.file else ""
        notice.pages, notice.rows, notice.size, notice.generated_by = (
            rendered.pages,
            rendered.rows,
            len(rendered.pdf),
            by,
        )
        notice.file.save(_filename(stem, rendered.pdf), ContentFile(rendered.pdf), save=False)
        notice.save()
        if old and old != notice.file.name:
            # The old file goes once the new row is committed, so a failure never loses both.
            storage = notice.file.storage
            transaction.on_commit(lambda: storage.delete(old))
    return notice


def store_round(*, round: PublicityRound, by: AbstractBaseUser, rendered: Rendered | None = None) -> NoticeFile:
    rendered = rendered or render_round(round=round)
    stem = f"round-{round.pk}"
    return _store(
        lookup={"kind": NoticeFile.Kind.ROUND, "round": round},
        stem=stem,
        rendered=rendered,
        by=by,
        campaign_id=round.campaign_id,
        number=round.number,
        village_id=round.village_id,
    )


def store_combined(*, campaign: Campaign, number: int, rendered: Rendered, by: AbstractBaseUser) -> NoticeFile:
    return _store(
        lookup={"kind": NoticeFile.Kind.COMBINED, "campaign": campaign, "number": number},
        stem=f"campaign-{campaign.pk}-round-{number}",
        rendered=rendered,
        by=by,
    )


def store_board(*, village: Village, by: AbstractBaseUser) -> NoticeFile:
    return _store(
        lookup={"kind": NoticeFile.Kind.BOARD, "village": village},
        stem=f"board-{village.pk}",
        rendered=render_board(village=village),
        by=by,
    )


def store_policy(*, by: AbstractBaseUser) -> NoticeFile:
    return _store(lookup={"kind": NoticeFile.Kind.POLICY}, stem="policy", rendered=render_policy(), by=by)
