"""Tamper-evidence seals over history and access-log rows.

`AuditSeal` rows form one chain: each seal covers a block of rows of one audit
table in id order (first_id..last_id, every row's hash listed) and includes the
previous seal's digest. `previous_digest` is unique, so the chain cannot fork
(two seals claiming the same predecessor) even if two sealers race. Sealing and
verification live in `archives.audit.seals`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

__all__ = ["AuditPurge", "AuditSeal", "VerificationRun"]


class AuditSeal(models.Model):
    number = models.PositiveBigIntegerField("序号", unique=True)
    table = models.CharField("数据表", max_length=100)
    first_id = models.BigIntegerField("起始编号")
    last_id = models.BigIntegerField("截止编号")
    row_count = models.PositiveIntegerField("行数")
    # [[id, hash], ...] in id order: what verification compares row by row.
    row_hashes = models.JSONField("各行摘要", default=list)
    # "" for the first seal; unique, hence a single successor per seal (no forks).
    previous_digest = models.CharField("上一封存摘要", max_length=64, unique=True, blank=True)
    digest = models.CharField("封存摘要", max_length=64, unique=True)
    sealed_at = models.DateTimeField("封存时间")
    # 1: plain SHA-256 over all columns of the day (before issue 16); 2: HMAC with the seal key over `columns`.
    version = models.PositiveSmallIntegerField("封存版本", default=1)
    # The columns each row hash covers, in order (a column added to the table later is not in old seals).
    columns = models.JSONField("封存字段", default=list)

    class Meta:
        verbose_name = "审计封存"
        verbose_name_plural = verbose_name
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["table", "first_id"], name="auditseal_unique_block"),
            models.CheckConstraint(condition=Q(last_id__gte=F("first_id")), name="auditseal_range_ordered"),
        ]
        indexes = [models.Index(fields=["table", "last_id"])]

    def __str__(self) -> str:
        return f"封存#{self.number} {self.table} {self.first_id}–{self.last_id}"


class AuditPurge(models.Model):
    """Rows of a sealed block deleted by the retention purge (verification expects exactly them gone).

    `row_ids` lists the deleted rows (null on purges made before issue 15: the whole
    block); `reasons` says why each could go (the households whose archive retention
    had ended, or the age rule for rows that belong to no household); `digest` binds
    both to the seal's digest, so an edited purge record is named by verification.
    """

    seal = models.ForeignKey(AuditSeal, on_delete=models.PROTECT, related_name="purges", verbose_name="封存")
    purged_at = models.DateTimeField("清理时间", auto_now_add=True)
    cutoff = models.DateTimeField("清理截止时间")
    rows_deleted = models.PositiveIntegerField("删除行数")
    row_ids = models.JSONField("删除的行", null=True, blank=True)
    reasons = models.JSONField("清理依据", default=list, blank=True)
    digest = models.CharField("清理记录摘要", max_length=64, blank=True)

    class Meta:
        verbose_name = "审计记录清理"
        verbose_name_plural = verbose_name
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"清理 封存#{self.seal_id} {self.rows_deleted} 行"


class VerificationRun(models.Model):
    """One run of the chain verification (command, task or page), with every problem it found."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发起人",
    )
    trigger = models.CharField("方式", max_length=20, default="command")
    ok = models.BooleanField("通过")
    seals_checked = models.PositiveIntegerField("封存数", default=0)
    rows_checked = models.PositiveBigIntegerField("核对行数", default=0)
    head_digest = models.CharField("链尾摘要", max_length=64, blank=True)
    # The 封存回执 the run was checked against ("number:digest"), if one was given.
    receipt = models.CharField("核对的封存回执", max_length=100, blank=True)
    # [{"kind": "changed|deleted|inserted|chain", "table": ..., "row_id": ..., "seal": n, "text": 中文}]
    problems = models.JSONField("发现的问题", default=list)

    class Meta:
        verbose_name = "审计链校验"
        verbose_name_plural = verbose_name
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'通过' if self.ok else '发现问题'}"
