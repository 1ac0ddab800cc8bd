"""Benchmark: the archive at town scale (issue 9).

In a scratch database (`<NAME>_bench_archives`), with N synthetic households:
the first `locations_sync` (creates every room, cabinet, box and bag), a second
one (nothing to do), the completeness report for the whole town, a payment roll,
and one village's bag labels (PDF with a QR code per bag). Prints wall time and
SQL query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanjia python -m bench.archives --households 5000
"""

import argparse
import os
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_name = f"{old_name}_bench_archives" + (".sqlite3" if connection.vendor == "sqlite" else "")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.contrib.auth.models import User

        from archives.documents.checklist import completeness_report
        from archives.documents.labels import labels_for, labels_pdf
        from archives.documents.locations import locations_sync
        from archives.payments.services import roll_generate
        from households.models import Household, Town, Village
        from households.synthetic import generate
        from kanjia import demo

        demo.load_places()
        demo.load_accounts()
        generate(households=args.households, seed=9, batch=2000)
        town_user = User.objects.get(username="town")
        village = Village.objects.order_by("order").first()

        def measure(label: str, fn) -> None:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = fn()
                elapsed = (time.perf_counter() - started) * 1000
            print(f"  {label:<28} {elapsed:8.0f} ms  {len(queries):5d} 条SQL  {result}")

        print(f"档案基准（{connection.vendor}，{Household.objects.count()} 户）:")
        measure("首次同步档案位置", lambda: locations_sync())
        measure("再次同步（无变化）", lambda: locations_sync())
        measure("全镇档案完整率", lambda: f"{completeness_report(user=town_user).total.percent}%")
        measure("生成发放花名册", lambda: roll_generate(town=Town.objects.first(), month=demo_month(), by=town_user))
        bags = Household.objects.filter(village=village).count()

        def village_labels() -> str:
            sheet = labels_for(user=town_user, level="bag", village_id=village.pk)
            return f"{len(labels_pdf(labels=sheet, level='bag')) // 1024} KB"

        measure(f"{village.name}档案袋标签({bags}张)", village_labels)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


def demo_month():
    from django.utils import timezone

    return timezone.localdate().replace(day=1)


if __name__ == "__main__":
    raise SystemExit(main())
