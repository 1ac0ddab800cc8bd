"""No HTTP 500 on any input (issue 16, finding 4).

NOT YET IN THE DEFAULT SUITE (the file name does not start with `test_`): on the
shared, overloaded CI machine of issue 16 a full run took over 30 minutes and no
complete green run was obtained before the session ended; its findings so far are
fixed and pinned in tests/test_bad_input.py. Run it explicitly:

    pytest -s tests/no_server_error_sweep.py            # NO500_LOG=/tmp/x.log to follow failures live

and rename it to test_no_server_error.py once it passes.

The sweep walks every URL pattern of the URLconf (new URLs are covered without
an entry here), makes a real object for each object id (the scope sweep's
TARGETS, tests/test_scope_sweep.py) and, as each persona:

- GETs the page normally, recording which keys of ``request.GET`` the view reads
  (a test middleware swaps in a recording QueryDict) and reading the page's GET
  forms' fields and POST forms (action and fields, as a browser would submit);
- replaces each path argument with hostile values its converter accepts
  (``<int:pk>`` → 99999999999999999999999 and 999999999999999999);
- sends hostile values for every query parameter the view reads: each parameter
  alone with 3 values (rotating, so every value is used across parameters; the
  control persona), and every parameter at once with each value (the control
  persona) or one value (everyone else);
- posts every form found with hostile values: one field at a time (the control
  persona; at most 12 field/value pairs per form, sampled with a fixed seed) and
  every field at once with each value (control) or one value (everyone else).

Sampled to stay within minutes on a quiet machine; the request count is printed.
The Django admin (系统管理员 only; its lookups are limited by issue 16 part A) is
not swept here.

Hostile values: huge integers, negatives, non-numbers, floats, empty, 10 kB
strings, full-width digits, zero-width characters, a NUL byte. Only 2xx, 3xx and
4xx answers pass; every 500 is listed with the request and the failing line.
Each request runs in a savepoint (PostgreSQL aborts a transaction on a
database error) and each URL's objects are rolled back after it. The number of
requests is printed (``pytest -s``).
"""

import logging
import os
import random
import re
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.http import QueryDict
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse

from tests.test_scope_sweep import TARGETS, _walk, world  # noqa: F401  (world: the scope sweep's fixture)

pytestmark = pytest.mark.django_db

HOSTILE = {
    "huge": "99999999999999999999999",
    "negative": "-1",
    "not a number": "abc",
    "float": "1.5",
    "empty": "",
    "10 kB": "长" * 3500,
    "full-width digits": "１２３",
    "zero-width": "1\u200b2\u200b3",
    "NUL": "1\x002",
}
INT_PATH = ("99999999999999999999999", "999999999999999999")  # 23 digits: 404; 18: the largest that matches
PERSONAS = ("town_officer", "team_member_a", "team_member_b", "district_officer", "inspector", "outsider", "sysadmin")
MAX_PER_FORM = 12  # one-field-at-a-time POSTs per form (sampled beyond, same seed every run)
PER_KEY = 3  # hostile values per query parameter alone (rotating, so every value is used); all of them at once
# A file (PDF, Excel) is expensive to render: its query parameters get these values only.
FILE_VALUES = ("huge", "not a number", "10 kB", "zero-width")
# Forms never posted by the sweep: signing out ends the persona's session (nothing to find there).
SKIP_FORM_URLS = {"logout"}
# Non-object path arguments: the values a real page links to.
REAL_KWARGS = {
    "audit:anomaly": lambda w: [{"slug": s} for s in _anomalies()],
}


def _anomalies() -> list[str]:
    from archives.audit.services import ANOMALIES

    return list(ANOMALIES)


# --- Recording which query parameters a view reads ---------------------------------------------

READ_KEYS: set[str] = set()
LOG = os.environ.get("NO500_LOG")  # a file to follow failures as they are found (long runs)


class RecordingQueryDict(QueryDict):
    def __getitem__(self, key):
        READ_KEYS.add(key)
        return super().__getitem__(key)

    def _getlist(self, key, *args, **kwargs):
        READ_KEYS.add(key)
        return super()._getlist(key, *args, **kwargs)

    def __contains__(self, key):
        READ_KEYS.add(key)
        return super().__contains__(key)


