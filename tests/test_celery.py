"""Tasks run in-process without a broker, and on a real worker through Redis."""

import pytest
from django.conf import settings

from kanjia.tasks import ping


def test_without_broker_tasks_run_in_process():
    if settings.CELERY_BROKER_URL:
        pytest.skip("已设置 CELERY_BROKER_URL：此时由真实 worker 执行（见下一个测试）")
    assert ping.delay("在进程内").get(timeout=5) == "在进程内"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_redis_worker(celery_worker_process):
    result = ping.delay("真实 worker")
    assert result.get(timeout=60) == "真实 worker"
