from django.core.management.base import BaseCommand

from archives.audit.seals import seal_audit


class Command(BaseCommand):
    help = "Seal settled, unsealed audit rows into the hash chain (idempotent)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"新封存 {seal_audit()} 个数据块。")
