"""Deny by default: every URL in the URLconf needs a login (18F/tock pattern).

New URLs are covered automatically: the test walks the resolver.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {"/accounts/login/", "/admin/login/"}
SAMPLE = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def concrete(route: str) -> str | None:
    """Turn a route into a URL with sample arguments; None if it is a regex we cannot fill."""
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
    if any(ch in route for ch in "^$()[]?*+\\"):
        # Django admin's regex routes: fill the common ones by hand.
        route = route.replace("^", "").replace("$", "")
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
        if any(ch in route for ch in "()[]?*+\\"):
            return None
    return "/" + route.lstrip("/")


def all_urls() -> list[str]:
    urls = sorted({u for u in (concrete(r) for r in _walk(get_resolver().url_patterns)) if u})
    assert len(urls) > 10
    return urls


@pytest.mark.parametrize("url", all_urls())
def test_anonymous_is_sent_to_login_or_refused(client, url):
    if url in PUBLIC:
        assert client.get(url).status_code == 200
        return
    for method in (client.get, client.post):
        response = method(url, follow=True)
        final = response.request["PATH_INFO"]
        if response.redirect_chain:
            assert final in PUBLIC, f"{method.__name__.upper()} {url} ends at {final}"
        else:
            assert response.status_code in (401, 403, 404, 405), (
                f"{method.__name__.upper()} {url} answered {response.status_code}"
            )


def test_static_files_are_public(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
