"""Backup and restore: a restored database has every row, history included."""

import gzip

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from households.models import Household, Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def counts() -> dict[str, int]:
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in {"contenttypes.contenttype", "auth.permission", "sessions.session"}
    }


def test_backup_then_restore_into_empty_database(tmp_path):
    call_command("load_demo")
    member = MemberFactory(name="备份测试")
    member.household.base_amount = 321
    member.household.save()
    before = counts()
    assert before["households.historicalhousehold"] >= 2
    path = tmp_path / "b.json.gz"
    call_command("backup", output=path)

    call_command("flush", interactive=False)
    assert Household.objects.count() == 0
    call_command("restore", str(path))

    assert counts() == before
    restored = Member.objects.get(name="备份测试")
    assert restored.household.base_amount == 321
    assert restored.household.history.count() == member.household.history.count()
    # New rows still get fresh ids after a restore (sequences reset on PostgreSQL).
    MemberFactory(name="恢复后新增", household__village=restored.household.village)


def test_restore_refuses_a_tampered_file(tmp_path):
    call_command("load_demo")
    path = tmp_path / "b.json.gz"
    call_command("backup", output=path)
    with gzip.open(path, "rb") as f:
        manifest, data = f.readline(), f.read()
    with gzip.open(path, "wb") as f:
        f.write(manifest + data.replace("中心村".encode(), "外心村".encode()))
    call_command("flush", interactive=False)
    with pytest.raises(CommandError, match="校验值不符"):
        call_command("restore", str(path))


def test_restore_refuses_a_database_with_data(tmp_path):
    call_command("load_demo")
    path = tmp_path / "b.json.gz"
    call_command("backup", output=path)
    with pytest.raises(CommandError, match="不是空库"):
        call_command("restore", str(path))
