"""Fixtures for the ledger tests: places, a team with two villages, workbook builders."""

from decimal import Decimal

import pytest

from households.models import Category, Town, Village, VillageGroup


@pytest.fixture(autouse=True)
def _media(request, settings, tmp_path):
    # A real worker process reads uploads from the default MEDIA_ROOT: keep it there.
    if "celery_worker_process" not in request.fixturenames:
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def places(db):
    town = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})[0]
    villages = {}
    for order, name in enumerate(["陡岩村", "中心村", "树林村"]):
        village = Village.objects.create(town=town, name=name, code=f"9{order:02d}", order=order)
        for number in (1, 2, 3):
            VillageGroup.objects.create(village=village, number=number)
        villages[name] = village
    Category.objects.create(town=town, name="一类(特困重病重残)", extra_amount=Decimal("80"))
    Category.objects.create(town=town, name="三类(一般)", extra_amount=Decimal("0"))
    return villages


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):
    """Tasks run in-process unless the test asks for the real worker (tests/conftest.py)."""
    yield


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Upload (dry run) and, with commit=True, confirm: as the views do, tasks included."""
    from households.ledger.importer import import_commit_request, import_start
    from tests.ledger.helpers import upload

    def run(user, content: bytes, *, commit: bool = False, name: str = "台账.xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            batch = import_start(user=user, upload=upload(content, name))
        batch.refresh_from_db()
        if commit:
            assert batch.status == batch.Status.CHECKED and not batch.problem_count, (batch.error, batch.summary)
            with django_capture_on_commit_callbacks(execute=True):
                import_commit_request(batch=batch, user=user)
            batch.refresh_from_db()
        return batch

    return run
