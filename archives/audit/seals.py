"""Sealing the audit tables in a hash chain, verifying the chain, and the retention purge.

Audit tables: every django-simple-history table (``*_historical*``) and
``kanjia_accesslog``. A seal covers the next block of a table's rows in id order
and stores each row's hash, the block's digest and the previous seal's digest
(one chain over all tables). Verification recomputes everything and names each
row changed, deleted or inserted (an id inside an already sealed range) since.

Ids come from sequences, so id order is not commit order: a slow transaction can
commit row 10 after row 11 was sealed. The sealer therefore only seals rows below
a settled watermark: the highest id among rows written before
``min(now, start of the oldest open transaction on the database) - AUDIT_SEAL_SETTLE_SECONDS``.
Every id allocated by a still-open transaction is above it (sequences only grow).
Sealers serialise on a PostgreSQL advisory lock; ``AuditSeal.previous_digest`` is
unique, so even without the lock the chain cannot fork.

Issue 16 (finding 7): seal digests are HMAC-SHA256 with a key kept outside the
database (``AUDIT_SEAL_KEY``, or the file ``AUDIT_SEAL_KEY_FILE``, mode 0600), so
whoever can write the database cannot delete the seals and seal a tampered
history again. Each seal's digest is printed on a 封存回执 that the inspector
keeps; ``verify_chain(receipt=...)`` refuses a chain in which the receipt's seal
is missing or different. Each seal records the columns it hashed (``columns``,
part of the digest): a column added to a tracked model later does not change the
hash of rows sealed before. Seals made before (``version`` 1: unkeyed, all
current columns) are reported until ``seal_audit --rekey`` re-seals them.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.models import HistoricalChanges

from archives.models import AuditSeal, VerificationRun
from kanjia.models import AccessLog

BLOCK_SIZE = 1000
MAX_BLOCKS_PER_RUN = 200
LOCK_KEY = 8_020_021  # pg_advisory_xact_lock key of the sealer
MIN_RETENTION_DAYS = 180
KEYED = 2  # AuditSeal.version: HMAC digest over the recorded column list
RECEIPT_MIN_HEX = 16  # an inspector may type the first 16 hex digits of a digest (64 bits)


# --- The seal key (outside the database) ------------------------------------------------------------


def seal_key() -> bytes:
    """The HMAC key: ``AUDIT_SEAL_KEY``, else the file ``AUDIT_SEAL_KEY_FILE`` (owner-only).

    In development a random key file is created in var/ (like the secret key); in
    production a missing or group/world-readable key is an error, never a default.
    """
    key = (getattr(settings, "AUDIT_SEAL_KEY", "") or "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured(
                "AUDIT_SEAL_KEY 太短：至少 32 个字符（建议 python -c 'import secrets; print(secrets.token_hex(32))'）。"
            )
        return key.encode()
    path = getattr(settings, "AUDIT_SEAL_KEY_FILE", None)
    if not path:
        raise ImproperlyConfigured(
            "未设置审计封存密钥：请设置 AUDIT_SEAL_KEY 或 AUDIT_SEAL_KEY_FILE（见 docs/audit.md）。"
        )
    path = os.fspath(path)
    if not os.path.exists(path):
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(
                f"审计封存密钥文件 {path} 不存在（见 docs/audit.md：恢复到新服务器时要一并拷贝）。"
            )
        # Written aside, then linked in place: two processes starting together agree on one key.
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ImproperlyConfigured(f"审计封存密钥文件 {path} 的权限过宽（{oct(mode & 0o777)}），必须为 0600。")
    with open(path, encoding="utf-8") as src:
        key = src.read().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(f"审计封存密钥文件 {path} 的内容太短（至少 32 个字符）。")
    return key.encode()


@dataclass(frozen=True)
class AuditTable:
    model: type[models.Model]
    time_field: str  # when the row was written (for the watermark and the purge)

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    @property
    def pk(self) -> str:
        return self.model._meta.pk.attname


def audit_tables() -> list[AuditTable]:
    """All history tables and the access log, in a stable order."""
    found = []
    for model in apps.get_models():
        if not issubclass(model, HistoricalChanges):
            continue
        names = {f.name for f in model._meta.concrete_fields}
        # m2m history rows carry no date of their own: they hang on a historical row.
        found.append(AuditTable(model, "history_date" if "history_date" in names else "history__history_date"))
    found.append(AuditTable(AccessLog, "at"))
    return sorted(found, key=lambda t: t.name)


def table_by_name() -> dict[str, AuditTable]:
    return {t.name: t for t in audit_tables()}


# --- Hashing ------------------------------------------------------------------------------------


def _canon(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def _columns(table: AuditTable) -> list[str]:
    """The columns a new seal hashes: every concrete column today (recorded on the seal)."""
    return [f.attname for f in table.model._meta.concrete_fields]


def _row_hash(table: str, values: tuple) -> str:
    text = json.dumps([_canon(v) for v in values], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{table}\x1f{text}".encode()).hexdigest()[:32]


def _rows(
    table: AuditTable, *, after: int | None, upto: int, limit: int | None = None, columns: list[str] | None = None
) -> list[tuple[int, str]]:
    """(id, hash) of the table's rows with after < id <= upto, in id order, hashing `columns` (default: all)."""
    columns = list(columns or _columns(table))
    qs = table.model._default_manager.filter(**{f"{table.pk}__lte": upto})
    if after is not None:
        qs = qs.filter(**{f"{table.pk}__gt": after})
    qs = qs.order_by(table.pk).values_list(*columns)
    if limit:
        qs = qs[:limit]
    index = columns.index(table.pk)
    return [(row[index], _row_hash(table.name, row)) for row in qs]


