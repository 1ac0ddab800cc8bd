"""`python -m bench` (`make bench`): server time of the household register pages at scale.

Creates a scratch database (`<NAME>_bench`, never the configured one and never
the test database), fills it with `generate_households` data (100,000 households,
about 250,000 members by default), then requests each page through Django's
test client as a town officer and reports median and 95th-percentile time and
the number of SQL queries. Then runs the village-scoping benchmark of
`bench.team_scope` unless `--skip-team-scope`.

Run it against PostgreSQL, as production does:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanjia python -m bench
    python -m bench --households 20000 --repeats 20 --keepdb    # quicker, reuses data

Timings are wall-clock in one process (middleware, ORM, database, template
rendering; no network), so they are what the server spends per request.
"""

import argparse
import os
import random
import statistics
import sys
import time

TARGET_MS = 100.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _prepare(households: int, seed: int) -> None:
    from django.db import connection

    from households.models import Household
    from households.synthetic import generate
    from kanjia import demo

    demo.load_places()
    demo.load_accounts()
    have = Household.objects.count()
    if have < households:
        started = time.perf_counter()
        print(f"生成 {households - have} 户合成数据 ...", flush=True)
        generate(
            households=households - have,
            seed=seed + have,
            progress=lambda done: print(f"  {done}", end="\r", flush=True),
            batch=2000,
        )
        print(f"生成用时 {time.perf_counter() - started:.0f} 秒", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _cases(rng: random.Random, samples: int) -> list[tuple[str, list[tuple[str, dict]]]]:
    from households.models import Household, Member

    top = Household.objects.order_by("-pk").values_list("pk", flat=True).first()
    picks = []
    while len(picks) < samples:
        member = Member.objects.filter(household_id__gte=rng.randint(1, top)).order_by("household_id").first()
        if member and member.name:
            picks.append(member)
    phones = dict(Household.objects.filter(pk__in=[m.household_id for m in picks]).values_list("pk", "phone"))
    return [
        ("列表第1页", [("/households/", {})] * samples),
        ("列表第200页(按户主排序)", [("/households/", {"sort": "head", "page": 200})] * samples),
        ("列表筛选(有待核实标记)", [("/households/", {"flag": "any"})] * samples),
        ("按姓名搜索(全名)", [("/households/", {"q": m.name}) for m in picks]),
        ("按姓氏搜索(单字)", [("/households/", {"q": m.name[0]}) for m in picks]),
        ("按身份证号搜索(18位)", [("/households/", {"q": m.id_number}) for m in picks]),
        ("按身份证后4位搜索", [("/households/", {"q": m.id_number[-4:]}) for m in picks]),
        ("按电话搜索", [("/households/", {"q": phones[m.household_id]}) for m in picks]),
        ("详情页", [(f"/households/{m.household_id}/", {}) for m in picks]),
        ("修改记录页", [(f"/households/{m.household_id}/history/", {}) for m in picks]),
    ]


def _measure(repeats: int, seed: int) -> list[dict]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username="town"))
    rows = []
    for label, requests in _cases(random.Random(seed), repeats):
        client.get(*requests[0])  # warm-up: caches, connection, templates
        times, queries, hits = [], [], 0
        for url, params in requests:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, params, response.status_code)
            queries.append(len(captured))
            page = response.context.get("page") if response.context else None
            hits += page.paginator.count if page is not None else 1
        median = statistics.median(times)
        rows.append(
            {
                "page": label,
                "median_ms": round(median, 1),
                "p95_ms": round(_percentile(times, 0.95), 1),
                "queries": f"{min(queries)}–{max(queries)}" if min(queries) != max(queries) else str(queries[0]),
                "avg_rows": round(hits / len(requests)),
                "ok": median < TARGET_MS,
            }
        )
        print(f"  {label:<22} 中位数 {median:7.1f} ms  P95 {rows[-1]['p95_ms']:7.1f} ms  查询 {rows[-1]['queries']:>5}")
    return rows


def _report(rows: list[dict], *, households: int, members: int, vendor: str) -> None:
    print()
    print(f"| 页面 | 中位数 (ms) | P95 (ms) | SQL 查询数 | 平均命中户数 | 目标 <{TARGET_MS:.0f} ms |")
    print("|---|---:|---:|---:|---:|:-:|")
    for r in rows:
        mark = "达标" if r["ok"] else "未达标"
        print(f"| {r['page']} | {r['median_ms']} | {r['p95_ms']} | {r['queries']} | {r['avg_rows']} | {mark} |")
    print(f"\n数据: {households} 户, {members} 名成员, 数据库 {vendor}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="低保户登记页面性能基准")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=40, help="每个页面请求次数")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keepdb", action="store_true", help="保留并复用基准数据库（再次运行无需重新造数）")
    parser.add_argument("--skip-team-scope", action="store_true", help="不运行清理小组范围基准 (bench.team_scope)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from households.models import Household, Member

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Our own scratch database, apart from the configured one and from pytest's.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench"
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench.sqlite3"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    ok = True
    try:
        _prepare(args.households, args.seed)
        print(f"低保户页面基准（{connection.vendor}）:")
        rows = _measure(args.repeats, args.seed)
        _report(rows, households=Household.objects.count(), members=Member.objects.count(), vendor=connection.vendor)
        ok = all(r["ok"] for r in rows)
        if not args.skip_team_scope:
            from bench import team_scope

            report = team_scope.run(households=args.households, villages=50)
            print("\n清理小组范围基准 (bench.team_scope):")
            for row in report["rows"]:
                town, team = f"{row['town_ms']} ms", f"{row['team_ms']} ms"
                print(f"  {row['page']:<12} 镇民政办 {town}  小组成员 {team}  ×{row['ratio']}")
            ok = ok and report["ok"]
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
