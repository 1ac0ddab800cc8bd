"""Benchmark: ledger import, ledger export and roster matching at the issue's sizes (issue 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanjia .venv/bin/python -m bench.ledger
    ... -m bench.ledger --import-rows 20000 --export-members 50000 --roster-rows 200000   # quicker

Works in its own scratch database (`<NAME>_ledger_bench`, dropped afterwards),
never the configured one. Each measured phase runs in a child process so that
its peak memory (ru_maxrss from wait4) is its own; the child's baseline (Python
+ Django loaded, no work) is reported too.

1. Import 100,000 member rows: dry run (parse + plan) and commit (parse + plan +
   bulk writes with history), vs a bare openpyxl read-only pass (the floor).
2. Export 250,000 member rows (member, household and totals sheets) vs a bare
   openpyxl write-only loop writing the same values (target within 1.5×, peak
   memory < 300 MB).
3. Match a 1,000,000-row roster against 250,000 members (target < 30 s) vs the
   equivalent single SQL join. Loading the roster rows is timed separately.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

EXPORT_TARGET_RATIO = 1.5
EXPORT_MEMORY_MB = 300
MATCH_TARGET_S = 30.0


def _id(i: int, region: str = "512002") -> str:
    """The i-th synthetic ID number: unique per (region, i)."""
    from households import idcard

    born = date(1930, 1, 1) + timedelta(days=i % 30000)
    first17 = f"{region}{born:%Y%m%d}{i // 30000:03d}"
    return first17 + idcard.check_char(first17)


# --- Phases (run in child processes) ----------------------------------------------------------


def phase_baseline(_args: dict) -> dict:
    from households.models import Member

    Member.objects.exists()
    return {}


def phase_bare_read(args: dict) -> dict:
    from openpyxl import load_workbook

    started, cpu = time.perf_counter(), time.process_time()
    wb = load_workbook(args["path"], read_only=True, data_only=True)
    rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "rows": rows}


def _batch(path: str):
    from django.contrib.auth.models import User
    from django.core.files import File

    from households.models import ImportBatch

    with open(path, "rb") as file:
        batch = ImportBatch(user=User.objects.get(username="town"), file_name="bench.xlsx", sha256="0" * 64)
        batch.file.save("bench.xlsx", File(file), save=True)
    return batch


def phase_import(args: dict) -> dict:
    from households.ledger.importer import run_commit, run_dry_run
    from households.models import ImportBatch

    batch = _batch(args["path"])
    started = time.perf_counter()
    run_dry_run(batch_id=batch.pk)
    dry = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED and not batch.problem_count, (batch.error, batch.summary)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMIT_QUEUED)
    # The registry listeners (relatives, archive locations, payment checks) are Celery tasks the
    # commit queues for the worker; with no broker here they would run inside the commit's timing.
    # Timed apart: the commit is what the batch waits for, the follow-ups run after it.
    from households import hooks

    listeners, calls = list(hooks._listeners), []
    hooks._listeners[:] = [lambda **kw: calls.append(kw)]
    try:
        started, cpu = time.perf_counter(), time.process_time()
        run_commit(batch_id=batch.pk)
        commit, commit_cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        hooks._listeners[:] = listeners
    started = time.perf_counter()
    for kw in calls:
        for listener in listeners:
            listener(**kw)
    followups = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED, batch.error
    return {
        "dry_run": dry,
        "commit": commit,
        "commit_cpu": commit_cpu,
        "followups": followups,
        "rows": batch.rows,
        "created": batch.members_created,
    }


def phase_reimport(args: dict) -> dict:
    from households.ledger.importer import run_dry_run

    batch = _batch(args["path"])
    started = time.perf_counter()
    run_dry_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return {"seconds": time.perf_counter() - started, "unchanged": batch.members_unchanged}


def phase_export(args: dict) -> dict:
    from django.contrib.auth.models import User

    from households.ledger.exporter import write_ledger

    user = User.objects.get(username="town")
    with tempfile.TemporaryFile() as out:
        started, cpu = time.perf_counter(), time.process_time()
        rows = write_ledger(out, user=user)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = out.tell()
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "bytes": size}


def phase_bare_write(args: dict) -> dict:
    """The same values, fetched first (not timed), then written by a bare write-only loop."""
    from django.contrib.auth.models import User
    from openpyxl import Workbook

    from households.ledger import exporter as ex

    user = User.objects.get(username="town")
    households, members = ex._scope(user=user, village=None, status="")
    noop = lambda: None  # noqa: E731
    full = ex.may_see_full_numbers(user)
    sheets = [
        ("成员台账", ex.LEDGER_HEADERS, list(ex.member_rows(members, full=full, tick=noop))),
        ("户汇总", ex.HOUSEHOLD_HEADERS, list(ex.household_rows(households, full=full, tick=noop))),
        ("合计", ex.TOTAL_HEADERS, list(ex.total_rows(households.order_by()))),
    ]
    with tempfile.TemporaryFile() as out:
        started, cpu = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        for title, header, rows in sheets:
            ws = wb.create_sheet(title)
            ws.append(list(header))
            for row in rows:
                ws.append(row)
        wb.save(out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": len(sheets[0][2])}


def phase_match(args: dict) -> dict:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from households.ledger.rosters import match_roster, raise_flags
    from households.models import ReviewFlag, Roster, RosterRow

    user = User.objects.get(username="town")
    roster = Roster.objects.get(pk=args["roster_id"])
    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        # Each statement's own time, so a slow run says which statement (or the commit) it was.
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - began, " ".join(str(sql).split())[:90]))

    started = time.perf_counter()
    with connection.execute_wrapper(timed), transaction.atomic():
        matched = match_roster(roster, user=user)
        joined = time.perf_counter() - started
        flags = raise_flags(roster, user=user)
        before_commit = time.perf_counter()
    total = time.perf_counter() - started
    commit = total - (before_commit - started)
    # The floor: the same join as one plain SELECT, no scoping, no writes (median of three: ~40 ms, noisy).
    # Also without parallel workers: PostgreSQL runs this SELECT in three processes, an UPDATE (the
    # match's first statement) always in one.
    table, members = RosterRow._meta.db_table, "households_member"

    def plain_join(*, parallel: bool) -> tuple[int, float]:
        runs = []
        with transaction.atomic(), connection.cursor() as cursor:
            if not parallel and connection.vendor == "postgresql":
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            for _ in range(3):
                began = time.perf_counter()
                cursor.execute(
                    f"SELECT count(*) FROM {table} r JOIN {members} m ON m.id_number = r.id_number "  # noqa: S608
                    "WHERE r.roster_id = %s AND m.moved_out_on IS NULL",
                    [roster.pk],
                )
                count = cursor.fetchone()[0]
                runs.append(time.perf_counter() - began)
        return count, sorted(runs)[1]

    plain, plain_seconds = plain_join(parallel=True)
    assert plain == matched, (plain, matched)
    _, serial_seconds = plain_join(parallel=False)
    return {
        "seconds": total,
        "join_update": joined,
        "matched": matched,
        "flags": flags,
        "flags_total": ReviewFlag.objects.filter(source="roster").count(),
        "plain_join": plain_seconds,
        "plain_join_serial": serial_seconds,
        "bare_writes": _bare_match_writes(roster.pk, user.pk, matched),
        "commit": commit,  # the deferred foreign-key checks of the flags and their history rows
        "slowest": [[round(sec, 3), sql] for sec, sql in sorted(statements, reverse=True)[:6]],
    }


def _bare_match_writes(roster_id: int, user_id: int, matched: int) -> float:
    """The same writes as the match in bare SQL, committed: the roster rows' member, one flag and one
    history row per matched row, their foreign keys checked at the commit. No scoping, no check for
    flags already recorded, a constant reason. Run after the match, so its pages are in the cache.
    The rows it adds (source key "bare:…") are deleted afterwards, untimed."""
    from django.db import connection, transaction

    from households.models import Member, ReviewFlag, RosterRow
    from kanjia.history import history_columns

    qn = connection.ops.quote_name
    rows, members, flags = (qn(m._meta.db_table) for m in (RosterRow, Member, ReviewFlag))
    history = qn(ReviewFlag.history.model._meta.db_table)
    tracked = ", ".join(qn(c) for c in history_columns(ReviewFlag))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {rows} r SET member_id = m.id, name_mismatch = false FROM {members} m "  # noqa: S608
            "WHERE r.roster_id = %s AND r.id_number = m.id_number AND m.moved_out_on IS NULL",
            [roster_id],
        )
        cursor.execute(
            f"WITH new AS (INSERT INTO {flags} (household_id, member_id, kind, source, source_key, reason, "  # noqa: S608
            "disposition, note, raised_at, raised_by_id) "
            "SELECT m.household_id, m.id, 1, 'roster', 'bare:' || r.row_number, 'bare', '待核实', '', now(), %s "
            f"FROM {rows} r JOIN {members} m ON m.id = r.member_id WHERE r.roster_id = %s RETURNING *) "
            f"INSERT INTO {history} ({tracked}, history_date, history_type, history_user_id) "
            f"SELECT {tracked}, now(), '+', %s FROM new",
            [user_id, roster_id, user_id],
        )
        assert cursor.rowcount == matched, (cursor.rowcount, matched)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {history} WHERE source_key LIKE 'bare:%%'")  # noqa: S608
        cursor.execute(f"DELETE FROM {flags} WHERE source_key LIKE 'bare:%%'")  # noqa: S608
    return seconds


PHASES = {
    "baseline": phase_baseline,
    "bare_read": phase_bare_read,
    "import": phase_import,
    "reimport": phase_reimport,
    "export": phase_export,
    "bare_write": phase_bare_write,
    "match": phase_match,
}


def _child(name: str, args: dict, env: dict) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ledger", "--phase", name, json.dumps(args)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    proc.stdout.close()
    if status != 0:
        raise RuntimeError(f"phase {name} failed: {out}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = round(usage.ru_maxrss / 1024)  # Linux: kilobytes
    return result


# --- Data (parent process) --------------------------------------------------------------------


def write_ledger_file(path: str, rows: int, villages: list[tuple[str, str]]) -> None:
    """A ledger of `rows` member rows, households of 1–4 members, ID cells as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from households.ledger.format import LEDGER_HEADERS

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(["堪嘉镇城乡低保对象台账（基准）"])
    ws.append(list(LEDGER_HEADERS))
    i = 0
    while i < rows:
        size = min(rng.choice((1, 2, 2, 3, 3, 4)), rows - i)
        town, village = villages[rng.randrange(len(villages))]
        head = _id(i)
        household = [town, village, f"{rng.randint(1, 3)}组", f"户主{i}"]
        for k in range(size):
            number = _id(i + k)
            cells = [
                *household,
                head,
                f"户主{i}" if k == 0 else f"成员{i + k}",
                number,
                "户主" if k == 0 else "子女",
                None,
                None,
                "健康",
                None,
                None,
                "农村",
                "三类(一般)",
                size,
                Decimal(300 + size * 50),
                Decimal("0"),
                "2021-05",
                f"138{i:08d}",
                "雁江农商银行",
                f"62284800{i:011d}",
            ]
            row = []
            for value in cells:
                cell = WriteOnlyCell(ws, value)
                if isinstance(value, str):
                    cell.data_type = "s"
                row.append(cell)
            ws.append(row)
        i += size
    wb.save(path)


