"""Objects for the scope sweep's audit-trail URLs (tests/test_scope_sweep.py).

The trails are for 纪委监察 and 镇民政办 only; a household trail is also cut to
the reader's villages (both see every village).
"""


def household(w) -> dict:
    return {"pk": w.household_b.pk}


def user(w) -> dict:
    """Team member B: a user working in village B, whose trail shows what they did there."""
    return {"pk": w.team_member_b.pk}
