"""Near-relative fixtures: the case pipeline's (reused from tests/review_cases) with the gate on."""

import pytest

from tests.review_cases.conftest import *  # noqa: F403


@pytest.fixture(autouse=True)
def _gate_on(settings):
    settings.RELATIVES_DECLARATION_REQUIRED = True


def declare_none_for(*users) -> None:
    from review.relatives.services import declare_none

    for user in users:
        declare_none(user=user, by=user)


@pytest.fixture
def everyone_declared(crew, town_officer, district_officer):
    """The crew, the town officer and the district officer have declared "无"."""
    declare_none_for(*crew.all, town_officer, district_officer)


@pytest.fixture
def places(db):
    from households.models import Category, Town, Village, VillageGroup

    town = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})[0]
    village = Village.objects.create(town=town, name="陡岩村", code="901", order=0)
    VillageGroup.objects.create(village=village, number=1)
    Category.objects.create(town=town, name="三类(一般)")
    return {"陡岩村": village}


@pytest.fixture
def run_import(django_capture_on_commit_callbacks, settings, tmp_path):
    """Upload and commit a ledger workbook as the views do (tasks in process)."""
    from households.ledger.importer import import_commit_request, import_start
    from kanjia.celery import app
    from tests.ledger.helpers import upload

    settings.MEDIA_ROOT = tmp_path / "media"
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True

    def run(user, content: bytes, *, commit: bool = False):
        with django_capture_on_commit_callbacks(execute=True):
            batch = import_start(user=user, upload=upload(content, "台账.xlsx"))
        batch.refresh_from_db()
        if commit:
            assert batch.status == batch.Status.CHECKED and not batch.problem_count, (batch.error, batch.summary)
            with django_capture_on_commit_callbacks(execute=True):
                import_commit_request(batch=batch, user=user)
            batch.refresh_from_db()
        return batch

    yield run
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _no_publicity_rounds(settings):
    # These tests drive cases without publicity rounds or archive documents (their own apps' gates).
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.ARCHIVES_APPROVAL_GATE = False
