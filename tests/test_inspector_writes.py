"""纪委监察 change nothing but their own register of problem clues (问题线索).

Walks the whole URLconf and POSTs to every URL as an inspector: the read-only
middleware must refuse each one, except the register's views (its explicit
allowance, kanjia.middleware.INSPECTOR_WRITE_VIEWS), the views that only record a
read (`@reads_only`) and logout. A new URL is swept automatically; a new
exception must be added to the allowance on purpose.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kanjia.middleware import INSPECTOR_WRITE_VIEWS

pytestmark = pytest.mark.django_db

REFUSAL = "纪委监察账号只能查阅，不能修改任何数据。"
# Views that record a read (an access-log row) and change no data: revealing a full ID number;
# the household search form, which keeps a number-like query in the session, out of the URL;
# checking the chain against the inspector's 封存回执 (records a verification run, nothing else).
READS_ONLY = {"households:reveal_id", "households:search", "audit:verify_receipt"}
CONVERTERS = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{namespace}:{p.name}".strip(":") if p.name else None), p.callback


def _path(route: str) -> str:
    """A concrete path for a route: every parameter replaced by a value of its type."""
    if route.startswith("^"):  # the admin's regex routes
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).lstrip("^").rstrip("$").replace("\\", "")
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTERS.get(m.group(1) or "str", "x"), route)
    return "/" + route


def test_every_inspector_post_is_refused_but_the_register(client, inspector):
    client.force_login(inspector)
    let_through, seen = set(), set()
    for route, name, _callback in _walk(get_resolver().url_patterns):
        path = _path(route)
        key = name or path
        if key in seen or name == "logout":
            continue
        seen.add(key)
        response = client.post(path, {"anything": "1"})
        refused = response.status_code == 403 and REFUSAL in response.content.decode()
        if not refused:
            let_through.add(key)
    assert let_through == set(INSPECTOR_WRITE_VIEWS) | READS_ONLY, (
        "the read-only middleware let an inspector's POST reach these views: "
        f"{sorted(let_through - set(INSPECTOR_WRITE_VIEWS) - READS_ONLY)}"
    )
    assert len(seen) > 150  # the whole URLconf was walked


def test_the_allowance_names_only_the_register(client, inspector):
    assert {"audit:clue_create", "audit:clue_edit", "audit:clue_refer"} == INSPECTOR_WRITE_VIEWS
    for name in INSPECTOR_WRITE_VIEWS:
        assert reverse(name, kwargs={"pk": 1} if name != "audit:clue_create" else None).startswith("/audit/clues/")
