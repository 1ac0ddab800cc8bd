"""Households paid an amount other than their computation (issue 14): the household list, the
household page and 月上报 say how many, and the count follows registry and policy changes."""

import io
import time
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from households.models import Household, PaymentCheck
from households.paychecks.services import payment_checks_refresh
from households.policy.services import property_rule_create
from review.dynamic import monthly
from tests.factories import AssetFactory, HouseholdFactory, IncomeItemFactory, MemberFactory, StandardFactory
from tests.households.helpers import edit_post_data

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):
    """Tasks run in-process unless the test asks for the real worker (tests/conftest.py)."""
    yield


def make(village, name: str, *, paid: str, born: date, income: str | None = None, **kw) -> Household:
    """One co-resident member; with the 470 standard and no income the computation is 470.00."""
    household = HouseholdFactory(village=village, head_name=name, base_amount=Decimal(paid), **kw)
    head = MemberFactory(household=household, name=name, born=born)
    household.head = head
    household.save()
    if income:
        IncomeItemFactory(household=household, member=head, monthly_amount=Decimal(income))
    return household


@pytest.fixture
def registry(village_a, village_b):
    assert village_a.town == village_b.town  # one town, two villages
    StandardFactory(town=village_a.town, area="农村", monthly_amount=Decimal("470.00"))
    return {
        "as_computed": make(village_a, "按测算户", paid="470.00", born=date(1950, 1, 1)),
        "paid_more": make(village_a, "多发户", paid="500.00", born=date(1951, 2, 2)),
        # Per-capita income 480 ≥ 470: not eligible, computes to 0, yet paid: the 人情保 the count is for.
        "ineligible": make(village_b, "超标户", paid="300.00", born=date(1952, 3, 3), income="480.00"),
        "stopped": make(village_b, "已停保户", paid="999.00", born=date(1953, 4, 4), status=Household.Status.SUSPENDED),
    }


def list_names(response) -> list[str]:
    return [h.head_name for h in response.context["page"]]


def test_list_counts_and_filters_households_paid_other_than_computed(client, town_officer, registry):
    payment_checks_refresh()
    client.force_login(town_officer)
    page = client.get("/households/")
    summary = page.context["paid_off"]
    assert (summary.differing, summary.unchecked) == (2, 0)
    body = page.content.decode()
    assert "2</strong> 户现发金额与系统测算不一致" in body
    filtered = client.get("/households/", {"paid": "off"})
    assert sorted(list_names(filtered)) == ["多发户", "超标户"]
    # Side by side: what is paid and what the rules give.
    assert {h.head_name: (h.monthly_total, h.computed_total) for h in filtered.context["page"]} == {
        "多发户": (Decimal("500.00"), Decimal("470.00")),
        "超标户": (Decimal("300.00"), Decimal("0.00")),
    }
    assert "本月测算(元)" in filtered.content.decode()


def test_team_member_counts_only_their_villages(client, team_member_a, team_a, registry):
    payment_checks_refresh()
    client.force_login(team_member_a)
    page = client.get("/households/")
    assert page.context["paid_off"].differing == 1
    assert list_names(client.get("/households/", {"paid": "off"})) == ["多发户"]
    assert "立即测算" not in page.content.decode()
    assert client.post("/households/paychecks/refresh/").status_code == 403


def test_searches_and_filters_leave_out_the_registers_figures(client, team_member_a, team_a, registry):
    """The figures are the whole register's: on its overview and on ?paid=off, not above a search or a
    filter (the clerk is looking for someone; and not reading every household in care for each search)."""
    payment_checks_refresh()
    client.force_login(team_member_a)
    assert 'id="paid-off"' in client.get("/households/").content.decode()
    assert 'id="paid-off"' in client.get("/households/", {"paid": "off"}).content.decode()
    for params in ({"q": "多发"}, {"status": "在保"}, {"paid": "off", "q": "多发"}):
        page = client.get("/households/", params)
        assert page.context["paid_off"] is None
        assert 'id="paid-off"' not in page.content.decode()
    assert list_names(client.get("/households/", {"q": "多发"})) == ["多发户"]


def test_household_page_shows_computed_next_to_paid(client, town_officer, registry):
    client.force_login(town_officer)
    body = client.get(f"/households/{registry['paid_more'].pk}/").content.decode()
    assert 'id="paid-differs"' in body and "现发 500.00 元，与测算不一致" in body
    assert 'id="paid-differs"' not in client.get(f"/households/{registry['as_computed'].pk}/").content.decode()
    # Not in care: nothing is paid, nothing to compare.
    assert 'id="paid-differs"' not in client.get(f"/households/{registry['stopped'].pk}/").content.decode()


