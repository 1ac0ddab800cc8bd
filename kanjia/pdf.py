"""Render HTML templates to PDF with WeasyPrint, safely and with Chinese text.

Every PDF in the system (notices, registration forms, labels, reports) goes
through `render_pdf`, so that two rules hold everywhere:
- the bundled Noto Sans SC font is used (hosts have no CJK font);
- WeasyPrint can load nothing but the project's own static files and data:
  URIs, never a network address or another local file (CVE-2025-68616, SSRF).
"""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = (settings.BASE_DIR / "static").resolve()
BASE_CSS = STATIC_DIR / "pdf" / "base.css"


class StaticOnlyFetcher(URLFetcher):
    """Serve file:// URLs inside static/ and data: URIs; refuse everything else."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                return URLFetcherResponse(url, body=path.read_bytes())
        raise ValueError(f"PDF 渲染不允许加载外部资源: {url[:80]}")


def html_to_pdf(html: str, *, stylesheets: tuple[Path, ...] = ()) -> bytes:
    fonts = FontConfiguration()
    fetcher = StaticOnlyFetcher()
    css = [CSS(filename=str(path), font_config=fonts, url_fetcher=fetcher) for path in (BASE_CSS, *stylesheets)]
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=css, font_config=fonts)


def render_pdf(*, template: str, context: dict, stylesheets: tuple[Path, ...] = ()) -> bytes:
    """Render a Django template (autoescaped) to PDF bytes."""
    return html_to_pdf(render_to_string(template, context), stylesheets=stylesheets)
