"""Benchmark: the district's reports (issue 19) against a big PostgreSQL database, read-mostly.

Times and peak memory (ru_maxrss of the process, above its level once Django is loaded) of:
- `monthly`: the district 月上报 job's work (review.dynamic.district.run_district_report without its
  job row): monthly.figures_of over every town, CHUNK towns at a time, the Excel and the PDF;
- `town-monthly`: one town's 月上报 figures (the interactive path);
- `roll`: the district roll job's work (archives.payments.district): each town's roll generated
  (roll_generate, the town's own interactive path, timed per town), then the zip of per-town+village
  PDFs for the first --pdf-villages parts (WeasyPrint's time is per row: the rest is extrapolated).
  Everything the roll part writes is rolled back at the end: the database is left as it was.
Each part runs in its own process (python -m bench.district --part X), so each peak is its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/million .venv/bin/python -m bench.district
    DATABASE_URL=... .venv/bin/python -m bench.district --part monthly --towns 5
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

PARTS = ("town-monthly", "monthly", "roll")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _towns(limit: int | None):
    from households.models import Town

    towns = list(Town.objects.filter(villages__isnull=False).distinct().order_by("code"))
    return towns[:limit] if limit else towns


def _month(text: str | None):
    from django.utils import timezone

    from review.dynamic.services import add_months, month_start

    if text:
        year, month = (int(p) for p in text.split("-"))
        from datetime import date

        return date(year, month, 1)
    return add_months(month_start(timezone.localdate()), -1)


def part_town_monthly(args) -> dict:
    from review.dynamic import monthly

    town = _towns(1)[0]
    start = time.perf_counter()
    figures = monthly.figures(town=town, month=_month(args.month))
    return {"town": town.name, "households": figures["totals"]["households"], "seconds": time.perf_counter() - start}


def part_monthly(args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kanjia.pdf import render_pdf
    from review.dynamic import district, monthly

    towns = _towns(args.towns)
    month = _month(args.month)
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        sections = []
        for i in range(0, len(towns), district.CHUNK):
            chunk = towns[i : i + district.CHUNK]
            found = monthly.figures_of(towns=chunk, month=month)
            sections += [{"town_id": t.pk, "town": t.name, "code": t.code, **found[t.pk]} for t in chunk]
        figures_at = time.perf_counter()
        data = district.combine(sections, month=month)
        xlsx = district.district_xlsx(data)

        class Job:  # what the templates read of the job row
            figures = data

        Job.month, Job.finished_at = month, timezone.now()
        context = {**district.district_context(job=Job), "printed_at": timezone.now()}
        pdf = render_pdf(template="review/dynamic/district_pdf.html", context=context, stylesheets=(monthly.PDF_CSS,))
    end = time.perf_counter()
    return {
        "towns": len(towns),
        "households": data["totals"]["households"],
        "figures_seconds": figures_at - start,
        "files_seconds": end - figures_at,
        "seconds": end - start,
        "queries": len(queries),
        "xlsx_kb": len(xlsx) // 1024,
        "pdf_kb": len(pdf) // 1024,
    }


def part_roll(args) -> dict:
    import tempfile
    import zipfile

    from django.contrib.auth.models import User
    from django.db import transaction

    from archives.payments import district
    from archives.payments import services as payments
    from kanjia import roles

    towns = _towns(args.towns)
    month = _month(args.month)
    out: dict = {"towns": len(towns)}

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            # A district officer's rolls need each town's own roll first: generated as a superuser-like
            # town officer (every town), then thrown away with the transaction.
            user = User.objects.create_user(username="bench-district-roll")
            from django.contrib.auth.models import Group

            user.groups.add(
                Group.objects.get_or_create(name=roles.DISTRICT)[0],
                Group.objects.get_or_create(name=roles.TOWN_OFFICE)[0],
            )
            start = time.perf_counter()
            per_town = []
            for town in towns:
                t0 = time.perf_counter()
                payments.roll_generate(town=town, month=month, by=user)
                per_town.append(time.perf_counter() - t0)
            out["roll_generate_seconds_total"] = time.perf_counter() - start
            out["roll_generate_seconds_per_town_max"] = max(per_town)
            out["roll_generate_seconds_per_town_median"] = sorted(per_town)[len(per_town) // 2]
            rolls = list(district.newest_rolls(towns=towns, month=month))
            parts = district.village_parts(rolls=rolls)
            out["parts"] = len(parts)
            out["lines"] = sum(p["households"] for p in parts)
            sample = parts[: args.pdf_villages]
            t0 = time.perf_counter()
            with tempfile.TemporaryFile() as tmp, zipfile.ZipFile(tmp, "w") as archive:
                district._write_pdfs(archive, rolls, sample, progress=lambda n: None)
                archive.writestr(
                    "全区汇总.xlsx", district.summary_xlsx(district.summary(towns=towns, rolls=rolls, parts=parts))
                )
            pdf_seconds = time.perf_counter() - t0
            sample_lines = sum(p["households"] for p in sample)
            out["pdf_parts_rendered"] = len(sample)
            out["pdf_lines_rendered"] = sample_lines
            out["pdf_seconds"] = pdf_seconds
            out["pdf_seconds_per_1000_lines"] = pdf_seconds * 1000 / max(sample_lines, 1)
            out["pdf_all_parts_extrapolated_seconds"] = out["pdf_seconds_per_1000_lines"] * out["lines"] / 1000
            raise Rollback
    except Rollback:
        pass
    return out


def run_part(args) -> None:
    _setup()
    base = _rss_mb()
    result = {"part": args.part, **globals()[f"part_{args.part.replace('-', '_')}"](args)}
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    result["peak_rss_above_django_mb"] = round(_rss_mb() - base, 1)
    print(json.dumps(result, ensure_ascii=False, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=PARTS, help="run one part in this process (default: each in its own)")
    parser.add_argument("--towns", type=int, help="only the first N towns (by code)")
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    parser.add_argument("--pdf-villages", type=int, default=3, help="roll: render this many town+village PDFs")
    args = parser.parse_args()
    if args.part:
        run_part(args)
        return
    for part in PARTS:
        command = [sys.executable, "-m", "bench.district", "--part", part, "--pdf-villages", str(args.pdf_villages)]
        if args.towns:
            command += ["--towns", str(args.towns)]
        if args.month:
            command += ["--month", args.month]
        subprocess.run(command, check=True)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
