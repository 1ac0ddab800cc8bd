from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from kanjia.backup import backup


class Command(BaseCommand):
    help = "备份整个数据库到一个 gzip 文件（含各表行数与校验值）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, help="备份文件路径，默认 var/backups/kanjia-时间.json.gz")

    def handle(self, *args, output: Path | None = None, **options) -> None:
        path = output or settings.VAR_DIR / "backups" / f"kanjia-{timezone.localtime():%Y%m%d-%H%M%S}.json.gz"
        manifest = backup(path=path)
        self.stdout.write(f"已备份 {sum(manifest['counts'].values())} 行到 {path}")
