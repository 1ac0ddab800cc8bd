from django.core.management.base import BaseCommand

from archives.audit.seals import purge_audit, retention_days


class Command(BaseCommand):
    help = (
        "Delete sealed audit rows no archive rule needs any more: per household after its retention "
        "(3 years after aid stops, routine records 5 years), never younger than 180 days. Run as the DB owner."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="keep this many days (at least 180)")

    def handle(self, *args, days: int | None = None, **options) -> None:
        keep = max(days or 0, retention_days())
        result = purge_audit(days=days)
        self.stdout.write(f"保留最近 {keep} 天的审计记录，以及仍在档案保管期内的低保户的全部记录。{result.message}")
