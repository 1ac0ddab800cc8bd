"""The town an account that sees several towns picks on pages that work household by household.

At district scale (1,000,000 households) a page that builds a row per household for every town
(档案完整率: 20 s at 100,000 households; 分类施保变化: 12 s) outlasts the request. Such a page
lists the towns first and works one town at a time, as the district reads it anyway (issue 19).
"""

from django.http import Http404, HttpRequest

from households.models import Town
from kanjia.forms import query_id


def chosen_town(request: HttpRequest, *, towns: list[Town], village_town_id: int | None = None) -> Town | None:
    """`?town=` among `towns` (404 for any other), else the town of the chosen village, else the only
    town; None when there are several and none is chosen."""
    by_pk = {town.pk: town for town in towns}
    value = request.GET.get("town")
    if not value and village_town_id is not None:
        return by_pk.get(village_town_id)
    if value:
        town = by_pk.get(query_id(value) or 0)
        if town is None:
            raise Http404("没有该乡镇(街道)。")
        return town
    return towns[0] if len(towns) == 1 else None
