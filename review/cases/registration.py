"""The printed 清理核实登记表: what it says, rendered once for the page's print and for the archive.

The form carries the seed's whole team work: the investigation's findings, the
democratic appraisal's result, the 第一榜 publicity outcome, and the household's
members with those who died or moved out marked (with dates). The publicity lines
come from `publicity` through `register_publicity_reader` (review does not import
publicity); a case without a reader (or without a round) says so.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from households.idcard import mask
from households.models import Member
from kanjia.pdf import render_pdf
from review.models import Appraisal, Case, RegistrationForm

TEMPLATE = "review/cases/registration_pdf.html"

# reader(*, case) -> list[str]: the 第一榜 publicity outcome of the case, as lines for the form.
PublicityReader = Callable[..., list[str]]
_publicity_readers: list[PublicityReader] = []


def register_publicity_reader(reader: PublicityReader) -> PublicityReader:
    if reader not in _publicity_readers:
        _publicity_readers.append(reader)
    return reader


@dataclass(frozen=True)
class MemberRow:
    member: Member
    masked_id: str
    mark: str  # 已死亡（2026-10-01） / 已迁出（2026-09-15） / ""


def member_mark(member: Member) -> str:
    marks = []
    if member.died_on:
        marks.append(f"已死亡（{member.died_on:%Y-%m-%d}）")
    if member.moved_out_on:
        marks.append(f"已迁出（{member.moved_out_on:%Y-%m-%d}）")
    return "；".join(marks)


def appraisal_lines(case: Case) -> list[str]:
    """The democratic appraisal's result as printed (or why there is none)."""
    if not case.appraisal_required:
        return ["本次行动不设民主评议（入户调查后签字上交）。"]
    appraisal = Appraisal.objects.filter(case=case).first()
    if appraisal is None:
        return ["尚未进行民主评议。"]
    total = appraisal.town_cadres + appraisal.village_committee + appraisal.party_reps + appraisal.villager_reps
    lines = [
        f"评议日期：{appraisal.held_on:%Y年%m月%d日}；地点：{appraisal.place}；主持人：{appraisal.chair}",
        f"参会 {total} 人（其中村民代表 {appraisal.villager_reps} 人）；同意 {appraisal.votes_agree} 票，"
        f"不同意 {appraisal.votes_disagree} 票，弃权 {appraisal.votes_abstain} 票",
        f"评议结果：{appraisal.get_result_display()}",
    ]
    if appraisal.completed_at is None:
        lines.append("（评议结果尚未提交，未列入第一榜公示）")
    return lines


def publicity_lines(case: Case) -> list[str]:
    if not case.appraisal_required:
        return ["不设第一榜公示（本次行动不设民主评议）。"]
    lines = [line for reader in _publicity_readers for line in reader(case=case)]
    return lines or ["尚未进行第一榜公示。"]


def registration_context(*, case: Case) -> dict:
    """Everything the printed 登记表 shows (the form must exist)."""
    form = (
        RegistrationForm.objects.filter(case=case)
        .select_related("leader_signed_by", "cadre_signed_by", "village_cadre_signed_by")
        .get()
    )
    household = case.household
    members = [MemberRow(m, mask(m.id_number), member_mark(m)) for m in household.members.all()]
    return {
        "case": case,
        "household": household,
        "members": members,
        "form": form,
        "appraisal_lines": appraisal_lines(case),
        "publicity_lines": publicity_lines(case),
        "printed_at": timezone.localtime(),
    }


def registration_pdf(*, case: Case) -> bytes:
    """The 登记表 as a PDF (what the archive files on the third signature)."""
    return render_pdf(template=TEMPLATE, context=registration_context(case=case))
