"""Logical backup and restore of the whole database, with a manifest.

A backup is one gzip file: a JSON manifest line (format, time, row count per
model, sha256 of the data) followed by Django's JSON serialization of every
model, natural keys for users, groups, permissions and content types so that it
loads into any freshly migrated database (SQLite or PostgreSQL). Restore
refuses a non-empty database, loads everything in one transaction and checks
the row counts against the manifest: a partial restore never remains.

For a large production PostgreSQL, `pg_dump -Fc` is the faster daily tool;
this command is the portable one that the tests exercise end to end.
"""

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.test.utils import override_settings
from django.utils import timezone

FORMAT = "kanjia-backup/1"
# Rebuilt by migrations or worthless in a restore (sessions expire anyway).
SKIP = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def _models() -> list[type[Model]]:
    ordered = serializers.sort_dependencies([(cfg, None) for cfg in apps.get_app_configs()])
    return [m for m in ordered if m._meta.label_lower not in SKIP and not m._meta.proxy and m._meta.managed]


def _objects() -> Iterator[Model]:
    for model in _models():
        yield from model._base_manager.order_by("pk").iterator(chunk_size=2000)


def backup(*, path: Path) -> dict:
    counts = {m._meta.label_lower: m._base_manager.count() for m in _models()}
    data = serializers.serialize(
        "json", _objects(), use_natural_foreign_keys=True, use_natural_primary_keys=False
    ).encode()
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "counts": counts,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as out:
        out.write(json.dumps(manifest, ensure_ascii=False).encode() + b"\n")
        out.write(data)
    path.chmod(0o600)  # personal data: owner only
    return manifest


def _read(path: Path) -> tuple[dict, bytes]:
    with gzip.open(path, "rb") as src:
        manifest = json.loads(src.readline())
        data = src.read()
    if manifest.get("format") != FORMAT:
        raise ValidationError("不是本系统的备份文件。")
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise ValidationError("备份文件已损坏或被修改（校验值不符），已拒绝恢复。")
    return manifest, data


def restore(*, path: Path) -> dict:
    manifest, data = _read(path)
    with transaction.atomic():
        for model in _models():
            # Rows the migrations create (role groups) are replaced by the backup's.
            if model._meta.label_lower in ("auth.group", "auth.group_permissions"):
                continue
            if model._base_manager.exists():
                raise ValidationError(f"目标数据库不是空库（{model._meta.verbose_name} 已有数据），已拒绝恢复。")
        from django.contrib.auth.models import Group

        Group.objects.all().delete()
        # The backup holds the history rows; saving restored objects (and their
        # many-to-many sets) must not write new ones.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            for obj in serializers.deserialize("json", data, handle_forward_references=True):
                obj.save()
        actual = {m._meta.label_lower: m._base_manager.count() for m in _models()}
        missing = {k: (v, actual.get(k)) for k, v in manifest["counts"].items() if actual.get(k) != v}
        if missing:
            raise ValidationError(f"恢复后行数与备份不符: {missing}")
    _reset_sequences()
    return manifest


def _reset_sequences() -> None:
    """PostgreSQL: move id sequences past the restored rows."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
