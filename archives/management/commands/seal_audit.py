from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from archives.audit.seals import rekey_seals, seal_audit


class Command(BaseCommand):
    help = "Seal settled, unsealed audit rows into the hash chain (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rekey",
            action="store_true",
            help="once, after upgrading: re-seal the seals made before the seal key, if their chain verifies "
            "(database owner)",
        )

    def handle(self, *args, rekey: bool = False, **options) -> None:
        if rekey:
            try:
                self.stdout.write(f"已用封存密钥重新封存 {rekey_seals()} 个封存；请打印新的封存回执。")
            except ValidationError as error:
                raise CommandError(error.messages[0]) from error
        self.stdout.write(f"新封存 {seal_audit()} 个数据块。")
