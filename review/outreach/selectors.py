"""Reads of policy outreach records: scoped by village like households; summed per village and kind."""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet, Sum

from households.selectors import villages_visible_to
from review.models import Outreach

User = AbstractBaseUser | AnonymousUser
KINDS = Outreach.Kind.values


def outreach_visible_to(*, user: User) -> QuerySet[Outreach]:
    return Outreach.objects.filter(village__in=villages_visible_to(user=user))


@dataclass
class OutreachLine:
    """One village (or the total): how many of each kind, and how many activities in all."""

    name: str
    village_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    activities: int = 0
    audience: int = 0

    @property
    def count_list(self) -> list[int]:
        return [self.counts[k] for k in KINDS]

    @property
    def summary(self) -> str:
        """ "宣传单发放 500份、标语 20条" (the kinds done)."""
        return "、".join(f"{k} {n}{Outreach.UNITS[k]}" for k, n in self.counts.items() if n)


@dataclass
class OutreachTotals:
    villages: list[OutreachLine]
    total: OutreachLine
    kinds: list[tuple[str, str]]  # (kind, unit)


def outreach_totals(*, user: User, campaign_id: int | None = None) -> OutreachTotals:
    """Per visible village and kind: the summed count, the number of activities and the audience (one query)."""
    records = outreach_visible_to(user=user)
    if campaign_id is not None:
        records = records.filter(campaign_id=campaign_id)
    rows = (
        records.values("village_id", "village__name", "village__order", "kind")
        .annotate(n=Sum("count"), activities=Count("pk"), audience=Sum("audience"))
        .order_by("village__order", "village_id", "kind")
    )
    villages: dict[int, OutreachLine] = {}
    total = OutreachLine("合计")
    for row in rows:
        line = villages.setdefault(row["village_id"], OutreachLine(row["village__name"], row["village_id"]))
        for target in (line, total):
            target.counts[row["kind"]] += row["n"] or 0
            target.activities += row["activities"]
            target.audience += row["audience"] or 0
    kinds = [(k, Outreach.UNITS[k]) for k in KINDS]
    return OutreachTotals(villages=list(villages.values()), total=total, kinds=kinds)


def outreach_list(*, user: User, campaign_id: int | None = None, village_id: int | None = None) -> QuerySet[Outreach]:
    records = outreach_visible_to(user=user).select_related("village", "campaign", "created_by")
    if campaign_id is not None:
        records = records.filter(campaign_id=campaign_id)
    if village_id is not None:
        records = records.filter(village_id=village_id)
    return records.order_by("-held_on", "-id")
