"""Natural order for names with numbers: 第二组 before 第十组, 2组 before 10组.

Runs of Arabic digits and of Chinese numerals (一 … 九, 十, 百, 千, 零/〇, 两) compare as numbers,
everything else as text, so 第一组, 第二组 … 第十组, 第十一组 sort as people count them.
"""

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
RUN = re.compile(r"(\d+|[零〇一二两三四五六七八九十百千]+)")


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十一 → 11, 二十 → 20, 一百零五 → 105, 二〇二一 → 2021 (digit by digit)."""
    if not any(c in UNITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + DIGITS[c]
        return value
    total, digit = 0, 0
    for c in text:
        if c in DIGITS:
            digit = DIGITS[c]
        else:
            total += (digit or 1) * UNITS[c]
            digit = 0
    return total + digit


def natural_key(text: str | None) -> tuple:
    parts: list[tuple[int, int | str]] = []
    for i, run in enumerate(RUN.split(text or "")):
        if not run:
            continue
        if i % 2:
            parts.append((0, int(run) if run.isdigit() else chinese_number(run)))
        else:
            parts.append((1, run))
    return tuple(parts)


def natural_sorted(items: Iterable[T], *, key: Callable[[T], str | None] = str) -> list[T]:
    return sorted(items, key=lambda item: natural_key(key(item)))
