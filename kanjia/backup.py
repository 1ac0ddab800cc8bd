"""Logical backup and restore of the whole database, with a manifest.

A backup is one gzip file: a JSON manifest line (format, time, row count per
model, the applied migrations, sha256 of the data) followed by Django's JSON
serialization of every model, natural keys for users, groups, permissions and
content types so that it loads into any freshly migrated database (SQLite or
PostgreSQL).

Restore (issue 16, finding 9) goes onto a database that was just created and
migrated with the same program version, exactly as README says: `migrate`, then
`restore <file>`. Migrations seed rows (role groups, document and record kinds,
procedure floors…); those are reconciled, not a reason to refuse: the backup
holds the same rows (perhaps edited since), so every seeded row is removed and
the backup's rows are loaded in their place. What is refused: a database that
has been used (it has user accounts or audit rows: migrations create neither),
and a database migrated to a different version than the backup's (seeded rows
and data migrations would not match; restore with the backup's version, then
upgrade). Everything happens in one transaction and the row counts are checked
against the manifest: a partial restore never remains.

The audit seal key is not in the backup (it is kept outside the database, see
docs/audit.md): copy it to the new server separately, or the restored chain
cannot be verified.

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
        "migrations": applied_migrations(),
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


def applied_migrations() -> list[str]:
    """`app.name` of every migration applied to this database, sorted."""
    from django.db.migrations.recorder import MigrationRecorder

    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _check_version(manifest: dict) -> None:
    wanted = manifest.get("migrations")
    if wanted is None:  # a backup written before the manifest listed migrations
        return
    here = set(applied_migrations())
    missing, extra = sorted(set(wanted) - here), sorted(here - set(wanted))
    if missing:
        raise ValidationError(
            f"目标数据库尚未迁移到备份时的版本（缺少 {'、'.join(missing[:5])} 等 {len(missing)} 项迁移），"
            "请先运行 python manage.py migrate，再恢复。"
        )
    if extra:
        raise ValidationError(
            f"目标数据库的版本比备份新（多出 {'、'.join(extra[:5])} 等 {len(extra)} 项迁移）：请用备份时的程序版本"
            "建库、migrate 并恢复，再升级程序并 migrate。"
        )


def _check_unused() -> None:
    """A used database (accounts, audit rows) is never overwritten; migrations create neither."""
    from django.contrib.auth import get_user_model
    from simple_history.models import HistoricalChanges

    from kanjia.models import AccessLog

    users = get_user_model()._base_manager.count()
    if users:
        raise ValidationError(
            f"目标数据库已有 {users} 个用户账号，不是刚迁移好的新库，已拒绝恢复（恢复前不要创建账号）。"
        )
    audit = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)] + [AccessLog]
    for model in audit:
        if model._base_manager.exists():
            raise ValidationError(f"目标数据库不是刚迁移好的新库（{model._meta.verbose_name} 已有数据），已拒绝恢复。")


def _through_models() -> list[type[Model]]:
    return [
        f.remote_field.through
        for m in _models()
        for f in m._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]


def _remove_seeded() -> int:
    """Delete the rows the migrations seeded (the backup holds them); the number of rows removed."""
    removed = 0
    for model in [*_through_models(), *reversed(_models())]:
        removed += model._base_manager.all()._raw_delete(connection.alias)
    return removed


def restore(*, path: Path) -> dict:
    """Load a backup into a freshly migrated database; the manifest, with `seeded_replaced` (rows reconciled)."""
    manifest, data = _read(path)
    _check_version(manifest)
    with transaction.atomic():
        _check_unused()
        seeded = _remove_seeded()
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
    return {**manifest, "seeded_replaced": seeded}


def _reset_sequences() -> None:
    """PostgreSQL: move id sequences past the restored rows."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
