"""The campaign's leadership group (领导小组) with roles: 组长, 副组长, 成员 (seed 三(一)).

`Campaign.leadership` (a plain many-to-many, issue 5) is superseded by these rows:
the migration copied its members here as 成员 and nothing writes it any more; it
stays so that its history rows (sealed in the audit chain) remain verifiable.
Writes go through `review.leadership.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

__all__ = ["LeadershipMember"]


class LeadershipMember(models.Model):
    class Role(models.TextChoices):
        HEAD = "组长", "组长"
        DEPUTY = "副组长", "副组长"
        MEMBER = "成员", "成员"

    # The town is the campaign's (issue 19 gives campaigns their town).
    campaign = models.ForeignKey(
        "review.Campaign", on_delete=models.CASCADE, related_name="leaders", verbose_name="专项行动"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leadership_roles", verbose_name="人员"
    )
    role = models.CharField("职务", max_length=4, choices=Role.choices, default=Role.MEMBER)
    duty = models.CharField("单位职务", max_length=50, blank=True, help_text="如“镇长”“分管副镇长”“民政办主任”")
    order = models.PositiveSmallIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "领导小组成员"
        verbose_name_plural = verbose_name
        ordering = ["campaign_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user"],
                name="leadership_unique_person",
                violation_error_message="此人已在领导小组中。",
            ),
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(role="组长"),
                name="leadership_one_head",
                violation_error_message="领导小组只能有一名组长。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.user.get_full_name() or self.user.username}"
