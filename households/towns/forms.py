"""Village pickers for accounts that see several towns (issue 19).

A district account picks among every village of the district (493 at 1,000,000 households), and two
towns may both have a 新村 or a 红星社区: each town's villages go in an <optgroup> named for the town.
An account that sees one town gets the plain list it always had.
"""

from collections.abc import Callable

from django import forms
from django.db.models import QuerySet

from households.models import Village


def town_groups(villages: QuerySet[Village], choice: Callable[[Village], tuple]) -> list[tuple]:
    """`choice(village)` for each village, in the queryset's order; grouped as (town name, [choices])
    by town (towns in the order they were created) when the villages span more than one town.
    One query; a list rather than `.iterator()`, which is a server-side cursor on PostgreSQL."""
    rows = list(villages.select_related("town"))
    if len({village.town_id for village in rows}) < 2:
        return [choice(village) for village in rows]
    groups: dict = {}
    for village in rows:
        groups.setdefault(village.town, []).append(choice(village))
    return [(town.name, items) for town, items in sorted(groups.items(), key=lambda item: item[0].pk)]


class TownGroupedIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from town_groups(self.queryset, self.choice)


class VillageChoiceField(forms.ModelChoiceField):
    """A village select; grouped by town for an account that sees several (validation is unchanged:
    the value must be in the queryset)."""

    iterator = TownGroupedIterator