def _digest(
    *, previous: str, number: int, table: str, first: int, last: int, rows: list, columns: list | None = None, key=None
) -> str:
    """Version 1 (no key, no columns): SHA-256; version 2: HMAC-SHA256 with the seal key, over the columns too."""
    body = "\n".join(f"{i}:{h}" for i, h in rows)
    parts = [previous, str(number), table, str(first), str(last), str(len(rows)), body]
    if key is None:
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()
    parts.append(",".join(columns or []))
    return hmac.new(key, "\x1e".join(parts).encode(), hashlib.sha256).hexdigest()


# --- Sealing -------------------------------------------------------------------------------------


def _cutoff() -> datetime:
    settle = timedelta(seconds=getattr(settings, "AUDIT_SEAL_SETTLE_SECONDS", 120))
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            now = min(now, oldest)
    return now - settle


def _watermark(table: AuditTable, *, after: int | None, cutoff: datetime) -> int | None:
    qs = table.model._default_manager.filter(**{f"{table.time_field}__lt": cutoff})
    if after is not None:
        qs = qs.filter(**{f"{table.pk}__gt": after})
    return qs.aggregate(top=Max(table.pk))["top"]


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _seal_table(table: AuditTable, *, cutoff: datetime, block_size: int, max_blocks: int) -> int:
    """Seal settled rows of one table in its own short transaction; returns the number of seals."""
    made = 0
    key = seal_key()
    columns = _columns(table)
    with transaction.atomic():
        _lock()
        head = AuditSeal.objects.order_by("-number").first()
        last = AuditSeal.objects.filter(table=table.name).order_by("-last_id").values_list("last_id", flat=True).first()
        upto = _watermark(table, after=last, cutoff=cutoff)
        while upto is not None and made < max_blocks:
            rows = _rows(table, after=last, upto=upto, limit=block_size, columns=columns)
            if not rows:
                break
            number = head.number + 1 if head else 1
            previous = head.digest if head else ""
            first, last = rows[0][0], rows[-1][0]
            head = AuditSeal.objects.create(
                number=number,
                table=table.name,
                first_id=first,
                last_id=last,
                row_count=len(rows),
                row_hashes=[list(r) for r in rows],
                previous_digest=previous,
                digest=_digest(
                    previous=previous,
                    number=number,
                    table=table.name,
                    first=first,
                    last=last,
                    rows=rows,
                    columns=columns,
                    key=key,
                ),
                sealed_at=timezone.now(),
                version=KEYED,
                columns=columns,
            )
            made += 1
            if last >= upto:
                break
    return made


def seal_audit(*, block_size: int = BLOCK_SIZE, max_blocks: int = MAX_BLOCKS_PER_RUN) -> int:
    """Seal every settled, unsealed audit row (idempotent: nothing new, nothing sealed)."""
    cutoff = _cutoff()
    return sum(
        _seal_table(table, cutoff=cutoff, block_size=block_size, max_blocks=max_blocks) for table in audit_tables()
    )


# --- Verification ---------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # changed | deleted | inserted | chain
    table: str
    row_id: int | None
    seal: int | None
    text: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "table": self.table, "row_id": self.row_id, "seal": self.seal, "text": self.text}


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    seals: int = 0
    rows: int = 0
    head: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


