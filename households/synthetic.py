"""Realistic synthetic households for demos and benchmarks (never real people).

Valid ID numbers with Yanjiang's region code 512002, plausible families,
incomes and assets, a share with review flags. The benefit and the flags come
from the same pure functions the pages use (`benefit.compute`, `flags.detect`).

Two writers, the same rows for the same seed: on PostgreSQL each batch goes in
through `COPY` (the rows and, in the same transaction, the history rows
simple-history would have written: '+', history_date, the user, the reason),
which is what makes a million households a matter of minutes; elsewhere
(SQLite, small counts) `bulk_create_with_history`. `district_towns` lays out
extra synthetic towns (villages, groups, the first town's standards,
categories and property rules) through the ORM, for district-scale data.
"""

import queue
import random
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone
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
    Town,
    Village,
    VillageGroup,
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
    # Each town's own categories and rules (a household is computed with its town's).
    town_categories: dict[int, list[Category]] = field(default_factory=dict)
    town_rules: dict[int, list[PropertyRule]] = field(default_factory=dict)


_FIELDS: dict[type, tuple[list[tuple[str, object, bool]], dict[str, tuple[str, str]]]] = {}


def _new(model: type[models.Model], **values) -> models.Model:
    """`model(**values)` without the constructor's per-field work, router calls and init signals (a
    third of the time of a million households): the fields' defaults, then `values`, a related
    object as its key plus the related-object cache, as the foreign-key descriptor sets them. The
    instance is unsaved (`_state.adding`), as the constructor leaves it."""
    known = _FIELDS.get(model)
    if known is None:
        fields = model._meta.concrete_fields
        known = _FIELDS[model] = (
            [
                (f.attname, f.default, True)
                if f.has_default() and callable(f.default)
                else (f.attname, f.get_default(), False)
                for f in fields
            ],
            {f.name: (f.attname, f.cache_name) for f in fields if f.is_relation},
        )
    defaults, relations = known
    obj = model.__new__(model)
    obj._state = state = models.base.ModelState()
    attrs = obj.__dict__
    for attname, default, call in defaults:
        attrs[attname] = default() if call else default
    for name, value in values.items():
        if name in relations:
            attname, cache = relations[name]
            attrs[attname] = None if value is None else value.pk
            state.fields_cache[cache] = value
        else:
            attrs[name] = value
    return obj


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
    # What idcard.parse would read back from the number just built (valid by construction).
    sex = Member.Sex.MALE if int(number[16]) % 2 else Member.Sex.FEMALE
    birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    m = _new(Member, household=household, name=name, id_number=number, sex=sex, birth_date=birth_date)
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
        items.append(
            _new(IncomeItem, household=household, member=member, kind=kind, monthly_amount=amount, source=source)
        )

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
    assets = [
        _new(Asset, household=household, kind=Asset.Kind.HOME, quantity=1, value=Decimal(rng.randint(2, 12) * 10000))
    ]
    roll = rng.random()
    if roll < 0.03:
        assets[0].quantity = 2
    elif roll < 0.06:
        kind = rng.choice([Asset.Kind.CAR, Asset.Kind.TRUCK])
        assets.append(_new(Asset, household=household, kind=kind, value=Decimal(rng.randint(1, 8) * 10000)))
    elif roll < 0.08:
        kind = rng.choice([Asset.Kind.SHOP, Asset.Kind.GARAGE, Asset.Kind.WAREHOUSE])
        assets.append(_new(Asset, household=household, kind=kind, value=Decimal(rng.randint(3, 20) * 10000)))
    if rng.random() < 0.3:
        assets.append(
            _new(Asset, household=household, kind=Asset.Kind.DEPOSIT, value=Decimal(rng.randint(1, 30) * 500))
        )
    return assets


