"""The runner behind `make loadtest` (`python -m bench.loadtest`).

1. its own PostgreSQL database (`--database-url`, created if missing; never DATABASE_URL), migrated,
   filled by `bench.loadtest.prepare` (demo loader + `generate_households`), and the plan;
2. gunicorn with the production settings the README documents (KANJIA_ENV=production, a fresh
   SECRET_KEY, ALLOWED_HOSTS, Redis as the broker, collected static files) but HTTPS=false, plain
   http on 127.0.0.1;
3. Locust, headless, `--users` concurrent clients for `--duration`, with think time;
4. the figures: requests, errors (5xx, 4xx other than the mix's expected refusals, anything else
   the mix did not expect), p50/p95/p99 and requests per second, with the load average; printed,
   and added to docs/benchmarks.md (unless `--no-docs`).

Exit status 1 when any request was an error. gunicorn is stopped (by its pid) whatever happens.
"""

import argparse
import csv
import json
import math
import os
import resource
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
MARKER = "<!-- loadtest:runs (make loadtest adds each run above this line) -->"
LOGIN_KINDS = ("login_form", "login")


# --- Figures -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation): the value below which `share` of the samples lie."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def read_samples(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def error_kind(sample: dict) -> str:
    """ "" for a request the mix expected; else 5xx, 4xx (not an expected refusal) or other."""
    if not sample["error"]:
        return ""
    status = int(sample["status"] or 0)
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return "other"


