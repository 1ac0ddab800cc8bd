"""The web entry point (gunicorn kanjia.wsgi) loads everything before the first request and keeps it
out of the garbage collector's full walks (kanjia/startup.py: a pause of about 90 ms every twenty or so
requests at district scale). Run in a fresh interpreter, as a gunicorn worker starts."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, sys
import kanjia.wsgi
print(gc.get_freeze_count(), "households.views" in sys.modules, "review.cases.views" in sys.modules)
"""


def test_the_wsgi_application_starts_with_views_loaded_and_frozen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kanjia.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    frozen, households_views, case_views = done.stdout.split()
    assert int(frozen) > 50_000  # Django, the apps and the URLconf
    assert households_views == case_views == "True"
