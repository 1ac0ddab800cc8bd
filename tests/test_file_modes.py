"""Issue 16, finding 6: files the app writes are 0600 and its folders 0700.

Uploads, exports and generated PDFs go through the storage (FILE_UPLOAD_PERMISSIONS,
FILE_UPLOAD_DIRECTORY_PERMISSIONS); the process umask covers everything else, the
SQLite database and its journal included; a database file made before is tightened at start.
"""

import os
import stat
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from openpyxl import Workbook

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_process_umask_keeps_group_and_others_out(tmp_path):
    current = os.umask(0o077)
    os.umask(current)
    assert current == 0o077
    (tmp_path / "any").write_bytes(b"x")
    assert mode(tmp_path / "any") == 0o600


def test_storage_files_and_folders_are_owner_only(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    name = default_storage.save("exports/2026/12/台账.xlsx", ContentFile(b"data"))
    path = Path(default_storage.path(name))
    assert mode(path) == 0o600
    for folder in (path.parent, path.parent.parent, tmp_path / "media" / "exports"):
        assert mode(folder) == 0o700, folder


def test_an_uploaded_roster_is_owner_only(settings, tmp_path, town_officer):
    """A real write through the app: the roster a town officer uploads for matching."""
    from households.ledger import rosters
    from households.models import Roster
    from tests.factories import VillageFactory
    from tests.ledger.helpers import upload

    settings.MEDIA_ROOT = tmp_path / "media"
    VillageFactory()
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号码"])
    workbook.active.append(["张三", "512002196203130887"])
    out = BytesIO()
    workbook.save(out)
    roster = rosters.roster_start(user=town_officer, kind=Roster.Kind.DEATH, upload=upload(out.getvalue(), "名单.xlsx"))
    path = Path(roster.file.path)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_sqlite_database_and_journal_are_owner_only(tmp_path):
    """A fresh start in embedded mode (no DATABASE_URL): var/, the database and its journal."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    old = var / "kanjia.sqlite3"
    old.write_bytes(b"")
    old.chmod(0o644)  # made before the rule
    script = """
import os, sqlite3, stat, django
django.setup()
from django.conf import settings
db = str(settings.DATABASES["default"]["NAME"])
print(oct(stat.S_IMODE(os.stat(db).st_mode)))
os.remove(db)
con = sqlite3.connect(db, isolation_level=None)
con.execute("create table t (x)")
con.execute("begin")
con.execute("insert into t values (1)")
print(oct(stat.S_IMODE(os.stat(db).st_mode)), oct(stat.S_IMODE(os.stat(db + "-journal").st_mode)))
con.execute("commit")
print(oct(stat.S_IMODE(os.stat(os.path.dirname(db)).st_mode)))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KANJIA_ENV")}
    env.update(KANJIA_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="kanjia.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    before, after, folder = result.stdout.strip().splitlines()
    assert before == "0o600"  # tightened at start
    assert after == "0o600 0o600"  # a new database and its journal
    assert folder == "0o700"
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600 and settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
