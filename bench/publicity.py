"""Benchmark: a 1,000-household publicity notice (issue 6).

Compares the project's path (`publicity.notices`: Django template → WeasyPrint
with the bundled font, base and notice CSS, the static-only URL fetcher, page
count kept) with WeasyPrint rendering the very same HTML and CSS alone (default
fetcher, nothing else). Target: the project within 1.2× of WeasyPrint alone.
Reports pages, file size and peak memory (max RSS of a fresh process per run).

The rows are 1,000 synthetic `NoticeRow`s (reading 1,000 rows from the
database is a few milliseconds next to the seconds of layout); no database is
needed. Each measurement runs in its own process so that peak memory is that
render's alone.

    .venv/bin/python -m bench.publicity [--households 1000] [--repeats 3]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal

TARGET_RATIO = 1.2
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "明华建国秀英桂兰志强丽芳玉梅德云海燕文军红霞春林平成小永刚金凤子涛宇杰晓婷俊辉荣福顺"
CHANGES = ("维持", "维持", "维持", "调整", "停保", "新纳入")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()


def _context(households: int) -> dict:
    from publicity.notices import WHITELIST, NoticeRow

    rows = []
    for i in range(households):
        change = CHANGES[i % len(CHANGES)]
        amount = None if change == "停保" else Decimal(280 + (i * 37) % 400)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
        rows.append(
            NoticeRow(
                seq=i + 1,
                place=f"中心村{i % 12 + 1}组",
                head_name=name,
                persons=1 + i % 5,
                amount=amount,
                change=change,
            )
        )
    return {
        "title": "堪嘉镇中心村2021年城乡低保专项清理第一榜公示",
        "intro": "经入户调查、家庭经济状况核对和民主评议，现将调查评议结果公示如下：",
        "period": "公示期：2021年6月1日至2021年6月7日",
        "columns": WHITELIST,
        "rows": rows,
        "households": len(rows),
        "persons": sum(r.persons for r in rows),
        "office": {
            "name": "资阳市雁江区堪嘉镇人民政府民政办",
            "phone": "028-26000000",
            "address": "堪嘉镇便民服务中心",
        },
        "issued_on": "2021年6月1日",
        "draft": False,
        "paper": "A4",
        "objections_open": True,
    }


def _one(variant: str, households: int) -> dict:
    """Render once in this process; print time (s), pages, bytes and peak RSS (MB)."""
    _setup()
    from django.template.loader import render_to_string

    from publicity import notices

    context = _context(households)
    if variant == "project":
        started, cpu = time.perf_counter(), time.process_time()
        rendered = notices._render("publicity/pdf/notice.html", context)
        elapsed, pdf, pages = time.perf_counter() - started, rendered.pdf, rendered.pages
    else:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        from kanjia.pdf import BASE_CSS, STATIC_DIR

        # The same HTML as the project's (template rendering is not WeasyPrint's work).
        html = render_to_string("publicity/pdf/notice.html", context)
        started, cpu = time.perf_counter(), time.process_time()
        fonts = FontConfiguration()
        css = [CSS(filename=str(p), font_config=fonts) for p in (BASE_CSS, notices.NOTICE_CSS)]
        document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").render(stylesheets=css, font_config=fonts)
        pdf, pages = document.write_pdf(), len(document.pages)
        elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "seconds": elapsed, "cpu": cpu, "pages": pages, "bytes": len(pdf), "peak_mb": peak_mb}


def run(*, households: int = 1000, repeats: int = 3) -> dict:
    results: dict[str, list[dict]] = {"project": [], "weasyprint": []}
    for _ in range(repeats):
        for variant in results:
            out = subprocess.run(
                [sys.executable, "-m", "bench.publicity", "--one", variant, "--households", str(households)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {}
    for variant, runs in results.items():
        summary[variant] = {
            "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
            "median_cpu_s": round(statistics.median(r["cpu"] for r in runs), 2),
            "pages": runs[0]["pages"],
            "kb": round(runs[0]["bytes"] / 1024),
            "peak_mb": round(max(r["peak_mb"] for r in runs)),
        }
    # CPU time decides: WeasyPrint is single-threaded, and wall time on a shared machine is noise.
    ratio = summary["project"]["median_cpu_s"] / summary["weasyprint"]["median_cpu_s"]
    return {"households": households, "summary": summary, "ratio": round(ratio, 2), "ok": ratio <= TARGET_RATIO}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publicity", description="千户公示名单 PDF 基准")
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", choices=["project", "weasyprint"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.households)))
        return 0
    report = run(households=args.households, repeats=args.repeats)
    print(f"公示名单 PDF 基准：{report['households']} 户，各 {args.repeats} 次（每次独立进程）")
    print("| 方式 | 中位 CPU 时间 (s) | 中位墙钟时间 (s) | 页数 | 文件大小 (KB) | 峰值内存 (MB) |")
    print("|---|---|---|---|---|---|")
    for variant, label in (("project", "本系统 publicity.notices"), ("weasyprint", "WeasyPrint 单独渲染同一 HTML")):
        s = report["summary"][variant]
        print(f"| {label} | {s['median_cpu_s']} | {s['median_s']} | {s['pages']} | {s['kb']} | {s['peak_mb']} |")
    mark = "达标" if report["ok"] else "未达标"
    print(f"本系统 / WeasyPrint（CPU 时间）= {report['ratio']}×（目标 ≤ {TARGET_RATIO}×，{mark}）")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