class RecordGetKeys:
    """Test-only middleware: request.GET records every key a view (or its form) asks for."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        return self.get_response(request)


# --- Reading a page's forms ------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class Forms(HTMLParser):
    """Every form on a page: method, action and the fields a browser would submit unchanged."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.current = Form((a.get("method") or "get").lower(), a.get("action") or self.page_url)
            self.forms.append(self.current)
            return
        if self.current is None or ("name" not in a and tag != "option"):
            return
        fields = self.current.fields
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                fields.setdefault(a["name"], None)  # known, not submitted unless hostile
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                fields[a["name"]] = a.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select = a["name"]
            fields.setdefault(self.select, None)
        elif tag == "option" and self.select:
            if "selected" in a or fields.get(self.select) is None:
                fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current is not None:
            self.current.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def page_forms(url: str, html: str) -> list[Form]:
    parser = Forms(url)
    parser.feed(html)
    return parser.forms


# --- The URLconf -------------------------------------------------------------------------------------

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_patterns() -> list[tuple[str, str | None, dict[str, str]]]:
    """(route, name, {argument: converter}) of every pattern (the Django admin's regex routes included)."""
    found = []
    for route, name, _namespace in _walk(get_resolver().url_patterns):
        args = {m.group(2): m.group(1) or "str" for m in PARAM.finditer(route)}
        args |= {m.group(1): "regex" for m in re.finditer(r"\(\?P<(\w+)>", route)}
        found.append((route, name, args))
    return sorted(found, key=lambda r: r[0])


def hostile_path_values(converter: str) -> tuple[str, ...]:
    if converter == "int":
        return INT_PATH
    if converter == "slug":
        return ("99999999999999999999999", "-1", "abc", "x" * 10240)
    return tuple(v for v in HOSTILE.values() if v and "/" not in v)


def sample_kwargs(args: dict[str, str]) -> dict[str, str]:
    return {name: "1" if conv in ("int", "regex") else "x" for name, conv in args.items()}


# --- The sweep -----------------------------------------------------------------------------------------


