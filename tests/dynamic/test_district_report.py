"""全区月上报: one section per town with its 小计 and the 全区合计, built by a Celery job with progress."""

import io
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from review.dynamic import district, monthly
from review.dynamic.services import month_start
from review.models import DistrictMonthlyReport, MonthlyReport
from tests.factories import HouseholdFactory, TownFactory, VillageFactory

THIS_MONTH = month_start(timezone.localdate())


def _towns():
    """堪嘉镇 (two villages) and 丰裕镇 (one village), with households in care and one suspended."""
    kanjia = TownFactory()
    other = TownFactory(name="丰裕镇", code="512002111")
    a1, a2 = VillageFactory(town=kanjia, name="甲村"), VillageFactory(town=kanjia, name="乙村")
    b1 = VillageFactory(town=other, name="丰一村")
    for village, n, amount in ((a1, 3, "300.00"), (a2, 2, "410.50"), (b1, 4, "250.00")):
        for _ in range(n):
            HouseholdFactory(village=village, covered_persons=2, base_amount=Decimal(amount))
    HouseholdFactory(village=b1, status="暂停", covered_persons=5)
    return kanjia, other


def _check(job: DistrictMonthlyReport) -> None:
    assert job.status == DistrictMonthlyReport.Status.DONE, job.error
    assert (job.total, job.done, job.progress) == (2, 2, 100)
    towns = {s["town"]: s for s in job.figures["towns"]}
    assert list(towns) == ["堪嘉镇", "丰裕镇"]  # by town code
    assert [v["village"] for v in towns["堪嘉镇"]["villages"]] == ["甲村", "乙村"]
    assert [v["village"] for v in towns["丰裕镇"]["villages"]] == ["丰一村"]
    assert (towns["堪嘉镇"]["totals"]["households"], towns["堪嘉镇"]["totals"]["persons"]) == (5, 10)
    assert towns["堪嘉镇"]["totals"]["amount"] == "1721.00"
    assert (towns["丰裕镇"]["totals"]["households"], towns["丰裕镇"]["totals"]["amount"]) == (4, "1000.00")
    assert (job.figures["totals"]["households"], job.figures["totals"]["amount"]) == (9, "2721.00")
    sheet = load_workbook(io.BytesIO(job.xlsx.read()), read_only=True)["各村明细"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r[:3] for r in rows] == [
        ["堪嘉镇", "甲村", 3],
        ["堪嘉镇", "乙村", 2],
        ["堪嘉镇", "小计", 5],
        ["丰裕镇", "丰一村", 4],
        ["丰裕镇", "小计", 4],
        ["全区", "合计", 9],
    ]
    assert job.pdf.read(4) == b"%PDF"


@pytest.mark.django_db
def test_district_job_reports_each_town_with_subtotals_and_a_district_total(
    client, district_officer, tasks_in_process, django_capture_on_commit_callbacks
):
    _towns()
    client.force_login(district_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:dynamic:district_start"), {"d-month": f"{THIS_MONTH:%Y-%m}"})
    job = DistrictMonthlyReport.objects.get()
    assert response.url == reverse("review:dynamic:district_report", args=[job.pk])
    _check(job)
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="subtotal"') == 2
    assert "堪嘉镇小计" in page and "丰裕镇小计" in page and "全区合计" in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_district_job_runs_on_a_real_worker_and_the_page_shows_progress(
    celery_worker_process, client, district_officer
):
    _towns()
    client.force_login(district_officer)
    response = client.post(reverse("review:dynamic:district_start"), {"d-month": f"{THIS_MONTH:%Y-%m}"})
    job = DistrictMonthlyReport.objects.get()
    progress = reverse("review:dynamic:district_progress", args=[job.pk])
    deadline = time.time() + 120
    while time.time() < deadline:
        job.refresh_from_db()
        if not job.busy:
            break
        fragment = client.get(progress)
        # Polled every second; the page reloads itself (HX-Refresh) only once the job has finished.
        text = fragment.content.decode()
        assert "进度" in text
        assert ("HX-Refresh" in fragment) == ("生成中" not in text and "排队中" not in text)
        time.sleep(0.3)
    assert client.get(progress)["HX-Refresh"] == "true"
    _check(job)
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_pressing_twice_reuses_the_queued_job_and_a_second_delivery_does_nothing(district_officer, tasks_in_process):
    _towns()
    first = district.district_report_start(month=THIS_MONTH, by=district_officer)
    assert district.district_report_start(month=THIS_MONTH, by=district_officer) == first
    district.run_district_report(job_id=first.pk)
    first.refresh_from_db()
    finished = first.finished_at
    district.run_district_report(job_id=first.pk)
    first.refresh_from_db()
    assert (first.status, first.finished_at) == (DistrictMonthlyReport.Status.DONE, finished)


@pytest.mark.django_db
def test_town_roles_cannot_open_or_start_the_district_report(client, town_officer, inspector, district_officer):
    _towns()
    job = DistrictMonthlyReport.objects.create(month=THIS_MONTH, requested_by=district_officer)
    for user in (town_officer, inspector):
        client.force_login(user)
        assert client.get(reverse("review:dynamic:district_report", args=[job.pk])).status_code == 403
        assert client.post(reverse("review:dynamic:district_start"), {"d-month": "2021-01"}).status_code == 403
        assert "全区月报" not in client.get(reverse("review:dynamic:reports")).content.decode()


@pytest.mark.django_db
def test_a_town_officers_monthly_report_holds_only_their_town(client, town_officer, other_town_officer, media):
    kanjia, other = _towns()
    client.force_login(town_officer)
    client.post(reverse("review:dynamic:reports"), {"month": f"{THIS_MONTH:%Y-%m}"})
    report = MonthlyReport.objects.get()
    assert report.town == kanjia
    assert [v["village"] for v in report.figures["villages"]] == ["甲村", "乙村"]
    assert report.figures["totals"]["households"] == 5
    with pytest.raises(PermissionDenied):
        monthly.report_generate(town=other, month=THIS_MONTH, by=town_officer)
    client.force_login(other_town_officer)
    assert client.get(reverse("review:dynamic:report", args=[report.pk])).status_code == 404
    table = client.get(reverse("review:dynamic:reports")).content.decode().split('data-testid="reports"', 1)[1]
    table = table.split("</table>", 1)[0]
    assert "堪嘉镇" not in table and "尚无月报" in table


@pytest.mark.django_db
def test_figures_of_many_towns_take_the_same_queries_as_one(media):
    kanjia, other = _towns()
    more = [TownFactory(name=f"第{i}镇", code=f"51200212{i}") for i in range(3)]
    for town in more:
        for j in range(3):
            HouseholdFactory(village=VillageFactory(town=town, name=f"{town.name}{j}村"))
    with CaptureQueriesContext(connection) as one:
        monthly.figures_of(towns=[kanjia], month=THIS_MONTH)
    with CaptureQueriesContext(connection) as five:
        figures = monthly.figures_of(towns=[kanjia, other, *more], month=THIS_MONTH)
    assert len(five) == len(one)
    assert sum(f["totals"]["households"] for f in figures.values()) == 18
