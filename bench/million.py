"""Benchmark: the household register at district scale (issue 19), on data that is already there.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/million .venv/bin/python -m bench.million [--repeats 20]

Fill the database first (once; minutes, through COPY):

    DATABASE_URL=… python manage.py shell -c "from kanjia import demo; demo.load_places(); demo.load_accounts()"
    DATABASE_URL=… python manage.py generate_households --households 1000000 --towns 19 --user town

For each persona present (district officer `district`: every town; town officer `town`; the first
team member with villages), requests the list's first page, a deep page, the searches by full name,
by surname (one character), by full ID number and by its last 4 digits (numbers go by POST and come
back as a session token, as in the browser), and the household page, through Django's test client
(middleware, ORM, database, templates; no network). Prints p50/p95 in ms and the query counts
(min–max over the samples: flat means one figure), with the load average before and after: the
machine may be shared, so read the figures with it. Read-only: it changes no data.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time

TARGET_MS = 50.0
DEEP_PAGE = 100
COUNT = re.compile(r'id="list-count"[^>]*>(.*?户)')


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _picks(user, rng: random.Random, samples: int) -> list:
    """Head members of about `samples` visible households, spread over the key range (index probes)."""
    from django.db.models import Max, Min

    from households.models import Member
    from households.selectors import households_visible_to

    visible = households_visible_to(user=user)
    bounds = visible.aggregate(lo=Min("pk"), hi=Max("pk"))
    picks = []
    for _ in range(samples * 5):
        if len(picks) >= samples or bounds["lo"] is None:
            break
        pk = visible.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"])).order_by("pk").values("pk")[:1]
        member = Member.objects.filter(household_id__in=pk).exclude(name="").order_by("pk").first()
        if member:
            picks.append(member)
    return picks


def _cases(picks: list) -> list[tuple[str, list[tuple[str, dict, str]]]]:
    """(label, [(path, GET params, number to POST first or "")])."""
    n = len(picks)
    return [
        ("列表第1页", [("/households/", {}, "")] * n),
        (f"列表第{DEEP_PAGE}页", [("/households/", {"page": DEEP_PAGE}, "")] * n),
        ("按姓名搜索(全名)", [("/households/", {"q": m.name}, "") for m in picks]),
        ("按姓氏搜索(单字)", [("/households/", {"q": m.name[0]}, "") for m in picks]),
        ("按身份证号搜索(18位)", [("/households/", {}, m.id_number) for m in picks]),
        ("按身份证后4位搜索", [("/households/", {}, m.id_number[-4:]) for m in picks]),
        ("详情页", [(f"/households/{m.household_id}/", {}, "") for m in picks]),
    ]


def _measure(user, *, repeats: int, seed: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    rows = []
    for label, requests in _cases(_picks(user, random.Random(seed), repeats)):
        times, queries, counts = [], [], set()
        for i, (path, params, number) in enumerate([requests[0], *requests]):
            if number:  # as the browser does: POST the number, GET the page its token names
                redirect = client.post("/households/search/", {"q": number})
                path, params = redirect["Location"], {}
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path, params)
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (label, path, response.status_code)
            if i == 0:
                continue  # warm-up: connection, caches, templates
            times.append(elapsed)
            queries.append(len(captured))
            if found := COUNT.search(response.content.decode()):
                counts.add(re.sub(r"<[^>]+>", "", found.group(1)).strip())
        median = statistics.median(times)
        rows.append(
            {
                "page": label,
                "p50": round(median, 1),
                "p95": round(_percentile(times, 0.95), 1),
                "queries": f"{min(queries)}–{max(queries)}" if min(queries) != max(queries) else str(queries[0]),
                "count": sorted(counts)[0] if len(counts) == 1 else (f"{len(counts)} 种" if counts else ""),
            }
        )
        row = rows[-1]
        figures = f"p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  查询 {row['queries']:>5}"
        print(f"  {label:<16} {figures}  {row['count']}")
    return rows


def _personas() -> list:
    from django.contrib.auth.models import User

    from households.selectors import villages_visible_to

    found = [User.objects.filter(username=name, is_active=True).first() for name in ("district", "town")]
    for user in User.objects.filter(is_active=True, username__startswith="team").order_by("username"):
        if villages_visible_to(user=user).exists():
            found.append(user)
            break
    return [u for u in found if u is not None]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.million", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from households.models import Household, Member, Town
    from households.selectors import households_visible_to
    from kanjia.startup import freeze_loaded_objects

    freeze_loaded_objects()  # as kanjia/wsgi.py does in every web process

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {Household.objects.count():,} 户, "
        f"{Member.objects.count():,} 成员, {Town.objects.count()} 个乡镇; 负载 {_load()} ({os.cpu_count()} 核)"
    )
    report = []
    for user in _personas():
        scope = households_visible_to(user=user).count()
        print(f"{user.username}（可见 {scope:,} 户）")
        report.append((user.username, scope, _measure(user, repeats=args.repeats, seed=args.seed)))
    print(f"负载（之后） {_load()}")
    print()
    print(f"| 账号（可见户数） | 页面 | p50 (ms) | p95 (ms) | 查询数 | 列表户数 | p50 < {TARGET_MS:g} ms |")
    print("|---|---|---:|---:|---:|---:|:---:|")
    for username, scope, rows in report:
        for row in rows:
            ok = "是" if row["p50"] < TARGET_MS else "**否**"
            print(
                f"| {username}（{scope:,}） | {row['page']} | {row['p50']} | {row['p95']} | {row['queries']} "
                f"| {row['count']} | {ok} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
