"""Realistic synthetic households for demos and benchmarks (never real people).

Valid ID numbers with Yanjiang's region code 512002, plausible families,
incomes and assets, a share with review flags. Written in batches with
`bulk_create_with_history`, so every row has its history record; the benefit
and the flags come from the same pure functions the pages use
(`benefit.compute`, `flags.detect`).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from simple_history.utils import bulk_create_with_history

from households import idcard
from households.benefit import compute
from households.flags import detect
from households.hooks import households_changed
from households.models import (
    Asset,
    Category,
    Household,
    IncomeItem,
    Member,
    PropertyRule,
    ReviewFlag,
    Standard,
    Village,
)

REASON = "合成数据生成"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "建国明华秀英兰芳桂珍玉梅志强军平伟勇刚文德福贵春秋燕红霞丽娟敏静婷杰涛斌超浩宇轩欣怡子涵思雨佳琪晨阳"
STATUSES = [(Household.Status.ACTIVE, 85), (Household.Status.APPLYING, 5), (Household.Status.SUSPENDED, 5)]
STATUSES += [(Household.Status.EXITED, 5)]
SIZES = [(1, 25), (2, 30), (3, 20), (4, 15), (5, 10)]  # about 2.5 members a household
TODAY = date(2021, 5, 1)  # the campaign's reference month, so standards and ages are stable


@dataclass
class Context:
    rng: random.Random
    villages: list[Village]
    groups: dict[int, list]
    categories: list[Category]
    standards: list[Standard]
    rules: list[PropertyRule]
    used_ids: set[str]


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(ctx: Context, born: date, male: bool) -> str:
    while True:
        number = idcard.generate(born=born, male=male, rng=ctx.rng)
        if number not in ctx.used_ids:
            ctx.used_ids.add(number)
            return number
        born += timedelta(days=1)  # this birth date's sequence numbers are crowded


def _born(rng: random.Random, first: int, last: int) -> date:
    return date(first, 1, 1) + timedelta(days=rng.randrange((date(last, 12, 31) - date(first, 1, 1)).days))


def _member(ctx: Context, household: Household, name: str, relation: str, born: date, male: bool) -> Member:
    rng = ctx.rng
    number = _id_number(ctx, born, male)
    info = idcard.parse(number, today=date.today())
    m = Member(household=household, name=name, id_number=number, sex=info.sex, birth_date=info.birth_date)
    m.relation = relation
    roll = rng.random()
    if roll < 0.15:
        m.health, m.illness = Member.Health.SERIOUS, rng.choice(["尿毒症", "恶性肿瘤", "重症精神病", "白血病"])
    elif roll < 0.40:
        m.health, m.illness = Member.Health.CHRONIC, rng.choice(["高血压", "糖尿病", "慢性支气管炎"])
    if rng.random() < 0.12:
        m.disability = rng.choice([c for c, _ in Member.Disability.choices if c])
        m.disability_grade = rng.randint(1, 4)
        m.disability_cert = f"{number}{rng.randint(1, 7)}{m.disability_grade}"
    age = TODAY.year - born.year
    if age >= 65 or m.health == Member.Health.SERIOUS:
        m.work_capacity = Member.WorkCapacity.NONE
    elif m.health == Member.Health.CHRONIC or m.disability:
        m.work_capacity = Member.WorkCapacity.PARTIAL
    m.is_student = 6 <= age <= 22 and rng.random() < 0.9
    if 18 <= age < 60 and not m.is_student:
        m.employment = _pick(rng, [(Member.Employment.FARMING, 50), (Member.Employment.CASUAL, 35), ("无", 15)])
    rare = rng.random()
    if rare < 0.015:
        m.died_on = TODAY - timedelta(days=rng.randrange(20, 300))
    elif rare < 0.035 and relation != Member.Relation.HEAD:
        m.moved_out_on = TODAY - timedelta(days=rng.randrange(20, 700))
    elif rare < 0.05 and 20 <= age <= 30:
        m.employment = Member.Employment.GRADUATE_EMPLOYED
    elif rare < 0.065 and 18 <= age < 60:
        m.pays_provident_fund = True
    return m


def _family(ctx: Context, household: Household) -> list[Member]:
    rng = ctx.rng
    size = _pick(rng, SIZES)
    surname = rng.choice(SURNAMES)
    head_male = rng.random() < 0.7
    head_born = _born(rng, 1932, 1985)
    members = [_member(ctx, household, _name(rng, surname), Member.Relation.HEAD, head_born, head_male)]
    if size >= 2 and rng.random() < 0.75:
        born = head_born + timedelta(days=rng.randint(-1500, 1500))
        members.append(_member(ctx, household, _name(rng), Member.Relation.SPOUSE, born, not head_male))
    while len(members) < size:
        lo = max(head_born.year + 20, 1950)
        if lo > 2018:
            break
        born = _born(rng, lo, min(head_born.year + 40, 2018))
        members.append(_member(ctx, household, _name(rng, surname), Member.Relation.CHILD, born, rng.random() < 0.5))
    return members


def _incomes(ctx: Context, household: Household, members: list[Member]) -> list[IncomeItem]:
    rng, items = ctx.rng, []

    def add(member, kind, low, high, source):
        amount = Decimal(rng.randint(low, high))
        items.append(IncomeItem(household=household, member=member, kind=kind, monthly_amount=amount, source=source))

    for m in members:
        age = TODAY.year - m.birth_date.year
        if m.employment in (Member.Employment.CASUAL, Member.Employment.GRADUATE_EMPLOYED):
            add(m, IncomeItem.Kind.WAGE, 150, 900, "务工收入（扣除必要就业成本）")
        elif m.employment == Member.Employment.FARMING:
            add(m, IncomeItem.Kind.BUSINESS, 40, 200, "种养殖纯收入")
        if age >= 60:
            add(m, IncomeItem.Kind.BASIC_PENSION, 100, 160, "城乡居民基本养老保险基础养老金")
            if rng.random() < 0.04:
                add(m, IncomeItem.Kind.PENSION, 300, 1500, "企业职工养老保险")
        if 18 <= age < 60 and rng.random() < 0.015:
            add(m, IncomeItem.Kind.UNEMPLOYMENT, 600, 1200, "失业保险金")
        if m.health == Member.Health.SERIOUS and rng.random() < 0.6:
            add(m, IncomeItem.Kind.RIGID_COST, 100, 600, "自付医疗费用（年度平均）")
    if rng.random() < 0.2:
        add(None, IncomeItem.Kind.MAINTENANCE, 50, 300, "外出子女赡养费")
    if rng.random() < 0.1:
        add(None, IncomeItem.Kind.PROPERTY, 20, 120, "土地流转收入")
    for item in items:
        item.counted = item.kind not in {IncomeItem.Kind.BASIC_PENSION, IncomeItem.Kind.RIGID_COST}
    return items


def _assets(ctx: Context, household: Household) -> list[Asset]:
    rng = ctx.rng
    assets = [Asset(household=household, kind=Asset.Kind.HOME, quantity=1, value=Decimal(rng.randint(2, 12) * 10000))]
    roll = rng.random()
    if roll < 0.03:
        assets[0].quantity = 2
    elif roll < 0.06:
        kind = rng.choice([Asset.Kind.CAR, Asset.Kind.TRUCK])
        assets.append(Asset(household=household, kind=kind, value=Decimal(rng.randint(1, 8) * 10000)))
    elif roll < 0.08:
        kind = rng.choice([Asset.Kind.SHOP, Asset.Kind.GARAGE, Asset.Kind.WAREHOUSE])
        assets.append(Asset(household=household, kind=kind, value=Decimal(rng.randint(3, 20) * 10000)))
    if rng.random() < 0.3:
        assets.append(Asset(household=household, kind=Asset.Kind.DEPOSIT, value=Decimal(rng.randint(1, 30) * 500)))
    return assets


def _household(ctx: Context) -> Household:
    rng = ctx.rng
    village = rng.choice(ctx.villages)
    groups = ctx.groups.get(village.pk) or [None]
    area = Household.area.field.default if village.kind == Village.Kind.VILLAGE else "城市"
    category = rng.choice([*ctx.categories, None]) if ctx.categories else None
    start = date(rng.randint(2010, 2021), rng.randint(1, 12), 1)
    return Household(
        village=village,
        group=rng.choice(groups),
        area=area,
        address=f"{village.name}{rng.randint(1, 9)}组{rng.randint(1, 120)}号",
        status=_pick(rng, STATUSES),
        category=category,
        start_month=min(start, TODAY),
        phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
        bank_name=rng.choice(["四川农信", "中国邮政储蓄银行", "中国农业银行"]),
        bank_account=f"6{rng.randrange(10**18):018d}",
    )


def _finish(ctx: Context, household: Household, members, incomes, assets) -> list[ReviewFlag]:
    """Benefit, head and flags, computed before anything is inserted (every row has its key)."""
    computation = compute(
        household=household,
        members=members,
        incomes=incomes,
        assets=assets,
        standards=ctx.standards,
        rules=ctx.rules,
        category=household.category,
        town_id=household.village.town_id,
        month=TODAY,
        categories=ctx.categories,
        supplement_rule=household.village.town.supplement_rule,
    )
    head = members[0]
    household.head, household.head_name = head, head.name
    household.covered_persons = computation.covered
    # As the pipeline leaves them: only households in care are paid (停保 sets amounts to 0).
    if household.status == Household.Status.ACTIVE:
        household.base_amount, household.extra_amount = computation.base_amount, computation.extra_amount
    findings = detect(members=members, incomes=incomes, assets=assets, computation=computation)
    return [
        ReviewFlag(household=household, member=f.member, kind=f.kind, source_key=f.source_key, reason=f.reason)
        for f in findings
    ]


def _reserve(model, count: int) -> list[int]:
    """Primary keys for rows not yet inserted, so a batch is built whole and inserted once.

    Households point at their head member and flags name income and asset rows,
    so everything needs its key before the first insert. Foreign keys are
    deferred to commit (Django creates them DEFERRABLE INITIALLY DEFERRED).
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
            cursor.execute(sql, [table, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table name from the model
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def _number(objs: list, model) -> None:
    for obj, pk in zip(objs, _reserve(model, len(objs)), strict=True):
        obj.pk = pk


def _batch(ctx: Context, size: int, user: AbstractBaseUser | None) -> int:
    households = [_household(ctx) for _ in range(size)]
    _number(households, Household)
    families = [_family(ctx, h) for h in households]
    _number([m for f in families for m in f], Member)
    incomes = [_incomes(ctx, h, f) for h, f in zip(households, families, strict=True)]
    assets = [_assets(ctx, h) for h in households]
    _number([i for items in incomes for i in items], IncomeItem)
    _number([a for items in assets for a in items], Asset)
    flags = []
    for h, f, i, a in zip(households, families, incomes, assets, strict=True):
        flags += _finish(ctx, h, f, i, a)
    history = {"default_user": user, "default_change_reason": REASON, "batch_size": 1000}
    bulk_create_with_history(households, Household, **history)
    bulk_create_with_history([m for f in families for m in f], Member, **history)
    bulk_create_with_history([i for items in incomes for i in items], IncomeItem, **history)
    bulk_create_with_history([a for items in assets for a in items], Asset, **history)
    bulk_create_with_history(flags, ReviewFlag, **history)
    households_changed(household_ids=[h.pk for h in households], by=user)
    return len(households)


def generate(
    *, households: int, seed: int, user: AbstractBaseUser | None = None, batch: int = 2000, progress=None
) -> int:
    """Create `households` synthetic households across all villages; return how many."""
    villages = list(Village.objects.select_related("town").order_by("pk"))
    if not villages:
        raise ValueError("没有村(社区)：请先运行 load_demo 载入堪嘉镇的村(社区)。")
    groups: dict[int, list] = {}
    for village in villages:
        groups[village.pk] = list(village.groups.all())
    ctx = Context(
        rng=random.Random(seed),  # noqa: S311 - synthetic data, not security
        villages=villages,
        groups=groups,
        categories=list(Category.objects.filter(active=True)),
        standards=list(Standard.objects.all()),
        rules=list(PropertyRule.objects.filter(active=True)),
        used_ids=set(Member.objects.values_list("id_number", flat=True)),
    )
    done = 0
    while done < households:
        with transaction.atomic():
            done += _batch(ctx, min(batch, households - done), user)
        if progress:
            progress(done)
    return done
