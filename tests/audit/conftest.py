"""Audit fixtures: a little history in the registry and the access log."""

from decimal import Decimal

import pytest

from kanjia.access import log_access
from kanjia.models import AccessLog


@pytest.fixture(autouse=True)
def _settle_now(settings):
    # Seal everything already written (the production default waits 120 s).
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0


@pytest.fixture
def history(village_a, town_officer):
    """Two households with members, one amount change, two access-log rows."""
    from tests.factories import HouseholdFactory, MemberFactory

    households = []
    for n in range(2):
        household = HouseholdFactory(village=village_a, head_name=f"王{n}")
        MemberFactory(household=household, name=f"王{n}")
        households.append(household)
    household = households[0]
    household.base_amount = Decimal("420.00")
    household._history_user = town_officer
    household.save()
    log_access(request=None, user=town_officer, action=AccessLog.Action.REVEAL_ID, obj=household, detail="查看")
    log_access(request=None, user=town_officer, action=AccessLog.Action.EXPORT, detail="导出")
    return households


# The pipeline helpers, for audit pages that show a case's trail (tests/audit/test_plain_chinese.py).
from tests.review_cases.conftest import campaign, crew  # noqa: E402, F401 - fixtures re-exported
