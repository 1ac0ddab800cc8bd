"""Two people save the same household at once: exactly one wins (PostgreSQL: row lock + version)."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from households import idcard
from households.models import Household
from households.services import HouseholdInput, household_create, household_update
from tests.factories import StandardFactory, VillageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite 不支持行锁（select_for_update），仅在 PostgreSQL 上测试"
)
def test_concurrent_edits_one_wins(town_officer):
    village = VillageFactory()
    StandardFactory(town=village.town)
    head = {
        "id": None,
        "name": "王大山",
        "id_number": idcard.generate(born=date(1950, 1, 1), male=True),
        "relation": "户主",
    }
    h = household_create(data=HouseholdInput(fields={"village": village}, members=[head]), by=town_officer)
    head_id = h.members.get().pk
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(address: str) -> None:
        try:
            barrier.wait()
            data = HouseholdInput(fields={"address": address}, members=[{"id": head_id, "relation": "户主"}])
            household_update(household=h, version=1, data=data, by=town_officer)
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(a,)) for a in ("甲地址", "乙地址")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1
    assert any("已被他人修改" in o for o in outcomes)
    h = Household.objects.get()
    assert h.version == 2 and h.address in ("甲地址", "乙地址")
