"""The town an account that sees several towns picks on pages that work household by household.

At district scale (1,000,000 households) a page that builds a row per household for every town
(档案完整率: 20 s at 100,000 households; 分类施保变化: 12 s) outlasts the request. Such a page
lists the towns first and works one town at a time, as the district reads it anyway (issue 19).
"""

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from households.models import Town
from households.towns.selectors import towns_seen_by
from kanjia.forms import query_id


@dataclass(frozen=True)
class TownChoice:
    towns: list[Town]  # every town whose villages the account sees (towns_seen_by)
    town: Town | None  # the one chosen, or the only one

    @property
    def several(self) -> bool:
        return len(self.towns) > 1

    @property
    def pending(self) -> bool:
        """Several towns and none chosen yet: the page lists the towns."""
        return self.several and self.town is None

    @property
    def town_id(self) -> int | None:
        """The town to narrow the account's scope to: only when it spans several (else it is the town)."""
        return self.town.pk if self.several and self.town is not None else None

    @property
    def picker(self) -> list[Town]:
        """The towns to offer in the page's picker: none for an account of one town."""
        return self.towns if self.several else []


def town_choice(request: HttpRequest, *, village_town_id: int | None = None) -> TownChoice:
    """`?town=` among the towns the user sees (404 for any other), else the town of the chosen
    village, else the only town; no town when there are several and none is chosen."""
    towns = towns_seen_by(user=request.user)
    by_pk = {town.pk: town for town in towns}
    value = request.GET.get("town")
    if value:
        town = by_pk.get(query_id(value) or 0)
        if town is None:
            raise Http404("没有该乡镇(街道)。")
    elif village_town_id is not None:
        town = by_pk.get(village_town_id)
    else:
        town = towns[0] if len(towns) == 1 else None
    return TownChoice(towns=towns, town=town)