def summarize(samples: list[dict], *, login_names: set[str]) -> dict:
    """Totals and per-request lines. The p50/p95/p99 of the mix leave the logins out (a login is a
    deliberately slow password hash, once per client); they have their own line."""
    by_name: dict[str, list[dict]] = {}
    for sample in samples:
        by_name.setdefault(sample["name"], []).append(sample)
    errors = {"5xx": 0, "4xx": 0, "other": 0}
    for sample in samples:
        if kind := error_kind(sample):
            errors[kind] += 1
    starts = [float(s["start"]) for s in samples if float(s["start"] or 0)]
    ends = [float(s["start"]) + float(s["ms"]) / 1000 for s in samples if float(s["start"] or 0)]
    seconds = (max(ends) - min(starts)) if starts else 0.0
    mix_times = [float(s["ms"]) for s in samples if s["name"] not in login_names]
    # Steady state: the mix's requests sent after the last client's login finished. While clients
    # are still logging in (a deliberate PBKDF2 hash each, 50 of them in the first ~15 s) the two
    # cores are busy hashing and the pages queue behind them; that is the ramp, not the clerk's day.
    logins_done = max(
        (float(s["start"]) + float(s["ms"]) / 1000 for s in samples if s["name"] in login_names), default=0.0
    )
    steady = [float(s["ms"]) for s in samples if s["name"] not in login_names and float(s["start"] or 0) > logins_done]
    lines = []
    for name, rows in sorted(by_name.items(), key=lambda item: -len(item[1])):
        times = [float(r["ms"]) for r in rows]
        lines.append(
            {
                "name": name,
                "requests": len(rows),
                "errors": sum(1 for r in rows if error_kind(r)),
                "p50": percentile(times, 0.50),
                "p95": percentile(times, 0.95),
                "p99": percentile(times, 0.99),
            }
        )
    return {
        "requests": len(samples),
        "mix_requests": len(mix_times),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "refusals": sum(1 for s in samples if s["refusal"] == "1" and not s["error"]),
        "p50": percentile(mix_times, 0.50),
        "p95": percentile(mix_times, 0.95),
        "p99": percentile(mix_times, 0.99),
        "steady": {
            "requests": len(steady),
            "after": round(logins_done - min(starts), 1) if starts and logins_done else 0.0,
            "p50": percentile(steady, 0.50),
            "p95": percentile(steady, 0.95),
            "p99": percentile(steady, 0.99),
        },
        "seconds": round(seconds, 1),
        "rps": round(len(samples) / seconds, 2) if seconds else 0.0,
        "lines": lines,
    }


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def report(summary: dict, *, context: dict) -> str:
    """The markdown block for docs/benchmarks.md (also printed)."""
    load = context["load"]
    e = summary["errors_by_kind"]
    steady = summary["steady"]
    title = f"### {context['when']}: {context['households']:,} households, {context['users']} clients"
    if context.get("note"):
        title += f" ({context['note']})"
    out = [
        title,
        "",
        f"`{context['command']}`: gunicorn {context['workers']} sync workers, think time "
        f"{context['think'][0]:g}–{context['think'][1]:g} s, {context['duration']}, PostgreSQL "
        f"{context['postgres']}, {context['households']:,} households and {context['cases']:,} cases "
        f"(accounts: {context['accounts']}).",
        "",
        f"Load average (1 min): {load['before']:.2f} before, {load['min']:.2f}–{load['max']:.2f} during the run "
        f"(mean {load['mean']:.2f}), {context['cpus']} CPUs. **Locust, gunicorn and PostgreSQL share this "
        f"machine's {context['cpus']} cores**, so every figure includes the load generator's own CPU time.",
        "",
    ]
    if context.get("cpu") and summary["requests"]:
        cpu = context["cpu"]
        total = sum(cpu.values()) or 1.0
        names = ("gunicorn", "postgres", "locust")
        parts = ", ".join(f"{name} {cpu[name]:.0f} s ({cpu[name] / total:.0%})" for name in names)
        per_request = 1000 * total / summary["requests"]
        out += [f"CPU used during the run: {parts}; {per_request:.0f} ms of CPU per request in all.", ""]
    out += [
        "| requests | errors (5xx / other 4xx / other) | expected refusals | p50 (ms) | p95 (ms) | p99 (ms) "
        "| requests/s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {summary['requests']:,} | {summary['errors']} ({e['5xx']} / {e['4xx']} / {e['other']}) | "
        f"{summary['refusals']} | {_ms(summary['p50'])} | {_ms(summary['p95'])} | {_ms(summary['p99'])} | "
        f"{summary['rps']} |",
        "",
        "p50/p95/p99 are over the mix without the logins (each client logs in once: a PBKDF2 hash by design); "
        f"requests/s counts every request. Tracebacks in the server's log: {context.get('tracebacks', 0)}.",
        "",
        f"Steady state (the mix's {steady['requests']:,} requests sent after the last login finished, "
        f"{steady['after']:g} s into the run): p50 {_ms(steady['p50'])} ms, **p95 {_ms(steady['p95'])} ms**, "
        f"p99 {_ms(steady['p99'])} ms.",
        "",
        "| request | count | errors | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line in summary["lines"]:
        out.append(
            f"| {line['name']} | {line['requests']:,} | {line['errors']} | {_ms(line['p50'])} | "
            f"{_ms(line['p95'])} | {_ms(line['p99'])} |"
        )
    return "\n".join(out) + "\n"


def add_to_docs(block: str, path: Path = DOCS) -> None:
    """Insert `block` above the marker (runs stay in order under the load-test section), or append."""
    text = path.read_text(encoding="utf-8")
    if MARKER in text:
        text = text.replace(MARKER, block + "\n" + MARKER, 1)
    else:
        text = text.rstrip("\n") + "\n\n## Load test runs\n\n" + block
    path.write_text(text, encoding="utf-8")


# --- Processes ---------------------------------------------------------------------------------


def _database(url: str, *, fresh: bool = False) -> str:
    """Create the load test's database if it does not exist (`fresh`: drop it first); refuse the configured one."""
    import psycopg

    if os.environ.get("DATABASE_URL") and os.environ["DATABASE_URL"].rstrip("/") == url.rstrip("/"):
        raise SystemExit("负载测试不能使用 DATABASE_URL 所指的数据库：请用 LOADTEST_DATABASE_URL 指定单独的库。")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("负载测试须使用 PostgreSQL（LOADTEST_DATABASE_URL=postgres://…）。")
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            print(f"已删除数据库 {name}（--fresh）")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # name from our own URL, quoted
            print(f"已创建数据库 {name}")
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def _static_stale(root: Path) -> bool:
    manifest = root / "staticfiles.json"
    if not manifest.exists():
        return True
    newest = max((p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()), default=0.0)
    return newest > manifest.stat().st_mtime


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_ready(url: str, server: subprocess.Popen, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn 未能启动，见日志。")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own 127.0.0.1 server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise SystemExit(f"gunicorn 在 {seconds} 秒内没有应答 {url}")


class LoadSampler(threading.Thread):
    """The 1-minute load average every few seconds while Locust runs."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every, self.values, self.done = every, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.values.append(os.getloadavg()[0])
            self.done.wait(self.every)


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by gunicorn (master and workers) and by PostgreSQL's processes,
    each with its children that have exited (Linux /proc: utime, stime, cutime, cstime). The
    children matter for PostgreSQL: a parallel query's workers live for one query, and their
    time is added to the postmaster's when they exit.

    Taken before the clients start and again before gunicorn stops (its database connections,
    and so their PostgreSQL backends, live until then); the difference is what the run cost."""
    parts = {"gunicorn": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(rest[1])
        seconds = sum(int(ticks) for ticks in rest[11:15]) / os.sysconf("SC_CLK_TCK")
        if pid == server_pid or ppid == server_pid:
            parts["gunicorn"] += seconds
        elif comm == "postgres" or comm.startswith("postgres:"):
            parts["postgres"] += seconds
    return parts


def _settle(limit: float = 1.0, seconds: int = 90) -> float:
    """Wait (at most `seconds`) for the 1-minute load average to fall below `limit` after the
    preparation, so the run does not start on the tail of its VACUUM; returns the load then."""
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description="负载测试（Locust + gunicorn）")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10, help="并发客户端数")
    parser.add_argument("--duration", default="5m", help="运行时长（Locust 格式：60s、5m、1h）")
    parser.add_argument("--spawn-rate", type=float, default=0, help="每秒启动客户端数（默认 users/10）")
    parser.add_argument("--think", default="1-5", help="两次请求之间的思考时间（秒，最小-最大）")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn 工作进程数（README 的生产命令为 3）")
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kanjia_load"),
    )
    parser.add_argument("--broker-url", default=os.environ.get("LOADTEST_BROKER_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--locust", default=str(ROOT / ".venv-loadtest" / "bin" / "locust"))
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    parser.add_argument("--note", default="", help="写入 docs/benchmarks.md 标题的说明（如“繁忙机器上的冒烟运行”）")
    parser.add_argument("--command", default="", help="记录在文档中的命令（默认按参数生成）")
    parser.add_argument("--fresh", action="store_true", help="先删除并重建负载测试数据库（改变户数时用）")
    parser.add_argument("--no-docs", action="store_true", help="只打印，不写入 docs/benchmarks.md")
    args = parser.parse_args(argv)
    think = tuple(float(x) for x in args.think.split("-", 1))
    spawn = args.spawn_rate or max(1.0, args.users / 10)

    postgres = _database(args.database_url, fresh=args.fresh)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kanjia.settings",
        "KANJIA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "false",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "CELERY_RESULT_BACKEND": args.broker_url,
        "KANJIA_VAR_DIR": str(out / "app"),
        "STATIC_ROOT": str(out / "static"),
        "AUDIT_SEAL_KEY": secrets.token_urlsafe(32),
        "LOG_LEVEL": "ERROR",  # not the expected 404s of the mix; a 500 is logged at ERROR
    }
    python = sys.executable
    plan_path = out / "plan.json"
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            python,
            "-m",
            "bench.loadtest.prepare",
            "--households",
            str(args.households),
            "--seed",
            str(args.seed),
            "--plan",
            str(plan_path),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    if _static_stale(out / "static"):  # whitenoise compresses every file (the fonts take minutes): only when changed
        subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    plan = json.loads(plan_path.read_text(encoding="utf-8"))

    if not _port_free(args.port):
        raise SystemExit(f"端口 {args.port} 已被占用：请用 LOADTEST_PORT 换一个端口。")
    host = f"http://127.0.0.1:{args.port}"
    log = out / "gunicorn.log"
    gunicorn = [str(Path(python).parent / "gunicorn"), "kanjia.wsgi", "-b", f"127.0.0.1:{args.port}"]
    gunicorn += ["-w", str(args.workers)]
    # gunicorn's own log and Django's (a 500's traceback, via the console handler) both go to stderr: one file.
    with log.open("w") as log_file:
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=log_file, stderr=log_file, start_new_session=True)
    samples_path = out / "samples.csv"
    sampler = LoadSampler()
    try:
        _wait_ready(f"{host}/accounts/login/", server)
        before = _settle()
        cpu_before = cpu_by_part(server.pid)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        sampler.start()
        locust_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LOADTEST_PLAN": str(plan_path),
            "LOADTEST_SAMPLES": str(samples_path),
            "LOADTEST_THINK_MIN": str(think[0]),
            "LOADTEST_THINK_MAX": str(think[1]),
        }
        locust = [args.locust, "-f", str(ROOT / "bench" / "loadtest" / "locustfile.py"), "--headless"]
        locust += ["-u", str(args.users), "-r", str(spawn), "-t", args.duration, "--host", host]
        locust += ["--csv", str(out / "locust"), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
        subprocess.run(locust, cwd=ROOT, env=locust_env, check=False)  # its exit status: we judge the samples
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # Locust is the only child finished meanwhile
        cpu_after = cpu_by_part(server.pid)
        cpu = {part: cpu_after[part] - cpu_before[part] for part in cpu_after}
        cpu["locust"] = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    finally:
        sampler.done.set()
        server.terminate()  # gunicorn's master: graceful stop of its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    values = sampler.values or [os.getloadavg()[0]]
    from bench.loadtest import mix

    summary = summarize(read_samples(samples_path), login_names={mix.NAMES[k] for k in LOGIN_KINDS})
    tracebacks = log.read_text(encoding="utf-8", errors="replace").count("Traceback") if log.exists() else 0
    accounts: dict[str, int] = {}
    for account in plan["accounts"]:
        accounts[account["persona"]] = accounts.get(account["persona"], 0) + 1
    context = {
        "tracebacks": tracebacks,
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "households": plan["data"]["households"],
        "cases": plan["data"]["cases"],
        "postgres": postgres,
        "users": args.users,
        "workers": args.workers,
        "think": think,
        "duration": args.duration,
        "note": args.note,
        "cpus": os.cpu_count(),
        "accounts": ", ".join(f"{n} {p}" for p, n in accounts.items()),
        "cpu": cpu,
        "load": {"before": before, "min": min(values), "max": max(values), "mean": sum(values) / len(values)},
        "command": args.command
        or f"make loadtest HOUSEHOLDS={args.households} USERS={args.users} DURATION={args.duration}",
    }
    block = report(summary, context=context)
    print()
    print(block)
    if tracebacks:
        print(f"gunicorn 日志中有 {tracebacks} 个 Traceback：{log}")
    if not args.no_docs:
        add_to_docs(block)
        print(f"已写入 {DOCS.relative_to(ROOT)}")
    return 1 if summary["errors"] or not summary["mix_requests"] or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
