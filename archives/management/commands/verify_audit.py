from django.core.management.base import BaseCommand, CommandError

from archives.audit.seals import seal_audit, verify_audit


class Command(BaseCommand):
    help = "Recompute the audit hash chain and name every row changed, deleted or inserted out of order."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seal", action="store_true", help="seal settled rows first")

    def handle(self, *args, seal: bool = False, **options) -> None:
        if seal:
            self.stdout.write(f"新封存 {seal_audit()} 个数据块。")
        run = verify_audit(trigger="command")
        self.stdout.write(f"已核对封存 {run.seals_checked} 个，记录 {run.rows_checked} 行。")
        for problem in run.problems:
            self.stdout.write(f"{problem['kind']}\t{problem['table']}\t{problem['row_id'] or ''}\t{problem['text']}")
        if not run.ok:
            raise CommandError(f"审计链校验未通过：发现 {len(run.problems)} 处问题。")
        self.stdout.write(self.style.SUCCESS("审计链校验通过。"))
