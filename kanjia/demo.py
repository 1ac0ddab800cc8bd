"""Demo data: Kanjia town's 14 units from the customer's 2021 plan, demo logins.

Every person here is fictional. The real names in the plan's attachment are
never used (a test checks this). Demo accounts exist only through this loader.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from households.models import Area, Category, Standard, Town, Village, VillageGroup
from kanjia import roles

DEMO_PASSWORD = "Kanjia@2021"  # noqa: S105 - demo accounts only, printed by `make run`

# The 14 units in the plan's attachment (附件1), in its order, with a demo
# number of villager groups each.
UNITS: list[tuple[str, str, int]] = [
    ("陡岩村", "村", 6),
    ("中心村", "村", 8),
    ("大桐庙村", "村", 5),
    ("弥陀寺村", "村", 6),
    ("孝义桥村", "村", 7),
    ("树林村", "村", 5),
    ("胡石桥村", "村", 6),
    ("居委会", "社区", 3),
    ("雨佳村", "村", 5),
    ("胡家坝村", "村", 6),
    ("元觉寺村", "村", 7),
    ("凤凰嘴村", "村", 5),
    ("红莲村", "村", 6),
    ("中牛桥村", "村", 5),
]

# (username, full name, role). Fictional people.
ACCOUNTS: list[tuple[str, str, str]] = [
    ("town", "王民政", roles.TOWN_OFFICE),
    ("team1", "赵驻村", roles.VILLAGE_TEAM),
    ("team2", "钱驻村", roles.VILLAGE_TEAM),
    ("district", "孙区局", roles.DISTRICT),
    ("inspector", "李纪检", roles.INSPECTOR),
    ("sysadmin", "周管理", roles.SYSADMIN),
]

# Demo standards and classes: the real local figures are configured by the office.
STANDARDS = [
    (Area.RURAL, Decimal("470.00"), date(2021, 1, 1)),
    (Area.URBAN, Decimal("655.00"), date(2021, 1, 1)),
]
CATEGORIES = [
    ("一类(特困重病重残)", Decimal("80.00"), "重病、重度残疾、无劳动能力的老年人"),
    ("二类(老年未成年)", Decimal("50.00"), "70 岁以上老年人、未成年人"),
    ("三类(一般)", Decimal("0.00"), "其他保障对象"),
]


@transaction.atomic
def load_places() -> Town:
    town, _ = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})
    for order, (name, kind, groups) in enumerate(UNITS, start=1):
        village, _ = Village.objects.get_or_create(
            town=town, name=name, defaults={"kind": kind, "code": f"{order:03d}", "order": order}
        )
        for number in range(1, groups + 1):
            VillageGroup.objects.get_or_create(village=village, number=number)
    for area, amount, since in STANDARDS:
        Standard.objects.get_or_create(
            town=town,
            area=area,
            effective_from=since,
            defaults={"monthly_amount": amount, "note": "演示数据"},
        )
    for name, extra, description in CATEGORIES:
        Category.objects.get_or_create(
            town=town, name=name, defaults={"extra_amount": extra, "description": description}
        )
    return town


@transaction.atomic
def load_accounts() -> list[tuple[str, str, str]]:
    for username, full_name, role in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": full_name, "is_staff": role == roles.SYSADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return ACCOUNTS
