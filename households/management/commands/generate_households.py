import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from households.synthetic import district_towns, generate


class Command(BaseCommand):
    help = (
        "生成合成低保户数据（身份证号有效、地区码 512002，含成员、收入、财产和部分重点复核标记），用于演示和性能测试。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--households", type=int, required=True, help="生成户数")
        parser.add_argument("--seed", type=int, default=2021, help="随机种子（相同种子生成相同数据）")
        parser.add_argument("--batch", type=int, default=2000, help="每批写入户数")
        parser.add_argument("--user", help="记入修改历史的操作人用户名（可选）")
        parser.add_argument(
            "--towns", type=int, default=0, help="先建立若干合成乡镇（每镇 20-30 个村，含组、标准、类别和财产规则）"
        )
        parser.add_argument(
            "--orm", action="store_true", help="逐批经 ORM 写入（默认：PostgreSQL 用 COPY，其他数据库用 ORM）"
        )

    def handle(
        self, *args, households: int, seed: int, batch: int, user: str | None, towns: int, orm: bool, **options
    ) -> None:
        if households < 1:
            raise CommandError("--households 须为正整数。")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户 {user} 不存在。")
        started = time.monotonic()

        def progress(done: int) -> None:
            self.stdout.write(f"  已生成 {done}/{households} 户（{time.monotonic() - started:.0f} 秒）")

        try:
            if towns:
                district_towns(towns=towns, seed=seed)
            made = generate(
                households=households,
                seed=seed,
                user=actor,
                batch=batch,
                progress=progress,
                use_copy=False if orm else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已生成 {made} 户，用时 {time.monotonic() - started:.1f} 秒。"))
