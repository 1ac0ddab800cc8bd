"""Every periodic job in the beat schedule names a task the worker knows."""

from django.conf import settings

from kanjia.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()  # what a worker does at start-up (autodiscovery)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    missing = scheduled - set(app.tasks)
    assert not missing, f"beat names tasks no worker would find: {missing}"
