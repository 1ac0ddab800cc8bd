"""Benchmark: dynamic management at town scale (issue 10).

Fills a scratch database with N in-care households (one to three members each,
histories written like the services do), launches a campaign, then times:
- the daily run (`review.dynamic.services.run_daily`): first run (rhythms for every
  household + the due 定期核查 cases) and a second run the same day (nothing new);
- `review.dynamic.spotchecks.sample_draw` over the campaign (30 %);
- `review.dynamic.summary.campaign_summary` (queries counted) and `review.dynamic.monthly.figures`.

Run against a scratch PostgreSQL database only (it is migrated and filled):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanjia_h10_bench \\
        .venv/bin/python -m bench.dynamic --households 20000
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanjia.settings")
    import django

    django.setup()


def _fill(households: int) -> None:
    from django.contrib.auth.models import Group, User
    from simple_history.utils import bulk_create_with_history

    from households import idcard
    from households.models import Household, Member, Town, Village
    from kanjia import roles

    rng = random.Random(2021)
    town, _ = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})
    villages = [
        Village.objects.get_or_create(town=town, code=f"{i:03d}", defaults={"name": f"测试{i}村", "order": i})[0]
        for i in range(14)
    ]
    rows = [
        Household(
            village=villages[i % 14],
            status=Household.Status.ACTIVE,
            area="农村" if i % 5 else "城市",
            covered_persons=1 + i % 3,
            base_amount=Decimal(200 + i % 300),
            head_name=f"户主{i}",
            start_month=date(2024, 1 + i % 12, 1),
        )
        for i in range(households)
    ]
    made = bulk_create_with_history(rows, Household, batch_size=2000)
    members, seen = [], set()
    for h in made:
        for k in range(h.covered_persons):
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 70 * 365))
            number = idcard.generate(born=born, male=bool(k % 2), rng=rng)
            if number in seen:
                continue
            seen.add(number)
            info = idcard.parse(number)
            members.append(
                Member(household=h, name=f"成员{h.pk}-{k}", id_number=number, sex=info.sex, birth_date=info.birth_date)
            )
    bulk_create_with_history(members, Member, batch_size=2000)
    for name, role in (("bench_town", roles.TOWN_OFFICE), ("bench_district", roles.DISTRICT)):
        user, _ = User.objects.get_or_create(username=name)
        user.groups.add(Group.objects.get_or_create(name=role)[0])


def _timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.rstrip("/").endswith("_bench"):
        sys.exit("DATABASE_URL must name a scratch database ending in _bench (it is migrated and filled).")
    _setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from households.models import Household, Town
    from review.cases import campaigns
    from review.dynamic import monthly, spotchecks, summary
    from review.dynamic import services as dynamic

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        _timed(f"fill {args.households} households", lambda: _fill(args.households))
    town_user, district = User.objects.get(username="bench_town"), User.objects.get(username="bench_district")
    print(f"households: {Household.objects.count()}")
    first = _timed("daily run, first", dynamic.run_daily)
    print(f"  {first}")
    second = _timed("daily run, again the same day", dynamic.run_daily)
    print(f"  {second}")
    name = f"bench {timezone.now():%Y%m%d%H%M%S}"
    campaign = campaigns.campaign_create(name=name, kind="专项清理", scope_date=timezone.localdate(), by=town_user)
    _timed("campaign launch", lambda: campaigns.campaign_launch(campaign=campaign, by=town_user))
    campaign.refresh_from_db()
    sample = _timed("spot-check draw (30 %)", lambda: spotchecks.sample_draw(by=district, campaign=campaign))
    print(f"  drawn: {sample.checks.count()} of {len(sample.population)}")
    with CaptureQueriesContext(connection) as queries:
        _timed("campaign summary", lambda: summary.campaign_summary(campaign=campaign, user=town_user))
    print(f"  queries: {len(queries)}")
    town = Town.objects.first()
    _timed("monthly figures (this month)", lambda: monthly.figures(town=town, month=timezone.localdate()))
    _timed(
        "monthly figures (last month, from history)",
        lambda: monthly.figures(town=town, month=dynamic.add_months(timezone.localdate(), -1)),
    )


if __name__ == "__main__":
    main()
