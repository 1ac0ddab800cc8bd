"""Meeting records (会议记录): 动员大会, 培训, 推进会 and 民主评议 (seed 五(一), 五(二), 七(三)).

A 民主评议 meeting is held in one village and covers many households: each case's
appraisal record points to it (`MeetingAppraisal`, one row per appraisal), so the
signed minutes are filed once (in the archive, `archives.records`) and shown on
every case it covers. The link is its own table rather than a column on
`Appraisal`: a new column would change the hash of every sealed history row of
appraisals. Writes go through `review.meetings.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["Meeting", "MeetingAppraisal"]


class Meeting(models.Model):
    class Kind(models.TextChoices):
        MOBILISATION = "动员大会", "动员大会"
        TRAINING = "培训", "培训"
        PROGRESS = "推进会", "推进会"
        APPRAISAL = "民主评议", "民主评议"

    town = models.ForeignKey("households.Town", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇")
    campaign = models.ForeignKey(
        "review.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name="专项行动",
    )
    kind = models.CharField("会议类型", max_length=6, choices=Kind.choices)
    # Required for 民主评议 (a village meeting); empty for the town's own meetings.
    village = models.ForeignKey(
        "households.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="村(社区)",
    )
    held_on = models.DateField("会议日期")
    place = models.CharField("会议地点", max_length=100)
    chair = models.CharField("主持人", max_length=50, blank=True)
    attendees = models.TextField("参会人员", help_text="姓名及单位，每行一人或用顿号分隔")
    attendee_count = models.PositiveSmallIntegerField("参会人数", validators=[MaxValueValidator(2000)])
    summary = models.TextField("会议内容", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "会议记录"
        verbose_name_plural = verbose_name
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["campaign", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="民主评议") | Q(village__isnull=False),
                name="meeting_appraisal_has_village",
                violation_error_message="民主评议会议须选择村(社区)。",
            ),
            models.CheckConstraint(condition=Q(attendee_count__gt=0), name="meeting_attendees_positive"),
        ]

    def __str__(self) -> str:
        where = f"{self.village.name} " if self.village_id else ""
        return f"{self.held_on:%Y-%m-%d} {where}{self.kind}"


class MeetingAppraisal(models.Model):
    """A case's 民主评议 record held in a 民主评议 meeting (an appraisal belongs to at most one meeting)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="links", verbose_name="评议会议")
    appraisal = models.OneToOneField(
        "review.Appraisal", on_delete=models.CASCADE, related_name="meeting_link", verbose_name="民主评议"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="关联人"
    )
    linked_at = models.DateTimeField("关联时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "评议会议关联"
        verbose_name_plural = verbose_name
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return f"{self.meeting} · 案件#{self.appraisal.case_id}"