def test_editing_a_household_recomputes_its_check(client, town_officer, registry, django_capture_on_commit_callbacks):
    payment_checks_refresh()
    household = registry["as_computed"]
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{household.pk}/edit/"))
    # Income of 100 for the head: the computation drops to 370 while 470 is still paid.
    data.update(
        {
            "incomes-TOTAL_FORMS": "1",
            "incomes-0-member": str(household.head_id),
            "incomes-0-kind": "工资性收入",
            "incomes-0-monthly_amount": "100.00",
            "incomes-0-counted": "on",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/households/{household.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    check = PaymentCheck.objects.get(household=household)
    assert (check.base_amount, check.month) == (Decimal("370.00"), THIS_MONTH)
    assert client.get("/households/").context["paid_off"].differing == 3


def test_a_new_property_rule_recomputes_the_town(town_officer, registry, django_capture_on_commit_callbacks):
    payment_checks_refresh()
    household = registry["as_computed"]
    AssetFactory(household=household, kind="小轿车", quantity=1, value=Decimal("80000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        property_rule_create(
            town=household.village.town,
            name="不得拥有小轿车",
            kind="小轿车",
            max_quantity=0,
            max_value=None,
            by=town_officer,
        )
    check = PaymentCheck.objects.get(household=household)
    assert (check.eligible, check.base_amount) == (False, Decimal("0.00"))


def test_unchecked_households_are_said_and_the_office_computes_them_now(
    client, town_officer, registry, django_capture_on_commit_callbacks
):
    client.force_login(town_officer)
    page = client.get("/households/")
    assert page.context["paid_off"].unchecked == 3  # the three in care; never computed yet
    assert "另有 3 户尚未按本月条件测算" in page.content.decode() and "立即测算" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # embedded: the job runs in-process after commit
        response = client.post("/households/paychecks/refresh/", follow=True)
    assert "已开始按本月条件重新测算" in response.content.decode()
    summary = client.get("/households/").context["paid_off"]
    assert (summary.differing, summary.unchecked) == (2, 0)


def test_last_months_check_is_not_this_months(client, town_officer, registry):
    payment_checks_refresh(month=date(2020, 1, 1))
    client.force_login(town_officer)
    summary = client.get("/households/").context["paid_off"]
    assert (summary.differing, summary.unchecked) == (0, 3)


def test_monthly_report_counts_households_paid_other_than_computed(registry, village_a, village_b):
    report = monthly.generate_report(town=village_a.town, month=THIS_MONTH)
    sheet = openpyxl.load_workbook(io.BytesIO(report.xlsx.read()))["各村汇总"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    column = header.index("现发与测算不一致户数")
    shown = {row[0]: row[column] for row in rows}
    assert shown == {village_a.name: 1, village_b.name: 1, "合计": 2}


def test_monthly_report_agrees_with_the_list_and_reads_the_kept_computations(
    client, town_officer, registry, village_a, django_assert_max_num_queries
):
    """月上报 counts what the list page counts: the kept computation of the month where there is one
    (one grouped query however many households), a computation now only where there is none."""
    payment_checks_refresh()
    # The kept computation says 0 for the household paid as computed (as after a policy change the
    # night's refresh recorded): both the list and 月上报 now count it.
    PaymentCheck.objects.filter(household=registry["as_computed"]).update(base_amount=Decimal("0.00"))
    unchecked = make(village_a, "新录入户", paid="470.00", born=date(1954, 5, 5))  # no kept computation: computed now
    unchecked.base_amount = Decimal("1.00")
    unchecked.save()
    client.force_login(town_officer)
    assert client.get("/households/").context["paid_off"].differing == 3
    off = monthly.paid_off_by_village(town_id=village_a.town_id, month=THIS_MONTH)
    assert sum(off.values()) == 4 and off[village_a.pk] == 3
    for n in range(30):  # more kept households cost no more queries
        household = make(village_a, f"另户{n}", paid="1.00", born=date(1960, 1, 1))
        PaymentCheck.objects.create(household=household, month=THIS_MONTH, checked_at=timezone.now())
    with django_assert_max_num_queries(12):
        off = monthly.paid_off_by_village(town_id=village_a.town_id, month=THIS_MONTH)
    assert off[village_a.pk] == 33


@pytest.mark.django_db(transaction=True)
def test_compute_now_runs_on_a_real_worker(celery_worker_process, client, town_officer, registry):
    """Production: 立即测算 is a job for the Celery worker (PostgreSQL + Redis); the page then shows its result."""
    client.force_login(town_officer)
    client.post("/households/paychecks/refresh/")
    deadline = time.monotonic() + 60
    while PaymentCheck.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    summary = client.get("/households/").context["paid_off"]
    assert (summary.differing, summary.unchecked) == (2, 0)
