"""Copy the plain leadership many-to-many into LeadershipMember rows (role 成员).

The old field stays (its history rows are sealed in the audit chain) but is no
longer written; the office sets 组长 and 副组长 on the campaign page.
"""

from django.db import migrations
from django.utils import timezone


def copy(apps, schema_editor):
    Campaign = apps.get_model("review", "Campaign")
    LeadershipMember = apps.get_model("review", "LeadershipMember")
    History = apps.get_model("review", "HistoricalLeadershipMember")
    through = Campaign.leadership.through
    for order, (campaign_id, user_id) in enumerate(
        through.objects.order_by("campaign_id", "id").values_list("campaign_id", "user_id"), start=1
    ):
        member, created = LeadershipMember.objects.get_or_create(
            campaign_id=campaign_id, user_id=user_id, defaults={"role": "成员", "order": order * 10}
        )
        if created:  # the audit trail shows where the row came from
            History.objects.create(
                id=member.pk,
                campaign_id=campaign_id,
                user_id=user_id,
                role=member.role,
                duty="",
                order=member.order,
                history_date=timezone.now(),
                history_type="+",
                history_change_reason="由原领导小组成员名单迁移",
            )


class Migration(migrations.Migration):
    dependencies = [("review", "0009_campaign_records")]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
