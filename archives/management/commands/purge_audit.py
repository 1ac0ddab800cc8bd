from django.core.management.base import BaseCommand

from archives.audit.seals import purge_audit, retention_days


class Command(BaseCommand):
    help = "Delete sealed audit rows older than the retention (never younger than 180 days). Run as the DB owner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="keep this many days (at least 180)")

    def handle(self, *args, days: int | None = None, **options) -> None:
        keep = max(days or 0, retention_days())
        self.stdout.write(f"保留最近 {keep} 天的审计记录；删除 {purge_audit(days=days)} 行。")