@dataclass
class Sweep:
    client: object
    world: object
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    current: str | None = None
    posted: set = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(16))

    def login(self, persona: str) -> None:
        if self.current != persona:
            self.client.force_login(getattr(self.world, persona))
            self.current = persona

    def hit(self, persona: str, method: str, url: str, data: dict | None = None, what: str = ""):
        self.login(persona)
        self.requests += 1
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data or {})
        except Exception as error:  # the view raised: a 500 for a real user
            self._fail(persona, method, url, data, what, error)
            return None
        if response.status_code >= 500:
            self._fail(persona, method, url, data, what, None, response.status_code)
            return None
        return response

    def _fail(self, persona, method, url, data, what, error, status=500) -> None:
        where = ""
        if error is not None:
            frames = [
                f"{f.filename.split('/wt16b/')[-1].split('/main/')[-1]}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(error.__traceback__)
                if "site-packages" not in f.filename and "/tests/" not in f.filename
            ]
            where = f" at {frames[-1] if frames else '?'}: {type(error).__name__}: {str(error)[:160]}"
        shown = {k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v) for k, v in (data or {}).items()}
        line = f"{persona} {method.upper()} {url[:160]} {what} {shown if data else ''} → {status}{where}"
        self.failures.append(line)
        if LOG:
            with open(LOG, "a", encoding="utf-8") as out:
                out.write(line + "\n")

    # One URL: the normal page, then hostile path arguments, query parameters and form fields.
    def url(self, name: str | None, route: str, args: dict[str, str], control: str) -> None:
        for kwargs in self.kwargs_sets(name, route, args):
            self.one(name, route, args, kwargs, control)

    def kwargs_sets(self, name, route, args) -> list[dict]:
        if name in REAL_KWARGS:
            return REAL_KWARGS[name](self.world)
        if name in TARGETS:
            return [{k: str(v) for k, v in TARGETS[name].make(self.world).items()}]
        return [sample_kwargs(args)]

    def build(self, name, route, kwargs) -> str | None:
        if name:
            try:
                return reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                return None
        path = PARAM.sub(lambda m: kwargs[m.group(2)], route)
        return None if any(c in path for c in "^$()[]?*+\\") else "/" + path

    def one(self, name, route, args, kwargs, control) -> None:
        url = self.build(name, route, kwargs)
        if url is None:
            return
        personas = (control, *[p for p in PERSONAS if p != control])
        keys: set[str] = set()
        forms: list[tuple[str, Form]] = []
        is_file = False
        for persona in personas:
            READ_KEYS.clear()
            response = self.hit(persona, "get", url, what="(normal)")
            keys |= READ_KEYS
            if response is not None and response.status_code == 200:
                is_file = is_file or not response.get("Content-Type", "").startswith("text/html")
            if response is not None and response.get("Content-Type", "").startswith("text/html"):
                for form in page_forms(url, response.content.decode(errors="replace")):
                    if form.method == "get":
                        keys |= set(form.fields)
                    else:
                        forms.append((persona, form))
        keys.discard("csrfmiddlewaretoken")

        # Path arguments: the control persona and one other (rotating), each hostile value alone.
        for arg, converter in args.items():
            if converter == "regex":
                continue
            for i, value in enumerate(hostile_path_values(converter)):
                bad = self.build(name, route, {**kwargs, arg: value})
                if bad is None:
                    continue
                self.hit(control, "get", bad, what=f"path {arg}")
                self.hit(control, "post", bad, what=f"path {arg}")
                self.hit(personas[1 + (i % (len(personas) - 1))], "get", bad, what=f"path {arg}")

        # Query parameters: one at a time (control persona), then all at once (every persona).
        values = [(k, v) for k, v in HOSTILE.items() if not is_file or k in FILE_VALUES]
        for k, key in enumerate(sorted(keys)):
            for j in range(min(PER_KEY, len(values))):
                label, value = values[(k * PER_KEY + j) % len(values)]
                self.hit(control, "get", url, {key: value}, what=f"?{key}={label}")
        if keys:
            for n, persona in enumerate(personas):
                for label, value in values if persona == control else [values[n % len(values)]]:
                    self.hit(persona, "get", url, dict.fromkeys(keys, value), what=f"every parameter = {label}")

        # Forms: each distinct form (URL name of its action, field names) once in the sweep.
        for persona, form in forms:
            self.post_form(persona, form, personas)

    def post_form(self, persona: str, form: Form, personas) -> None:
        action = urlsplit(form.action).path
        try:
            match = resolve(action)
        except Resolver404:
            return
        if match.url_name in SKIP_FORM_URLS:
            return
        fields = {k: v for k, v in form.fields.items() if k != "csrfmiddlewaretoken"}
        key = (match.view_name, tuple(sorted(fields)), persona)
        if key in self.posted or not fields:
            return
        self.posted.add(key)
        normal = {k: v for k, v in fields.items() if v is not None}
        values = list(HOSTILE.items())
        if persona == personas[0]:
            singles = [(f, label, value) for f in sorted(fields) for label, value in values]
            if len(singles) > MAX_PER_FORM:
                singles = self.rng.sample(singles, MAX_PER_FORM)
            for name, label, value in singles:
                self.hit(persona, "post", action, {**normal, name: value}, what=f"form field {name}={label}")
            for label, value in values:
                self.hit(persona, "post", action, dict.fromkeys(fields, value), what=f"every field = {label}")
        else:
            label, value = values[len(self.posted) % len(values)]
            self.hit(persona, "post", action, dict.fromkeys(fields, value), what=f"every field = {label}")


def test_no_input_gives_a_server_error(client, world, settings, capsys):  # noqa: F811
    settings.MIDDLEWARE = ["tests.no_server_error_sweep.RecordGetKeys", *settings.MIDDLEWARE]
    client.raise_request_exception = True
    sweep = Sweep(client, world)
    started = time.monotonic()
    patterns = url_patterns()
    logging.disable(logging.WARNING)  # thousands of expected 403/404 warnings: not what is looked at
    try:
        for route, name, args in patterns:
            if (name or "").startswith("admin:"):
                continue  # the Django admin: its own pass below
            target = TARGETS.get(name)
            control = target.control if target else "town_officer"
            sid = transaction.savepoint()
            if LOG:
                with open(LOG, "a", encoding="utf-8") as out:
                    out.write(f"# {time.monotonic() - started:.0f}s {sweep.requests} requests, next {name or route}\n")
            try:
                sweep.url(name, route, args, control)
            finally:
                transaction.savepoint_rollback(sid)
                sweep.current = None
    finally:
        logging.disable(logging.NOTSET)
    with capsys.disabled():
        print(
            f"\nno-500 sweep: {len(patterns)} URL patterns, {sweep.requests} requests, "
            f"{len(sweep.posted)} forms posted, {time.monotonic() - started:.0f} s"
        )
    assert not sweep.failures, f"{len(sweep.failures)} server errors:\n" + "\n".join(sweep.failures)
