"""The registry's objects as the office names them (registered with kanjia.labels in HouseholdsConfig.ready)."""

import re

from households.models import Category, Household, Member, ReviewFlag, Town, Village, VillageGroup
from kanjia import labels

PLACE = ("village", "group")


def place(household: Household) -> str:
    """胡石桥村 3组 (the village alone when no group is recorded)."""
    village = household.village.name if household.village_id else ""
    group = f" {household.group}" if household.group_id else ""
    return f"{village}{group}".strip()


def household_name(household: Household) -> str:
    return f"{household.head_name or '（未填户主）'}户"


def household_label(household: Household) -> str:
    return f"低保户 {household_name(household)}（{place(household)}）"


def member_label(member: Member) -> str:
    return f"成员 {member.name}（{place(member.household)}）"


SOURCE_KEYS = [
    (re.compile(r"^member:\d+:moved$"), "家庭成员登记的迁出日期"),
    (re.compile(r"^member:\d+:employed$"), "家庭成员登记的毕业就业情况"),
    (re.compile(r"^member:\d+$"), "家庭成员登记"),
    (re.compile(r"^asset:\d+$"), "家庭财产登记"),
    (re.compile(r"^income:\d+$"), "收入项目登记"),
    (re.compile(r"^roster:(\d+):row:(\d+)$"), "外部名单比对（第 {1} 行）"),
    (re.compile(r"^manual"), "人工登记"),
]


def source_key_words(value: str) -> list[tuple[str, str]]:
    """`member:83:moved` → 家庭成员登记的迁出日期 (who it is shows in the flag's 相关成员)."""
    for pattern, words in SOURCE_KEYS:
        found = pattern.match(value or "")
        if found:
            return [("", words.format(*found.groups()))]
    return [("", "其他来源" if value else "（空）")]


def register() -> None:
    labels.register_label(Town, lambda town: town.name)
    labels.register_label(Village, lambda village: village.name)
    labels.register_label(Category, lambda category: category.name)
    labels.register_label(VillageGroup, lambda group: f"{group.village.name} {group}", related=("village",))
    labels.register_label(Household, household_label, related=PLACE)
    labels.register_label(Member, member_label, related=("household__village", "household__group"))
    labels.register_label(
        ReviewFlag,
        lambda flag: f"重点复核标记“{flag.get_kind_display()}” · {household_label(flag.household)}",
        related=("household__village", "household__group"),
    )
    labels.register_value(ReviewFlag, "source_key", source_key_words)
