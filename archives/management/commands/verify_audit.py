from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from archives.audit.seals import parse_receipt, seal_audit, verify_audit


class Command(BaseCommand):
    help = "Recompute the audit hash chain and name every row changed, deleted or inserted out of order."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seal", action="store_true", help="seal settled rows first")
        parser.add_argument(
            "--receipt",
            help="the last 封存回执 the inspector holds, NUMBER:DIGEST (at least 16 hex digits): "
            "a chain whose seal NUMBER is gone or has another digest is refused",
        )

    def handle(self, *args, seal: bool = False, receipt: str | None = None, **options) -> None:
        try:
            given = parse_receipt(receipt) if receipt else None
        except ValidationError as error:
            raise CommandError(error.messages[0]) from error
        if seal:
            self.stdout.write(f"新封存 {seal_audit()} 个数据块。")
        run = verify_audit(trigger="command", receipt=given)
        self.stdout.write(f"已核对封存 {run.seals_checked} 个，记录 {run.rows_checked} 行。")
        for problem in run.problems:
            self.stdout.write(f"{problem['kind']}\t{problem['table']}\t{problem['row_id'] or ''}\t{problem['text']}")
        if not run.ok:
            raise CommandError(f"审计链校验未通过：发现 {len(run.problems)} 处问题。")
        self.stdout.write(self.style.SUCCESS("审计链校验通过。"))
