from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kanjia.backup import restore


class Command(BaseCommand):
    help = "从备份文件恢复到一个刚建好并 migrate 过的新数据库（同一程序版本；全部成功或全部不恢复）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        try:
            manifest = restore(path=path)
        except ValidationError as err:
            raise CommandError("；".join(err.messages)) from err
        self.stdout.write(f"已恢复 {sum(manifest['counts'].values())} 行（备份时间 {manifest['created_at']}）")
        if manifest["seeded_replaced"]:
            self.stdout.write(f"迁移预置的 {manifest['seeded_replaced']} 行已由备份中的对应数据替换。")
