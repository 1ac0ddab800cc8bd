"""Bring archive locations (rooms, cabinets, boxes, bags) and retention dates in step with the registry."""

from django.core.management.base import BaseCommand

from archives.documents.locations import locations_sync
from archives.documents.services import documents_refresh_retention


class Command(BaseCommand):
    help = "按登记信息同步档案位置（一村一柜、一组一盒、一户一袋）和保管期限；可重复执行。"

    def handle(self, *args, **options) -> None:
        result = locations_sync()
        refreshed = documents_refresh_retention()
        self.stdout.write(
            f"新建 {result.created} 袋，迁移 {result.moved} 袋，更新编码 {result.renamed} 处，"
            f"更新保管期限 {refreshed} 份。"
        )