def _household(ctx: Context) -> Household:
    rng = ctx.rng
    village = rng.choice(ctx.villages)
    groups = ctx.groups.get(village.pk) or [None]
    area = Household.area.field.default if village.kind == Village.Kind.VILLAGE else "城市"
    categories = ctx.town_categories.get(village.town_id, ctx.categories)
    category = rng.choice([*categories, None]) if categories else None
    start = date(rng.randint(2010, 2021), rng.randint(1, 12), 1)
    return _new(
        Household,
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
        rules=ctx.town_rules.get(household.village.town_id, ctx.rules),
        category=household.category,
        town_id=household.village.town_id,
        month=TODAY,
        categories=ctx.town_categories.get(household.village.town_id, ctx.categories),
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
        _new(ReviewFlag, household=household, member=f.member, kind=f.kind, source_key=f.source_key, reason=f.reason)
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


def _copy(model: type[models.Model], objs: list, *, now: datetime, user_id: int | None) -> None:
    """COPY `objs` (keys already reserved) into the model's table and their '+' rows into its history table.

    Every concrete column is written from the object's attributes, so defaults set by the
    model's constructor go in as they are; auto_now(_add) timestamps get `now`, as
    save() would have stamped them. The history table's own key comes from its sequence.
    """
    if not objs:
        return
    fields = model._meta.concrete_fields
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    quote = connection.ops.quote_name
    values = attrgetter(*[f.attname for f in fields])
    history = model.history.model
    stamp = {"history_date": now, "history_type": "+", "history_user_id": user_id, "history_change_reason": REASON}
    tracked = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    own = [f for f in tracked if f.attname not in stamp]
    history_values = attrgetter(*[f.attname for f in own])
    stamped = tuple(stamp[f.attname] for f in tracked if f.attname in stamp)
    columns = [quote(f.column) for f in own] + [quote(f.column) for f in tracked if f.attname in stamp]
    with connection.cursor() as cursor:
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for obj in objs:
                copy.write_row(values(obj))
        with cursor.copy(f"COPY {quote(history._meta.db_table)} ({', '.join(columns)}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(history_values(obj) + stamped)


def _build(ctx: Context, size: int) -> tuple[list, ...]:
    """One batch of households with their members, incomes, assets and flags, every row keyed."""
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
    _number(flags, ReviewFlag)
    members = [m for f in families for m in f]
    return (
        households,
        members,
        [i for items in incomes for i in items],
        [a for items in assets for a in items],
        flags,
    )


WRITTEN = (Household, Member, IncomeItem, Asset, ReviewFlag)


def _orm_batch(ctx: Context, size: int, user: AbstractBaseUser | None) -> int:
    rows = _build(ctx, size)
    history = {"default_user": user, "default_change_reason": REASON, "batch_size": 1000}
    with transaction.atomic():
        for model, objs in zip(WRITTEN, rows, strict=True):
            bulk_create_with_history(objs, model, **history)
        households_changed(household_ids=[h.pk for h in rows[0]], by=user)
    return len(rows[0])


def _copy_all(ctx: Context, households: int, batch: int, user: AbstractBaseUser | None, progress) -> int:
    """Build batches here while a writer thread COPYs the previous one on its own connection.

    Building is Python (one core); the COPY, the index updates and the deferred foreign-key
    checks at each batch's commit are PostgreSQL's (another process): overlapping them is
    most of the speed. Building stays in one thread, in order, so a seed gives the same rows.
    """
    user_id = user.pk if user else None
    if connection.in_atomic_block:
        # Inside the caller's transaction (a test, a larger service): the rows must be part of
        # it, so they go in on this connection, batch after batch.
        done = 0
        while done < households:
            rows = _build(ctx, min(batch, households - done))
            now = timezone.now()
            for model, objs in zip(WRITTEN, rows, strict=True):
                _copy(model, objs, now=now, user_id=user_id)
            done += len(rows[0])
            if progress:
                progress(done)
        return done
    work: queue.Queue = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            while (item := work.get()) is not None:
                rows, done = item
                with transaction.atomic():
                    now = timezone.now()
                    for model, objs in zip(WRITTEN, rows, strict=True):
                        _copy(model, objs, now=now, user_id=user_id)
                if progress:
                    progress(done)
        except BaseException as exc:  # handed to the building thread, which re-raises it
            failure.append(exc)
            while work.get() is not None:
                pass
        finally:
            connection.close()

    thread = threading.Thread(target=writer, name="generate-households-copy")
    thread.start()
    done = 0
    try:
        while done < households and not failure:
            rows = _build(ctx, min(batch, households - done))
            done += len(rows[0])
            work.put((rows, done))
    finally:
        work.put(None)
        thread.join()
    if failure:
        raise failure[0]
    return done


def _context(seed: int, towns: list[str] | None = None) -> Context:
    villages = Village.objects.select_related("town").order_by("pk")
    villages = list(villages if towns is None else villages.filter(town__code__in=towns))
    if not villages:
        raise ValueError("没有村(社区)：请先运行 load_demo 载入堪嘉镇的村(社区)。")
    groups: dict[int, list] = {village.pk: [] for village in villages}
    for group in VillageGroup.objects.order_by("village_id", "number", "pk"):
        groups.setdefault(group.village_id, []).append(group)
    categories = list(Category.objects.filter(active=True).order_by("pk"))
    rules = list(PropertyRule.objects.filter(active=True).order_by("pk"))
    ctx = Context(
        rng=random.Random(seed),  # noqa: S311 - synthetic data, not security
        villages=villages,
        groups=groups,
        categories=categories,
        standards=list(Standard.objects.all()),
        rules=rules,
        used_ids=set(Member.objects.values_list("id_number", flat=True)),
    )
    for town_id in {v.town_id for v in villages}:
        ctx.town_categories[town_id] = [c for c in categories if c.town_id == town_id]
        ctx.town_rules[town_id] = [r for r in rules if r.town_id == town_id]
    return ctx


def generate(
    *,
    households: int,
    seed: int,
    user: AbstractBaseUser | None = None,
    batch: int = 2000,
    progress=None,
    use_copy: bool | None = None,
    towns: list[str] | None = None,
) -> int:
    """Create `households` synthetic households across all villages; return how many.

    `use_copy` defaults to COPY on PostgreSQL; the ORM path (SQLite) writes the same rows.
    """
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if use_copy and connection.vendor != "postgresql":
        raise ValueError("COPY 写入需要 PostgreSQL。")
    ctx = _context(seed, towns)  # towns: codes of the towns to fill (default: every village)
    if not use_copy:
        done = 0
        while done < households:
            done += _orm_batch(ctx, min(batch, households - done), user)
            if progress:
                progress(done)
        return done
    done = _copy_all(ctx, households, batch, user, progress)
    if use_copy:
        # "Any household", once: the listeners schedule their whole-register refresh (per-batch
        # id lists would recompute every batch synchronously).
        households_changed(household_ids=None, by=user)
        # Fresh statistics (the planner's estimates, the list's counts) and, outside a transaction,
        # VACUUM: rows written by COPY carry no hint bits and no page is marked all-visible, so
        # until autovacuum gets round to 2.5 million members every first read of a page writes it
        # back and no index-only scan skips the heap. Measured at 1,000,000 households: the load
        # test's p95 at 50 clients was 4.2 s right after generating, 2.2 s after a VACUUM (74 s).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in WRITTEN:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
                cursor.execute(f"{command} {connection.ops.quote_name(model.history.model._meta.db_table)}")
    return done


# Synthetic towns of the district (clearly not real ones): code 512002901…, 20-30 villages each.
SYNTHETIC_TOWN_CODE = "512002{:03d}"


def district_towns(*, towns: int, seed: int) -> list[Town]:
    """Make sure `towns` synthetic towns exist beside the first town (堪嘉镇): villages with groups,
    and the first town's standards, categories (with their criteria) and property rules copied,
    all through the ORM (a few hundred rows, each with its history). Idempotent."""
    source = Town.objects.order_by("pk").first()
    if source is None:
        raise ValueError("没有乡镇：请先运行 load_demo 载入堪嘉镇。")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    made = []
    for n in range(1, towns + 1):
        town, created = Town.objects.get_or_create(
            code=SYNTHETIC_TOWN_CODE.format(900 + n), defaults={"name": f"合成第{n}镇"}
        )
        made.append(town)
        if not created:
            continue
        villages = rng.randint(20, 30)
        for order in range(1, villages + 1):
            kind = Village.Kind.COMMUNITY if order == villages else Village.Kind.VILLAGE
            name = f"合成{n}镇{'社区' if kind == Village.Kind.COMMUNITY else f'第{order}村'}"
            village = Village.objects.create(town=town, name=name, kind=kind, code=f"{order:03d}", order=order)
            for number in range(1, rng.randint(3, 9) + 1):
                VillageGroup.objects.create(village=village, number=number)
        for model in (Standard, Category, PropertyRule):
            for obj in model.objects.filter(town=source).order_by("pk"):
                obj.pk = None
                obj._state.adding = True
                obj.town = town
                obj.save()
    return made
