"""全区发放花名册: each town's newest roll, one PDF per town and village in a zip, with subtotals by town."""

import io
import time
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from archives.models import DistrictRollExport
from archives.payments import district
from archives.payments.services import roll_generate
from kanjia import roles
from tests.conftest import make_user
from tests.factories import HouseholdFactory, TownFactory, VillageFactory

MONTH = timezone.localdate().replace(day=1)


def _towns(town_officer):
    """堪嘉镇 (two villages) and 丰裕镇 (one) with rolls (丰裕镇's second version is the newest); 新民镇 without."""
    kanjia = TownFactory()
    other = TownFactory(name="丰裕镇", code="512002111")
    TownFactory(name="新民镇", code="512002112")
    a1, a2 = VillageFactory(town=kanjia, name="甲村", order=1), VillageFactory(town=kanjia, name="乙村", order=2)
    b1 = VillageFactory(town=other, name="丰一村", order=1)
    for village, n, amount in ((a1, 2, "300.00"), (a2, 1, "410.50"), (b1, 3, "250.00")):
        for _ in range(n):
            HouseholdFactory(village=village, covered_persons=2, base_amount=Decimal(amount))
    roll_generate(town=kanjia, month=MONTH, by=town_officer)
    fengyu_officer = make_user("fengyu_officer", roles.TOWN_OFFICE, town=other)
    roll_generate(town=other, month=MONTH, by=fengyu_officer)
    HouseholdFactory(village=b1, covered_persons=1, base_amount=Decimal("100.00"))
    roll_generate(town=other, month=MONTH, by=fengyu_officer)


def _check(job: DistrictRollExport) -> None:
    assert job.status == DistrictRollExport.Status.DONE, job.error
    assert (job.total, job.done, job.progress) == (3, 3, 100)
    with zipfile.ZipFile(job.file.open("rb")) as archive:
        names = archive.namelist()
        assert names == [
            "512002110_堪嘉镇_第1版/001_甲村.pdf",
            "512002110_堪嘉镇_第1版/002_乙村.pdf",
            "512002111_丰裕镇_第2版/001_丰一村.pdf",
            "全区汇总.xlsx",
        ]
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(names[1]))).pages)
        assert "堪嘉镇乙村" in text and "甲村" not in text
        rows = list(load_workbook(io.BytesIO(archive.read("全区汇总.xlsx")), read_only=True)["全区汇总"].values)
    assert [r[2:5] for r in rows[1:]] == [
        ("甲村", 2, 4),
        ("乙村", 1, 2),
        ("小计", 3, 6),
        ("丰一村", 4, 7),
        ("小计", 4, 7),
        ("合计", 7, 13),
    ]
    assert Decimal(str(rows[-1][5])) == Decimal("1860.50")  # 2×300 + 410.50 + 3×250 + 100
    assert job.summary["missing"] == ["新民镇"]


@pytest.mark.django_db
def test_district_rolls_zip_has_a_pdf_per_town_and_village_and_subtotals(
    client, town_officer, district_officer, tasks_in_process, django_capture_on_commit_callbacks
):
    _towns(town_officer)
    client.force_login(district_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("archives:district_rolls_start"), {"d-month": f"{MONTH:%Y-%m}"})
    job = DistrictRollExport.objects.get()
    assert response.url == reverse("archives:district_rolls", args=[job.pk])
    _check(job)
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="subtotal"') == 2 and "新民镇" in page
    download = client.get(reverse("archives:district_rolls_zip", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_district_rolls_run_on_a_real_worker_with_progress(
    celery_worker_process, client, town_officer, district_officer, settings, _media_root
):
    settings.MEDIA_ROOT = _media_root  # the worker writes where it was started (tests/conftest.py)
    _towns(town_officer)
    client.force_login(district_officer)
    response = client.post(reverse("archives:district_rolls_start"), {"d-month": f"{MONTH:%Y-%m}"})
    job = DistrictRollExport.objects.get()
    progress = reverse("archives:district_rolls_progress", args=[job.pk])
    deadline = time.time() + 180
    while time.time() < deadline:
        job.refresh_from_db()
        if not job.busy:
            break
        assert "进度" in client.get(progress).content.decode()
        time.sleep(0.3)
    assert client.get(progress)["HX-Refresh"] == "true"
    _check(job)
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_town_roles_neither_start_nor_open_the_district_rolls(client, town_officer, inspector, district_officer):
    job = DistrictRollExport.objects.create(month=MONTH, requested_by=district_officer)
    for user in (town_officer, inspector):
        client.force_login(user)
        assert client.get(reverse("archives:district_rolls", args=[job.pk])).status_code == 403
        assert client.post(reverse("archives:district_rolls_start"), {"d-month": "2021-06"}).status_code == 403
        assert "全区发放花名册" not in client.get(reverse("archives:rolls")).content.decode()


def _rolls_table(client) -> str:
    return client.get(reverse("archives:rolls")).content.decode().split('id="rolls"', 1)[1]


@pytest.mark.django_db
def test_a_town_officer_generates_and_reads_only_their_own_towns_rolls(client, town_officer, other_town_officer):
    _towns(town_officer)
    fengyu = TownFactory(name="丰裕镇", code="512002111")
    with pytest.raises(PermissionDenied):
        roll_generate(town=fengyu, month=MONTH, by=town_officer)
    client.force_login(other_town_officer)
    assert "还没有生成发放花名册" in _rolls_table(client)
    client.force_login(town_officer)
    table = _rolls_table(client)
    assert "堪嘉镇" in table and "丰裕镇" not in table


@pytest.mark.django_db
def test_a_village_pdf_holds_only_that_village(client, town_officer):
    _towns(town_officer)
    roll = roll_generate(town=TownFactory(), month=MONTH, by=town_officer)
    client.force_login(town_officer)
    page = client.get(reverse("archives:roll", args=[roll.pk])).content.decode()
    assert page.count('data-testid="village-pdf"') == 2
    village = roll.lines.filter(village_name="甲村").values_list("village_id", flat=True).first()
    pdf = client.get(reverse("archives:roll_village_pdf", args=[roll.pk, village])).content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "堪嘉镇甲村" in text and "乙村" not in text


def test_district_parts_and_rolls_are_read_in_constant_queries(django_assert_num_queries, db, town_officer):
    _towns(town_officer)
    from households.models import Town

    with django_assert_num_queries(2):
        rolls = list(district.newest_rolls(towns=Town.objects.all(), month=MONTH))
        district.village_parts(rolls=rolls)
    assert sorted(r.sequence for r in rolls) == [1, 2]
