"""The summary's charts stay readable: horizontal bars sized by their rows, axes with ticks and a title,
a legend, on the page and embedded in the PDF (WeasyPrint draws the same inline SVG)."""

import re

import pytest

from review.dynamic import summary

pytestmark = pytest.mark.django_db

VILLAGES = [f"第{n}村" for n in "一二三四五六七八九十"] + ["陡岩村", "中心村", "大桐庙村", "弥陀寺村"]


def _size(svg: str) -> tuple[int, int]:
    width, height = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups()
    return int(width), int(height)


def test_fourteen_villages_make_a_tall_enough_chart_with_axes_and_legend():
    chart = summary.bar_chart(
        title="各村(社区)复核结果",
        labels=VILLAGES,
        series=[("维持", [3] * 14), ("调整", [1] * 14), ("停保", [2] * 14), ("新纳入", [0] * 14)],
        unit="户",
        axis_title="已办结户数",
        stacked=True,
    )
    width, height = _size(chart)
    # The old chart was 1724×260 for 14 villages: squashed to a strip in a half-width card.
    assert width <= 700 and height >= 14 * 20, (width, height)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", chart)
    assert all(name in texts for name in VILLAGES)  # every village named, upright
    assert all(name in texts for name in ("维持", "调整", "停保", "新纳入"))  # legend
    assert "已办结户数（户）" in texts  # axis title with unit
    ticks = [t for t in texts if re.fullmatch(r"[\d,]+", t)]
    assert {"0", "2", "4", "6"} <= set(ticks)  # round ticks up to the largest row (6)