def top_up_members(total: int) -> None:
    """Plain bulk inserts (benchmark data only, not app code): households of 2–3 members up to `total`."""
    from households import idcard
    from households.models import Household, Member, Village

    have = Member.objects.count()
    villages = list(Village.objects.values_list("pk", flat=True))
    rng = random.Random(11)
    i = 200_000  # IDs beyond the ledger file's
    while have < total:
        households = [
            Household(
                village_id=villages[rng.randrange(len(villages))],
                status=Household.Status.ACTIVE,
                covered_persons=2,
                base_amount=Decimal("400"),
                head_name=f"补充户主{i + k}",
            )
            for k in range(min(5000, (total - have + 1) // 2))
        ]
        Household.objects.bulk_create(households)
        members = []
        for h in households:
            for _ in range(2):
                number = _id(i)
                info = idcard.parse(number)
                members.append(
                    Member(household=h, name=f"成员{i}", id_number=number, sex=info.sex, birth_date=info.birth_date)
                )
                i += 1
        Member.objects.bulk_create(members, batch_size=5000)
        have += len(members)


def load_roster(rows: int, hits: int) -> tuple[int, float]:
    """A roster of `rows` rows, `hits` of them current members (others from another region)."""
    from django.contrib.auth.models import User

    from households.ledger.rosters import load_rows
    from households.models import Member, Roster, RosterRow

    numbers = list(Member.objects.values_list("id_number", flat=True)[:hits])
    roster = Roster.objects.create(
        kind=Roster.Kind.DEATH, uploaded_by=User.objects.get(username="town"), file_name="bench", sha256="1" * 64
    )

    def generate():
        for n in range(rows):
            number = numbers[n] if n < len(numbers) else _id(n, region="510100")
            yield RosterRow(
                roster_id=roster.pk, row_number=n + 2, id_raw=number, id_number=number, name="", date=date(2021, 3, 1)
            )

    started = time.perf_counter()
    load_rows(generate())
    return roster.pk, time.perf_counter() - started


# --- Main ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description="台账导入导出与名单比对基准")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--export-members", type=int, default=250_000)
    parser.add_argument("--roster-rows", type=int, default=1_000_000)
    parser.add_argument("--roster-hits", type=int, default=20_000, help="名单中确为在册成员的行数")
    parser.add_argument(
        "--export-repeats", type=int, default=1, help="导出与只写循环交替运行的次数（取中位数：单次受机器负载影响大）"
    )
    parser.add_argument("--keep", action="store_true", help="保留临时数据库（供 EXPLAIN 等进一步分析；下次运行时覆盖）")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("phase_args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if args.phase:
        import django

        django.setup()
        print(json.dumps(PHASES[args.phase](json.loads(args.phase_args or "{}"))))
        return 0

    import django

    django.setup()
    from django.db import connection

    from households.models import Member, Village
    from kanjia import demo

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        print("提示：基准应在 PostgreSQL 上运行（设置 DATABASE_URL）。", file=sys.stderr)
    scratch = f"{db['NAME']}_ledger_bench"
    db.setdefault("TEST", {})["NAME"] = scratch if connection.vendor == "postgresql" else f"{scratch}.sqlite3"
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    media = tempfile.mkdtemp(prefix="ledger-bench-")
    env = {**os.environ, "MEDIA_ROOT": media, "CELERY_BROKER_URL": ""}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    report: dict = {}
    try:
        demo.load_places()
        demo.load_accounts()
        villages = list(Village.objects.values_list("town__name", "name"))
        path = os.path.join(media, "ledger.xlsx")
        write_ledger_file(path, args.import_rows, villages)
        report["file_mb"] = round(os.path.getsize(path) / 1024 / 1024, 1)
        report["baseline"] = _child("baseline", {}, env)
        report["bare_read"] = _child("bare_read", {"path": path}, env)
        report["import"] = _child("import", {"path": path}, env)
        report["reimport"] = _child("reimport", {"path": path}, env)
        print(f"导入完成：{json.dumps(report, ensure_ascii=False)}", flush=True)

        top_up_members(args.export_members)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report["members"] = Member.objects.count()
        # Alternated, so a burst of load on the shared machine hits both sides; the median pair is reported.
        pairs = []
        for _ in range(max(1, args.export_repeats)):
            pairs.append((_child("export", {}, env), _child("bare_write", {}, env)))
            print(f"导出完成：{json.dumps(pairs[-1][0])} / {json.dumps(pairs[-1][1])}", flush=True)
        pairs.sort(key=lambda pair: pair[0]["seconds"] / pair[1]["seconds"])
        report["export"], report["bare_write"] = pairs[len(pairs) // 2]
        report["export_ratios"] = [round(e["seconds"] / b["seconds"], 2) for e, b in pairs]
        report["export_cpu_ratios"] = [round(e["cpu"] / b["cpu"], 2) for e, b in pairs]

        roster_id, load_s = load_roster(args.roster_rows, args.roster_hits)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE households_rosterrow")
        report["roster_load_s"] = load_s
        report["match"] = _child("match", {"roster_id": roster_id}, env)
    finally:
        if args.keep:
            print(f"保留临时数据库 {db['NAME']}", file=sys.stderr)
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    _print(report, args)
    return 0


def _print(r: dict, args) -> None:
    imp, read = r["import"], r["bare_read"]
    rows = imp["rows"]
    exp, bare = r["export"], r["bare_write"]
    ratio = exp["seconds"] / bare["seconds"]
    m = r["match"]
    print()
    where = os.environ.get("DATABASE_URL", "sqlite").split("@")[-1]
    print(f"数据库 {where}；子进程基线内存 {r['baseline']['peak_mb']} MB")
    print("| 项目 | 规模 | 用时 (s) | 速率 | 峰值内存 (MB) | 对照 | 比值 |")
    print("|---|---:|---:|---:|---:|---|---:|")
    print(
        f"| 导入预检 (解析+比对) | {rows:,} 行 ({r['file_mb']} MB) | {imp['dry_run']:.1f} | "
        f"{rows / imp['dry_run']:,.0f} 行/s | {imp['peak_mb']} | openpyxl 只读遍历 {read['seconds']:.1f} s "
        f"({read['peak_mb']} MB) | {imp['dry_run'] / read['seconds']:.1f}× |"
    )
    print(
        f"| 导入提交 (重新解析+比对+写入含历史) | {rows:,} 行 | {imp['commit']:.1f} | "
        f"{rows / imp['commit']:,.0f} 行/s | 同上 | openpyxl 只读遍历 | {imp['commit'] / read['seconds']:.1f}× |"
    )
    both = imp["commit"] + imp["followups"]
    print(
        f"| 导入提交，本进程 CPU 时间 (不含 PostgreSQL) | {rows:,} 行 | {imp['commit_cpu']:.1f} | | | "
        f"openpyxl 只读遍历 CPU {read['cpu']:.1f} s | {imp['commit_cpu'] / read['cpu']:.1f}× |"
    )
    print(
        f"| 导入后续任务 (亲属比对、档案位置、发放核对；worker 中在提交后运行) | {rows:,} 行 | "
        f"{imp['followups']:.1f} | | | 提交+后续 {both:.1f} s | {both / read['seconds']:.1f}× |"
    )
    print(
        f"| 重复导入同一文件 (预检，全部不变) | {r['reimport']['unchanged']:,} 人不变 | "
        f"{r['reimport']['seconds']:.1f} | {rows / r['reimport']['seconds']:,.0f} 行/s | "
        f"{r['reimport']['peak_mb']} | | |"
    )
    ok = "达标" if ratio <= EXPORT_TARGET_RATIO and exp["peak_mb"] < EXPORT_MEMORY_MB else "未达标"
    print(
        f"| 导出 (3 个工作表) | {exp['rows']:,} 人 | {exp['seconds']:.1f} | {exp['rows'] / exp['seconds']:,.0f} 行/s | "
        f"{exp['peak_mb']} | openpyxl 只写循环 {bare['seconds']:.1f} s | {ratio:.2f}× ({ok}) |"
    )
    print(
        f"| 导出，本进程 CPU 时间 (不含 PostgreSQL) | {exp['rows']:,} 人 | {exp['cpu']:.1f} | | | "
        f"openpyxl 只写循环 CPU {bare['cpu']:.1f} s | {exp['cpu'] / bare['cpu']:.2f}× |"
    )
    if len(r["export_ratios"]) > 1:
        print(
            f"导出 ÷ 只写循环，各次（墙钟）：{r['export_ratios']}；"
            f"（本进程 CPU）：{r['export_cpu_ratios']}；表中为中位数一次"
        )
    ok = "达标" if m["seconds"] < MATCH_TARGET_S else "未达标"
    print(
        f"| 名单比对 (一条 UPDATE…FROM 连接 + 登记标记) | {args.roster_rows:,} 行 × {r['members']:,} 人 | "
        f"{m['seconds']:.1f} ({ok}) | 连接 {m['join_update']:.1f} s，比中 {m['matched']:,}，新增标记 {m['flags']:,} | "
        f"{m['peak_mb']} | 单条 SQL 连接 {m['plain_join']:.1f} s | {m['seconds'] / m['plain_join']:.1f}× |"
    )
    print(
        f"| 名单比对，同样的写入用裸 SQL (更新名单行、插入标记与历史行，提交时检查外键；不限范围、不查重) | "
        f"{m['matched']:,} 行 | {m['bare_writes']:.2f} | | | 本系统 {m['seconds']:.2f} s | "
        f"{m['seconds'] / m['bare_writes']:.1f}× |"
    )
    print(
        f"| 名单比对 ÷ 同一连接不用并行进程 (UPDATE 只能单进程执行) | {args.roster_rows:,} 行 | "
        f"{m['seconds']:.2f} | | | "
        f"单进程 SQL 连接 {m['plain_join_serial']:.2f} s | {m['seconds'] / m['plain_join_serial']:.1f}× |"
    )
    print(f"| 名单装载 (COPY) | {args.roster_rows:,} 行 | {r['roster_load_s']:.1f} | | | | |")
    print(f"名单比对提交（延迟外键检查）{m['commit']:.2f} s；最慢的语句：")
    for seconds, sql in m["slowest"]:
        print(f"  {seconds:8.3f} s  {sql}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
