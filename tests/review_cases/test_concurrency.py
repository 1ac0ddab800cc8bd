"""Two district officers approve the same case at the same moment (PostgreSQL only:
SQLite serialises whole-database writes and ignores SELECT ... FOR UPDATE)."""

import threading

import pytest
from django.db import connection, connections

from review.cases.workflow import TransitionError, case_advance
from review.models import Case, CaseStep, Status
from tests.review_cases.conftest import district_data, drive

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_approvals_one_wins(case, crew, town_officer, district_officer, second_district_officer):
    if connection.vendor != "postgresql":
        reason = "并发审批测试需要 PostgreSQL（SQLite 不支持 SELECT ... FOR UPDATE）"
        print(reason)
        pytest.skip(reason)
    case = drive(case, Status.DISTRICT_APPROVAL, crew, town=town_officer)
    household_history = case.household.history.count()
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def approve(user):
        try:
            barrier.wait(timeout=10)
            results[user.username] = case_advance(case=case, action="approve", by=user, data=district_data())
        except TransitionError as exc:
            results[user.username] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (district_officer, second_district_officer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    won = [r for r in results.values() if isinstance(r, Case)]
    lost = [r for r in results.values() if isinstance(r, TransitionError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "办结" in lost[0].text
    assert CaseStep.objects.filter(case=case, action="approve").count() == 1
    assert Case.objects.get(pk=case.pk).status == Status.DONE
    assert case.household.history.count() == household_history + 1
