"""Objects for the scope sweep's town-office rules URLs (tests/test_scope_sweep.py).

Standards, categories and property rules are town-wide settings of village B's
town, not village data: only the town-wide roles open their pages (audience),
and only the town office changes them. The standard starts in two months, so the
town officer may still change or delete it (the control).
"""

from datetime import timedelta

from django.utils import timezone

from tests.factories import CategoryFactory, PropertyRuleFactory, StandardFactory


def future_standard(w) -> dict:
    standard = StandardFactory(town=w.village_b.town, effective_from=timezone.localdate() + timedelta(days=60))
    return {"pk": standard.pk}


def standard_payload(w, fields: dict) -> dict:
    return {**fields, "monthly_amount": "999.00"}


def category(w) -> dict:
    """A category no household uses: the town officer's removal deletes it."""
    return {"pk": CategoryFactory(town=w.village_b.town, name="越权测试类别").pk}


def category_payload(w, fields: dict) -> dict:
    return {**fields, "extra_amount": "88.00"}


def property_rule(w) -> dict:
    return {"pk": PropertyRuleFactory(town=w.village_b.town).pk}


def property_rule_payload(w, fields: dict) -> dict:
    return {**fields, "max_quantity": "3"}


def id_conflict(w) -> dict:
    """Team B was told that a number of its village's household is registered elsewhere (issue 16)."""
    from households.models import IdConflict

    conflict = IdConflict.objects.create(
        user=w.team_member_b,
        source=IdConflict.Source.FORM,
        id_number=w.member_b.id_number,
        holder=w.member_b,
        village=w.village_b,
    )
    return {"pk": conflict.pk}
