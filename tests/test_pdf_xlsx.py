"""The shared PDF and Excel helpers every later app prints and exports with."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kanjia.pdf import StaticOnlyFetcher, html_to_pdf
from kanjia.xlsx import SheetSpec, write_xlsx


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_chinese_text_renders_with_the_bundled_font():
    data = html_to_pdf("<h1>堪嘉镇城乡低保专项清理第一榜公示</h1><p>中心村 3组 王某某 保障人数 2</p>")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "堪嘉镇城乡低保专项清理第一榜公示" in text
    assert "中心村" in text
    fonts = {
        str(font["/BaseFont"])
        for page in PdfReader(BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("NotoSansSC" in f.replace("-", "") for f in fonts), fonts


def test_bold_weight_is_embedded_too():
    data = html_to_pdf("<h1>标题加粗</h1>")
    fonts = {
        str(font["/BaseFont"])
        for page in PdfReader(BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Bold" in f for f in fonts), fonts


def test_page_numbers_in_chinese():
    rows = "".join(f"<tr><td>{i}</td><td>户主{i}</td></tr>" for i in range(120))
    data = html_to_pdf(f"<table><thead><tr><th>序号</th><th>户主姓名</th></tr></thead>{rows}</table>")
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) >= 3
    last = reader.pages[-1].extract_text()
    assert f"共 {len(reader.pages)} 页" in last
    # The header row repeats on every page.
    assert all("户主姓名" in p.extract_text() for p in reader.pages)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/secret", "https://example.com/x.png", "file:///etc/passwd", "ftp://x/y"],
)
def test_fetcher_refuses_anything_but_static_files(url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher().fetch(url)


def test_pdf_with_external_image_still_renders_without_fetching():
    data = html_to_pdf('<p>外部图片</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x">')
    assert "外部图片" in pdf_text(data)


def test_excel_user_strings_never_become_formulas():
    dangerous = ['=HYPERLINK("http://evil","点我")', "=1+1", "+cmd|' /C calc'!A0", "#N/A"]
    data = write_xlsx([SheetSpec("台账", ["姓名", "备注"], [["王某", d] for d in dangerous])])
    ws = load_workbook(BytesIO(data)).active
    values = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values == dangerous
    for row in ws.iter_rows(min_row=2):
        assert row[1].data_type == "s"


def test_excel_keeps_numbers_dates_and_strips_control_characters():
    from datetime import date
    from decimal import Decimal

    data = write_xlsx([SheetSpec("s", ["a", "b", "c"], [[Decimal("470.50"), date(2021, 5, 1), "王\x07某"]])])
    row = next(load_workbook(BytesIO(data)).active.iter_rows(min_row=2, values_only=True))
    assert row[0] == 470.5
    assert row[1].date() == date(2021, 5, 1)
    assert row[2] == "王某"
