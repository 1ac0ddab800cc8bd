"""Payment rolls: totals equal the sum of household amounts; each roll kept; regeneration shows differences."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from archives.models import PaymentRoll, PaymentRollLine
from archives.payments.services import roll_diff, roll_generate, roll_pdf, roll_village_totals, roll_xlsx
from households.models import Household
from tests.factories import CategoryFactory, HouseholdFactory

pytestmark = pytest.mark.django_db
THIS_MONTH = timezone.localdate().replace(day=1)
NEXT_MONTH = (THIS_MONTH + timedelta(days=32)).replace(day=1)


@pytest.fixture
def recipients(village_a, village_b):
    category = CategoryFactory(town=village_a.town, name="重度残疾")
    made = [
        HouseholdFactory(
            village=village_a, base_amount=Decimal("320.50"), extra_amount=Decimal("0"), covered_persons=2
        ),
        HouseholdFactory(
            village=village_a,
            base_amount=Decimal("410.00"),
            extra_amount=Decimal("60.00"),
            covered_persons=3,
            category=category,
        ),
        HouseholdFactory(
            village=village_b, base_amount=Decimal("199.99"), extra_amount=Decimal("30.01"), covered_persons=1
        ),
    ]
    # Not on the roll: stopped, applying, or admitted from a later month.
    HouseholdFactory(village=village_a, status=Household.Status.SUSPENDED, base_amount=Decimal("500"))
    HouseholdFactory(village=village_a, status=Household.Status.APPLYING, base_amount=Decimal("500"))
    HouseholdFactory(village=village_b, base_amount=Decimal("500"), start_month=NEXT_MONTH)
    return made


def test_totals_equal_the_sum_of_household_amounts(town_officer, recipients, village_a):
    roll = roll_generate(town=village_a.town, month=THIS_MONTH.replace(day=15), by=town_officer)
    assert roll.month == THIS_MONTH and roll.sequence == 1
    paid = Household.objects.filter(pk__in=[h.pk for h in recipients]).aggregate(
        n=Count("id"), persons=Sum("covered_persons"), base=Sum("base_amount"), extra=Sum("extra_amount")
    )
    assert (roll.households, roll.persons, roll.base_total, roll.extra_total) == (
        paid["n"],
        paid["persons"],
        paid["base"],
        paid["extra"],
    )
    assert roll.total == paid["base"] + paid["extra"] == Decimal("1020.50")
    lines = PaymentRollLine.objects.filter(roll=roll).aggregate(total=Sum("total"))
    assert lines["total"] == roll.total
    by_village = {t.village: t for t in roll_village_totals(roll=roll)}
    assert by_village["甲村"].total == Decimal("790.50") and by_village["甲村"].households == 2
    assert by_village["乙村"].total == Decimal("230.00")
    assert sum(t.total for t in by_village.values()) == roll.total


def test_regenerating_keeps_the_old_roll_and_shows_differences(town_officer, recipients, village_a, village_b):
    first = roll_generate(town=village_a.town, month=THIS_MONTH, by=town_officer)
    raised, stopped, _ = recipients
    raised.base_amount = Decimal("350.50")
    raised.save()
    stopped.status = Household.Status.SUSPENDED
    stopped.save()
    newcomer = HouseholdFactory(village=village_b, head_name="新户", base_amount=Decimal("100"))

    second = roll_generate(town=village_a.town, month=THIS_MONTH, by=town_officer)
    assert second.sequence == 2 and PaymentRoll.objects.filter(month=THIS_MONTH).count() == 2
    first.refresh_from_db()
    assert first.total == Decimal("1020.50") and first.lines.count() == 3  # unchanged
    diff = roll_diff(roll=second)
    assert diff.previous == first
    changes = {(c.household_id, c.kind) for c in diff.changes}
    assert changes == {(newcomer.pk, "新增"), (raised.pk, "金额变动"), (stopped.pk, "移出")}
    assert diff.total_change == second.total - first.total
    assert roll_diff(roll=first).previous is None

    workbook = load_workbook(io.BytesIO(roll_xlsx(roll=second)))
    assert workbook.sheetnames == ["发放花名册", "村汇总", "与上一版差异"]
    summary = [[c.value for c in row] for row in workbook["村汇总"].iter_rows()]
    assert summary[-1][0] == "全镇合计" and Decimal(str(summary[-1][-1])) == second.total
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(roll_pdf(roll=second))).pages)
    assert "发放花名册" in text and "新户" in text and "移出" in text and str(second.total) in text


def test_only_the_town_office_generates(district_officer, inspector, team_member_a, village_a):
    for user in (district_officer, inspector, team_member_a):
        with pytest.raises(PermissionDenied):
            roll_generate(town=village_a.town, month=THIS_MONTH, by=user)
    assert not PaymentRoll.objects.exists()
