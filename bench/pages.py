"""Benchmark: every page each persona opens, on data that is already there (issue 19).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/million .venv/bin/python -m bench.pages \
        [--users district,district_inspector,town,team1] [--top 12]

Fill the database as for `bench.million`. For each account, requests every URL without a parameter
(the index pages), then follows the links of the pages it reached, breadth first, at most two pages
per view and with/without a query string (a campaign, a case, a household, a village's archive…),
through Django's test client (middleware, ORM, database, templates; no network). Downloads,
exports, PDFs and reveals are not followed: they are jobs or logged actions. Prints, per account,
the slowest pages with their query counts (the faster of two requests), and the load average.
Read-only except for what a visit writes (access logs, a bag the archive page creates).

bench.million measures the register's pages with percentiles; this one finds the page nobody
measured: at 100,000 households it found the district's 档案完整率 at 20 s (issue 19, now one town
at a time).
"""

import argparse
import os
import re
import sys
import time

SKIP = ("logout", "login", "password", "export", "xlsx", "pdf", "download", "labels", "format=", "reveal")
SKIP += ("/admin/", "print", "zip", "/static/", "/media/", "sw.js", "manifest", "sync")


def _index_urls() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix: str = ""):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and not any(mark in prefix + route for mark in ("<", "(?P", "^")):
                yield "/" + prefix + route

    return sorted(url for url in set(walk(get_resolver().url_patterns)) if not any(s in url for s in SKIP))


def measure(username: str) -> list[tuple[float, int, int, str]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    queue, visited, per_view, rows = ["/", *_index_urls()], set(), {}, []
    while queue and len(visited) < 500:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        try:
            view = resolve(url.split("?")[0]).view_name
        except Resolver404:
            continue
        key = (view, "?" in url)
        per_view[key] = per_view.get(key, 0) + 1
        if per_view[key] > 2:
            continue
        best, queries, status, body = float("inf"), 0, 0, ""
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url)
                best = min(best, time.perf_counter() - began)
            status, queries = response.status_code, len(captured)
            if best > 5:  # once is enough to know
                break
        rows.append((best, status, queries, url))
        if status == 200 and "html" in response.get("Content-Type", ""):
            body = response.content.decode()
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = href.replace("&amp;", "&")
            if href not in visited and not any(s in href for s in SKIP):
                queue.append(href)
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description="各角色打开的每个页面的用时")
    parser.add_argument("--users", default="district,district_inspector,town,team1")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    import logging

    from django.conf import settings

    from households.models import Household

    settings.ALLOWED_HOSTS = ["*"]
    logging.disable(logging.WARNING)  # the 403s and 405s of pages a persona may not use
    print(f"{Household.objects.count():,} 户；负载 {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for username in args.users.split(","):
        rows = sorted(measure(username), reverse=True)
        print(f"\n{username}：{len(rows)} 个页面，最慢的 {args.top} 个")
        print("| 页面 | 状态 | 用时 (ms) | 查询数 |\n|---|---:|---:|---:|")
        for seconds, status, queries, url in rows[: args.top]:
            print(f"| `{url}` | {status} | {seconds * 1000:.0f} | {queries} |")
    print(f"\n负载 {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
