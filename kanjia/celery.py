import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")

app = Celery("kanjia")
# All CELERY_* settings come from kanjia/settings.py (and so from the environment).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