KIND_TEXT = {"changed": "封存后被修改", "deleted": "封存后被删除", "inserted": "在已封存范围内被插入"}


@dataclass(frozen=True)
class Receipt:
    """A 封存回执 as the inspector keeps it: the seal's number and (the start of) its digest."""

    number: int
    digest: str

    @property
    def text(self) -> str:
        return f"{self.number}:{self.digest}"


def parse_receipt(text: str) -> Receipt:
    """ "123:ab12cd…" (spaces and dashes ignored, at least 16 hex digits); ValidationError (Chinese) otherwise."""
    match = re.fullmatch(r"\s*#?(\d{1,12})\s*[:：]\s*([0-9a-fA-F\s-]+)", text or "")
    digest = re.sub(r"[\s-]", "", match.group(2)).lower() if match else ""
    if not match or not RECEIPT_MIN_HEX <= len(digest) <= 64:
        raise ValidationError(
            f"回执格式应为“封存序号:摘要”，摘要至少填写前 {RECEIPT_MIN_HEX} 位（0-9、a-f），例如 128:3f9a0c…"
        )
    return Receipt(int(match.group(1)), digest)


def _seal_digest(seal: AuditSeal, *, key: bytes, rows: list, previous: str | None = None) -> str:
    return _digest(
        previous=seal.previous_digest if previous is None else previous,
        number=seal.number,
        table=seal.table,
        first=seal.first_id,
        last=seal.last_id,
        rows=rows,
        columns=seal.columns,
        key=key if seal.version >= KEYED else None,
    )


def verify_chain(*, receipt: Receipt | None = None, allow_unkeyed: bool = False) -> Verification:
    """Recompute every seal and compare every sealed row; names each altered, deleted or inserted row.

    With a `receipt` (the last 封存回执 the inspector holds), a chain in which that
    seal is missing or has another digest is refused: a chain sealed again after
    tampering, even with the key, does not match the paper.
    """
    key = seal_key()
    result = Verification()
    tables = table_by_name()
    purged = _purged_rows()
    previous = ""
    last_of: dict[str, int] = {}
    expected_number = 1
    unkeyed = 0
    receipt_seen = False
    for seal in AuditSeal.objects.order_by("number").iterator(chunk_size=50):
        result.seals += 1
        rows = [tuple(r) for r in seal.row_hashes]
        where = f"封存#{seal.number}"
        if seal.number != expected_number:
            result.problems.append(
                Problem("chain", seal.table, None, seal.number, f"{where}：序号不连续（应为 {expected_number}）")
            )
        expected_number = seal.number + 1
        if seal.version < KEYED:
            unkeyed += 1
        if seal.previous_digest != previous or _seal_digest(seal, key=key, rows=rows) != seal.digest:
            result.problems.append(
                Problem(
                    "chain", seal.table, None, seal.number, f"{where}：封存记录本身被改动或链条断开（或封存密钥不符）"
                )
            )
        if receipt is not None and seal.number == receipt.number:
            receipt_seen = True
            if not seal.digest.startswith(receipt.digest):
                result.problems.append(
                    Problem("chain", seal.table, None, seal.number, f"{where} 的摘要与封存回执不符（封存链被重做）")
                )
        previous = seal.digest
        table = tables.get(seal.table)
        if table is None:
            result.problems.append(Problem("chain", seal.table, None, seal.number, f"{where}：数据表不存在"))
            continue
        gone = sorted(set(seal.columns) - set(_columns(table)))
        if gone:
            result.problems.append(
                Problem(
                    "chain",
                    seal.table,
                    None,
                    seal.number,
                    f"{where}：封存时的字段 {'、'.join(gone)} 已不存在，无法核对",
                )
            )
            continue
        # Everything after the previous seal of this table up to last_id: gaps are insertions too.
        # The columns are those the seal hashed: a column added since does not change old rows' hashes.
        current = dict(_rows(table, after=last_of.get(seal.table), upto=seal.last_id, columns=seal.columns or None))
        last_of[seal.table] = seal.last_id
        result.rows += len(rows)
        for row_id, row_hash in rows:
            now = current.pop(row_id, None)
            if now is None:
                if not _was_purged(purged, seal.pk, row_id):
                    result.problems.append(_problem("deleted", seal, row_id))
            elif now != row_hash:
                result.problems.append(_problem("changed", seal, row_id))
        for row_id in sorted(current):
            result.problems.append(_problem("inserted", seal, row_id))
    result.head = previous
    if unkeyed and not allow_unkeyed:
        result.problems.append(
            Problem(
                "chain",
                "archives_auditseal",
                None,
                None,
                f"{unkeyed} 个封存未使用封存密钥（升级前的封存），无法排除被重做；"
                "请由数据库所有者运行 python manage.py seal_audit --rekey",
            )
        )
    if receipt is not None and not receipt_seen:
        result.problems.append(
            Problem(
                "chain",
                "archives_auditseal",
                None,
                receipt.number,
                f"封存回执所列的封存#{receipt.number} 已不存在（封存链被截断或重做）",
            )
        )
    result.problems += _purge_record_problems()
    # A truncated chain: the head seen by the last run is gone.
    last_run = VerificationRun.objects.exclude(head_digest="").order_by("-started_at", "-id").first()
    if last_run and not AuditSeal.objects.filter(digest=last_run.head_digest).exists():
        result.problems.append(
            Problem("chain", "archives_auditseal", None, None, "上次校验时的最后一个封存已不存在（封存链被截断）")
        )
    return result


