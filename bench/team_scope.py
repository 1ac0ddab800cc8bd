"""Benchmark: the household list and search for a team member vs the town officer (issue 4).

The team member's pages go through the guardian-scoped selectors (a join on the
direct-FK permission table); the town officer's do not. The issue's target: the
team member's median stays within 1.2x of the town officer's for the same page,
with 100,000 households across 50 villages.

Use from the main benchmark (Django set up, a scratch database selected):

    from bench.team_scope import run
    report = run(households=100_000, villages=50)   # seeds, measures, returns a dict

or on its own, in a throwaway test database (never the configured one):

    DATABASE_URL=postgres://... .venv/bin/python -m bench.team_scope [households] [villages]
"""

import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

TARGET_RATIO = 1.2
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "明华建国秀英桂兰志强丽芳玉梅德云海燕文军红霞春林平成小永刚金凤子涛宇杰晓婷俊辉荣福顺"


@dataclass
class Scenario:
    town_officer: object
    team_member: object
    member_villages: int
    member_households: int
    name_prefix: str
    id_tail: str


def seed(*, households: int = 100_000, villages: int = 50, team_villages: int = 2, rng_seed: int = 4) -> Scenario:
    """Villages, households (one member each, valid unique ID numbers) and a team covering `team_villages`."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from simple_history.utils import bulk_create_with_history

    from households import idcard
    from households.models import Household, Member, Town, Village
    from kanjia import roles
    from review.models import TeamMembership
    from review.teams import services as teams

    rng = random.Random(rng_seed)
    town, _ = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})
    officer, _ = User.objects.get_or_create(username="bench_town")
    officer.groups.add(Group.objects.get_or_create(name=roles.TOWN_OFFICE)[0])
    member, _ = User.objects.get_or_create(username="bench_team")
    start = Village.objects.count()
    places = [
        Village.objects.create(town=town, name=f"基准{start + i}村", code=f"B{start + i:04d}", order=start + i)
        for i in range(villages)
    ]
    team = teams.team_create(name=f"基准组{start}", by=officer)
    teams.team_add_member(team=team, user=member, role=TeamMembership.Role.CADRE, by=officer)
    for village in places[:team_villages]:
        teams.team_assign_village(team=team, village=village, by=officer)

    seen: set[str] = set(Member.objects.values_list("id_number", flat=True))
    batch = 5_000
    for offset in range(0, households, batch):
        size = min(batch, households - offset)
        names = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in range(size)]
        rows = [
            Household(
                village=places[(offset + i) % villages],
                status=Household.Status.ACTIVE,
                head_name=names[i],
                covered_persons=1,
                base_amount=Decimal("470.00"),
                address="基准数据",
            )
            for i in range(size)
        ]
        rows = bulk_create_with_history(rows, Household, batch_size=1_000, default_user=officer)
        members = []
        for household, name in zip(rows, names, strict=True):
            while True:
                born = date(rng.randint(1935, 2015), rng.randint(1, 12), rng.randint(1, 28))
                number = idcard.generate(born=born, male=rng.random() < 0.5, rng=rng)
                if number not in seen:
                    seen.add(number)
                    break
            info = idcard.parse(number)
            members.append(
                Member(household=household, name=name, id_number=number, sex=info.sex, birth_date=info.birth_date)
            )
        bulk_create_with_history(members, Member, batch_size=1_000, default_user=officer)

    if connection.vendor == "postgresql":
        # Fresh bulk loads have no planner statistics until autovacuum gets to
        # them; a real register has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    probe = Member.objects.filter(household__village=places[0]).order_by("id").first()
    return Scenario(
        town_officer=officer,
        team_member=member,
        member_villages=team_villages,
        member_households=Household.objects.filter(village__in=places[:team_villages]).count(),
        name_prefix=probe.name[0],
        id_tail=probe.id_number[-6:],
    )


def measure(*, scenario: Scenario, repeats: int = 25) -> list[dict]:
    """Median time of each page for both users; requests alternate so load drift hits both alike."""
    from django.test import Client
    from django.urls import reverse

    url = reverse("households:list")
    pages = [
        ("列表第1页", {}),
        ("按姓名搜索", {"q": scenario.name_prefix}),
        ("按身份证后6位搜索", {"q": scenario.id_tail}),
    ]
    clients = {}
    for who, user in (("town", scenario.town_officer), ("team", scenario.team_member)):
        clients[who] = Client()
        clients[who].force_login(user)
    rows = []
    for label, params in pages:
        times: dict[str, list[float]] = {"town": [], "team": []}
        for client in clients.values():
            client.get(url, params)  # warm-up
        for _ in range(repeats):
            for who, client in clients.items():
                started = time.perf_counter()
                response = client.get(url, params)
                times[who].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, params, response.status_code)
        town, team = statistics.median(times["town"]), statistics.median(times["team"])
        rows.append(
            {
                "page": label,
                "town_ms": round(town, 1),
                "team_ms": round(team, 1),
                "ratio": round(team / town, 2),
                "ok": team / town <= TARGET_RATIO,
            }
        )
    return rows


def run(*, households: int = 100_000, villages: int = 50, repeats: int = 25) -> dict:
    """Seed, then measure. Expects a scratch database and `setup_test_environment()` (the test client)."""
    started = time.perf_counter()
    scenario = seed(households=households, villages=villages)
    seeded = time.perf_counter() - started
    rows = measure(scenario=scenario, repeats=repeats)
    return {
        "name": "team_scope",
        "households": households,
        "villages": villages,
        "team_villages": scenario.member_villages,
        "team_households": scenario.member_households,
        "seed_seconds": round(seeded, 1),
        "target_ratio": TARGET_RATIO,
        "rows": rows,
        "ok": all(r["ok"] for r in rows),
    }


def main(argv: list[str]) -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    households = int(argv[0]) if argv else 100_000
    villages = int(argv[1]) if len(argv) > 1 else 50
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # A throwaway test database: the configured one is never written to.
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        report = run(households=households, villages=villages)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"团队范围基准: {report['households']} 户 / {report['villages']} 村; 小组成员 {report['team_households']} 户")
    print(f"造数 {report['seed_seconds']} 秒")
    for row in report["rows"]:
        mark = "OK" if row["ok"] else "SLOW"
        town, team = f"{row['town_ms']:>7} ms", f"{row['team_ms']:>7} ms"
        print(f"  {row['page']:<12} 镇民政办 {town}  小组成员 {team}  ×{row['ratio']}  {mark}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
