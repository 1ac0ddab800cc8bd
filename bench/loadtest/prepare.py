"""Fill the load-test database and write the plan the Locust users follow.

    python -m bench.loadtest.prepare --households 100000 --seed 2021 --plan var/loadtest/plan.json

Run by `bench.loadtest.run` with the load test's own DATABASE_URL (never the configured one).
Data: the demo loader's places, accounts and its 300 households, then `generate_households` up to
`--households` (seeded), then `load_demo` again for the teams, declarations and the demo campaign,
whose launch opens a re-check case (受理) for every household in care. Households added to an
existing database later get no case (the campaign exists): start from an empty database to change
the size. The database is reused as it is when it already holds enough households.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

SAMPLE = 200  # households, names and cases drawn per account
SAVEABLE = 40  # cases per account whose acceptance draft the mix saves


def ensure_data(*, households: int, seed: int) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    from households.models import Household, Town
    from households.paychecks.tasks import refresh_payment_checks
    from kanjia import demo
    from kanjia.celery import app as celery_app
    from review.models import Case

    started = time.monotonic()
    demo.load_places()
    demo.load_accounts()
    demo.load_households()  # the demo's own 300 households, only into an empty database
    demo.load_other_towns()  # and its two synthetic towns' 270 (issue 19)
    have = Household.objects.count()
    if have < households:
        print(f"生成 {households - have} 户合成数据（种子 {seed}）...", flush=True)
        call_command("generate_households", households=households - have, seed=seed, user="town", batch=2000)
    call_command("load_demo")
    # What the nightly beat job would have done by the morning of the run (no worker runs here), and
    # the queued copies of it dropped from the load test's own broker.
    # Only the demo's towns, whose accounts the plan logs in as: at district scale (generate_households
    # --towns) the other towns' households would take longer than the run itself, and the district's
    # list does not total them (households.selectors.scope_is_large).
    for town in Town.objects.filter(code__in=[demo.KANJIA, *(t[1] for t in demo.OTHER_TOWNS)]):
        refresh_payment_checks(town_id=town.pk)
    if settings.CELERY_BROKER_URL:
        celery_app.control.purge()
    if connection.vendor == "postgresql":
        # What a night's autovacuum would have done before the office opens: the campaign's new
        # cases (and the generator's rows, if it ran inside a transaction) vacuumed and analyzed,
        # then a checkpoint, so neither autovacuum nor the checkpoint of pages dirtied here
        # competes with the measured run for the 2 cores. Tests call this inside a transaction,
        # where VACUUM cannot run: there ANALYZE alone.
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")
            else:
                cursor.execute("VACUUM (ANALYZE)")
                try:
                    cursor.execute("CHECKPOINT")  # superuser or pg_checkpoint only
                except DatabaseError as exc:
                    print(f"未执行 CHECKPOINT（{exc}）", flush=True)
    return {
        "households": Household.objects.count(),
        "cases": Case.objects.count(),
        "seconds": round(time.monotonic() - started, 1),
    }


def _sample_pks(queryset, count: int, rng: random.Random) -> list[int]:
    """About `count` distinct primary keys of `queryset`, spread over its range (index probes, no ORDER BY random())."""
    from django.db.models import Max, Min

    bounds = queryset.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    found: set[int] = set()
    for _ in range(count * 3):
        if len(found) >= count:
            break
        above = queryset.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"]))
        first = above.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            found.add(first)
    return sorted(found)


def _accounts() -> list[tuple[str, str]]:
    """(username, persona): the demo's town officer, district officer and each team's 驻村干部."""
    from kanjia import demo

    people = [(username, "town") for username, _, role in demo.ACCOUNTS if role == "镇民政办"]
    people += [(team[2][0], "team") for team in demo.TEAMS]
    people += [(username, "district") for username, _, role in demo.ACCOUNTS if role == "区民政局"]
    return people


def build_plan(*, seed: int = 2021, sample: int = SAMPLE, saveable: int = SAVEABLE) -> dict:
    """What each account opens, through the app's own scoping selectors (so a plan never asks for
    something the account may not see, except the deliberate refusals in `foreign`)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from households.models import Household
    from households.selectors import households_visible_to, villages_visible_to
    from kanjia import demo
    from review.cases.selectors import cases_visible_to
    from review.cases.workflow import available_transitions
    from review.models import Case, Status

    rng = random.Random(seed)
    accounts = []
    for username, persona in _accounts():
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            continue
        visible = households_visible_to(user=user)
        household_ids = _sample_pks(visible, sample, rng)
        heads = Household.objects.filter(pk__in=household_ids).exclude(head_name="")
        names = sorted(set(heads.values_list("head_name", flat=True)))
        cases = cases_visible_to(user=user)
        case_ids = _sample_pks(cases, sample, rng)
        saves = []
        if persona != "district":
            for case in Case.objects.filter(
                pk__in=_sample_pks(cases.filter(status=Status.ACCEPTANCE), saveable * 2, rng)
            ).select_related("household"):
                if len(saves) < saveable and any(
                    t.record == "acceptance" for _, t in available_transitions(case=case, user=user)
                ):
                    saves.append({"case": case.pk, "applicant": case.household.head_name or "申请人"})
        foreign = []
        if persona == "team":
            foreign = _sample_pks(
                Household.objects.exclude(village__in=villages_visible_to(user=user)), sample // 4, rng
            )
        accounts.append(
            {
                "username": username,
                "persona": persona,
                "households": household_ids,
                "names": names,
                "cases": case_ids,
                "saveable": saves,
                "foreign": foreign,
            }
        )
    return {
        "password": demo.DEMO_PASSWORD,
        # A past day: stage dates may not be in the future.
        "applied_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "accounts": accounts,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest.prepare", description="负载测试数据与计划")
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--plan", type=Path, required=True, help="计划文件（JSON）")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()
    data = ensure_data(households=args.households, seed=args.seed)
    plan = build_plan(seed=args.seed)
    plan["data"] = data
    args.plan.parent.mkdir(parents=True, exist_ok=True)
    args.plan.write_text(json.dumps(plan, ensure_ascii=False, indent=1))
    summary = ", ".join(f"{a['username']}({a['persona']})" for a in plan["accounts"])
    print(f"数据: {data['households']} 户, {data['cases']} 件案件（准备用时 {data['seconds']} 秒）; 账号: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