def rekey_seals() -> int:
    """Re-seal the seals made before the key (version 1) with it, once their unkeyed chain verifies.

    Run by the database owner (the application role cannot UPDATE seals). Refuses
    (ValidationError) when the chain shows any problem: a tampered history is never
    blessed with the key. Returns the number of seals whose digest changed.
    """
    found = verify_chain(allow_unkeyed=True)
    if not found.ok:
        raise ValidationError(f"审计链校验未通过（{len(found.problems)} 处问题），不能重新加密钥封存。")
    key = seal_key()
    tables = table_by_name()
    changed, previous, rekeying = 0, "", False
    with transaction.atomic():
        _lock()
        for seal in AuditSeal.objects.select_for_update().order_by("number"):
            if seal.version < KEYED:
                rekeying = True
                seal.version, seal.columns = KEYED, _columns(tables[seal.table])
            if rekeying:
                seal.previous_digest = previous
                seal.digest = _seal_digest(seal, key=key, rows=[tuple(r) for r in seal.row_hashes])
                seal.save(update_fields=["version", "columns", "previous_digest", "digest"])
                changed += 1
            previous = seal.digest
    return changed


def head_seal() -> AuditSeal | None:
    return AuditSeal.objects.order_by("-number").first()


def _problem(kind: str, seal: AuditSeal, row_id: int) -> Problem:
    return Problem(
        kind, seal.table, row_id, seal.number, f"{seal.table} 第 {row_id} 行{KIND_TEXT[kind]}（封存#{seal.number}）"
    )


def verify_audit(
    *, by: AbstractBaseUser | None = None, trigger: str = "command", receipt: Receipt | None = None
) -> VerificationRun:
    started = timezone.now()
    result = verify_chain(receipt=receipt)
    return VerificationRun.objects.create(
        receipt=receipt.text if receipt else "",
        started_at=started,
        finished_at=timezone.now(),
        by=by,
        trigger=trigger,
        ok=result.ok,
        seals_checked=result.seals,
        rows_checked=result.rows,
        head_digest=result.head,
        problems=[p.as_dict() for p in result.problems],
    )


def last_verification() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-started_at", "-id").first()


# --- Retention ---------------------------------------------------------------------------------------


def retention_days() -> int:
    """Configured retention, never below 180 days (SECURITY.md: no purge of younger rows)."""
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS) or 0), MIN_RETENTION_DAYS)


def purge_audit(*, days: int | None = None):
    """Delete the sealed audit rows no retention rule needs (per household: `archives.audit.retention`).

    Returns a `PurgeResult` (rows deleted, by table, households purged, a Chinese
    message that also says when nothing could go). Runs as the database owner: the
    application role cannot DELETE audit rows (docs/audit.md).
    """
    from archives.audit.retention import purge_audit_rows

    return purge_audit_rows(days=days)


# Issue 15: the purge records the exact rows it deleted (and why); verification accepts exactly those.


def _purged_rows() -> dict:
    from archives.audit.retention import purged_rows

    return purged_rows()


def _was_purged(purged: dict, seal_id: int, row_id: int) -> bool:
    if seal_id not in purged:
        return False
    rows = purged[seal_id]
    return rows is None or row_id in rows


def _purge_record_problems() -> list[Problem]:
    from archives.audit.retention import purge_record_problems

    return [Problem("chain", "archives_auditpurge", None, number, text) for number, text in purge_record_problems()]
