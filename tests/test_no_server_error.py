"""No HTTP 500 on any input (issue 16, finding 4).

The sweep walks every URL pattern of the URLconf (a new URL is covered without
an entry here), one test per area of the site (the first part of the path:
`accounts` also holds the dashboard, sign-in and the calendar; `review-dynamic`
is `review/dynamic/`), so a failure names its area and every server error is
listed with its persona, request, values and the app line that raised. For each
URL it makes a real object for each object id (the scope sweep's TARGETS,
tests/test_scope_sweep.py) inside a savepoint rolled back after the URL, and:

1. GETs the page as each of the seven personas (the URL's control persona first:
   the town officer unless its Target says otherwise; the sysadmin for the Django
   admin, whose pages turn everyone else away before any page code, so only the
   sysadmin reads them normally), recording which keys of
   ``request.GET`` the view reads (a test middleware swaps in a recording
   QueryDict) and reading the page's forms: GET forms' fields are query
   parameters, POST forms are posted as a browser would (action and fields).
2. Path arguments: every hostile value the argument's converter accepts (for
   ``<int:…>`` a 23-digit number and an 18-digit one no object has), GET and
   POST, by the control persona (a free-text argument, `<path:…>`/`<str:…>`: the
   admin's object ids, takes TEXT_PER_URL of them per URL, rotating); then every
   other persona GETs the URL with all its path arguments hostile (values
   rotating). Values the converter refuses never reach a view (the resolver
   answers 404): each URL sends one of them, rotating, and the area tops up any
   class not sent yet. Admin pages get a real object of their model when there
   is one (simple-history's unnamed `([^/]+)` groups are positional arguments).
3. Query parameters (those read, and the GET forms' fields): each parameter
   alone with PER_KEY values (rotating so that different parameters get
   different values), then all of them at once with every value class by the
   control persona and with one value (rotating) by every other persona.
4. Forms: each distinct form (the view it posts to and its field names) is
   posted fully by the first persona shown it: one field at a time
   (MAX_PER_FORM field/value pairs, sampled with a fixed seed) and every field
   at once with each value class (admin forms: ADMIN_PER_FORM single fields; a
   model's add and change forms count as one); every other persona shown the
   same form posts every field at once with one value (rotating).

A file (PDF, Excel) is slow to render (WeasyPrint): its query parameters alone
get FILE_VALUES only; all at once they still get every class.

Sampling guarantee, checked at the end of each area: every value class has been
sent to every parameter type seen in the area (path argument per converter,
query parameter, and form field per HTML input type), and every persona has
requested every URL with its path arguments hostile. The area prints the number
of URL patterns, requests, distinct forms, query parameters, parameter types and
(type, value class) combinations (``pytest -s``).

Hostile value classes: huge integers, 40000 (fits 32 bits, not a smallint), negatives, non-numbers, floats, empty,
10 kB strings, full-width digits, zero-width characters, a NUL byte. Only 2xx,
3xx and 4xx answers pass. Each request runs in a savepoint (PostgreSQL aborts a
transaction on a database error). Each persona has its own client, signed in
once outside the URLs' savepoints (signed in again if a request replaced its
session).

Follow a long run with ``NO500_LOG=/tmp/x.log`` (progress and failures as they
are found); ``NO500_ONLY=<regex>`` limits the sweep to matching URL names/routes.
The named cases are pinned in tests/test_bad_input.py.
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
from django.conf import settings as django_settings
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse
from django.urls.converters import get_converters

from tests.test_scope_sweep import TARGETS, _walk, world  # noqa: F401  (world: the scope sweep's fixture)

pytestmark = pytest.mark.django_db

HOSTILE = {
    "huge": "99999999999999999999999",
    # Fits 32 bits, not a PostgreSQL smallint (PositiveSmallIntegerField): a form bounded to 32 bits
    # over a small column passes it to the database, which refuses it (SQLite does not).
    "beyond smallint": "40000",
    "negative": "-1",
    "not a number": "abc",
    "float": "1.5",
    "empty": "",
    "10 kB": "长" * 3500,
    "full-width digits": "１２３",
    "zero-width": "1\u200b2\u200b3",
    "NUL": "1\x002",
}
CLASSES = tuple(HOSTILE)
# Besides the class values: an id a 64-bit column holds but no object has (18 digits).
EXTRA_PATH = {"int": {"huge (64-bit)": "999999999999999999"}, "slug": {"10 kB": "x" * 10240}}
PERSONAS = ("town_officer", "team_member_a", "team_member_b", "district_officer", "inspector", "outsider", "sysadmin")
MAX_PER_FORM = 12  # one-field-at-a-time POSTs per distinct form (sampled beyond, same seed every run)
ADMIN_PER_FORM = 3  # the same for the Django admin's forms (one ModelForm machinery, 37 models)
TEXT_PER_URL = 2  # accepted values per free-text path argument (`<path:…>`, `<str:…>`: the admin's object ids)
PER_KEY = 2  # values per query parameter alone (rotating); all of them at once get every class
# A file (PDF, Excel) is expensive to render: its query parameters alone get these values only.
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
LOG = os.environ.get("NO500_LOG")  # a file to follow progress and failures as they are found
ONLY = os.environ.get("NO500_ONLY")  # a regex: sweep only the URL names (or routes) it finds


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
    fields: dict[str, str | None] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # field → HTML input type (text, number, select, …)


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
        fields, kinds = self.current.fields, self.current.kinds
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            kinds[a["name"]] = kind
            if kind in ("checkbox", "radio") and "checked" not in a:
                fields.setdefault(a["name"], None)  # known, not submitted unless hostile
                return
            fields[a["name"]] = a.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select = a["name"]
            kinds[self.select] = "select"
            fields.setdefault(self.select, None)
        elif tag == "option" and self.select:
            if "selected" in a or fields.get(self.select) is None:
                fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            kinds[a["name"]] = "textarea"
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
UNNAMED = re.compile(r"\((?!\?)[^)]*\)")


def area_of(route: str) -> str:
    if route.startswith("review/dynamic/"):
        return "review-dynamic"
    first = route.split("/", 1)[0]
    return first if first in ("admin", "archives", "audit", "households", "publicity", "review") else "accounts"


def url_patterns() -> list[tuple[str, str | None, dict[str, str]]]:
    """(route, name, {argument: converter}) of every pattern (the Django admin's included)."""
    found = []
    for route, name, _namespace in _walk(get_resolver().url_patterns):
        args = {m.group(2): m.group(1) or "str" for m in PARAM.finditer(route)}
        args |= {m.group(1): "regex" for m in re.finditer(r"\(\?P<(\w+)>", route)}
        # Unnamed groups (simple-history's `^([^/]+)/history/([^/]+)/$`): positional, as `<str:…>`.
        args |= {f"#{i}": "str" for i, _m in enumerate(UNNAMED.finditer(route))}
        found.append((route, name, args))
    return sorted(found, key=lambda r: r[0])


AREAS = sorted({area_of(route) for route, _name, _args in url_patterns()})


def path_values(converter: str) -> tuple[dict[str, str], list[str]]:
    """({label: value} the converter accepts, [labels of classes it refuses: the resolver's 404])."""
    regex = re.compile(get_converters()[converter].regex)
    accepted = {label: v for label, v in HOSTILE.items() if regex.fullmatch(v)}
    accepted |= EXTRA_PATH.get(converter, {})
    return accepted, [label for label in CLASSES if label not in accepted]


def sample_kwargs(args: dict[str, str]) -> dict[str, str]:
    return {name: "1" if conv in ("int", "regex") else "x" for name, conv in args.items()}


def admin_kwargs(name: str, args: dict[str, str]) -> dict[str, str]:
    """An admin page's arguments: the model's first object (its change form is then posted), else samples."""
    from django.contrib import admin

    kwargs = sample_kwargs(args)
    if "app_label" in args:
        kwargs["app_label"] = "households"
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            first = model._base_manager.order_by("pk").first()
            for arg in ("object_id", "id", "pk"):
                if arg in args and first is not None:
                    kwargs[arg] = str(first.pk)
            if "#0" in args and first is not None:  # simple-history: (object id, history id)
                kwargs["#0"] = str(first.pk)
                record = first.history.order_by("history_id").first() if hasattr(first, "history") else None
                kwargs["#1"] = str(record.history_id) if record else "1"
    return kwargs


# --- The sweep -----------------------------------------------------------------------------------------


@dataclass
class Sweep:
    world: object
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    clients: dict = field(default_factory=dict)  # persona → (signed-in test client, its session key)
    forms_full: set = field(default_factory=set)  # (view, fields): posted fully once
    forms_once: set = field(default_factory=set)  # (view, fields, persona): posted with one value
    keys: int = 0  # query parameters swept (per URL)
    used: set = field(default_factory=set)  # (parameter type, value class) sent
    hostile_path: dict = field(default_factory=dict)  # URL → personas who requested it with hostile path args
    refused_example: dict = field(default_factory=dict)  # converter → (name, route, kwargs, arg): for top-ups
    turn: int = 0  # rotation counter
    rng: random.Random = field(default_factory=lambda: random.Random(16))

    def next_turn(self) -> int:
        self.turn += 1
        return self.turn

    def client(self, persona: str) -> Client:
        """The persona's own client, signed in once outside the URLs' savepoints (signing in for every
        request was an eighth of the time). A session a request replaced (and the rollback removed) is
        signed in again."""
        client, key = self.clients.get(persona, (None, None))
        if (
            client is None
            or client.cookies.get(django_settings.SESSION_COOKIE_NAME) is None
            or (client.cookies[django_settings.SESSION_COOKIE_NAME].value != key)
        ):
            client = client or Client(raise_request_exception=True)
            client.force_login(getattr(self.world, persona))
            self.clients[persona] = (client, client.cookies[django_settings.SESSION_COOKIE_NAME].value)
        return client

    def hit(self, persona: str, method: str, url: str, data=None, what: str = "", covers=()):
        client = self.client(persona)
        self.requests += 1
        self.used.update(covers)
        try:
            with transaction.atomic():
                response = getattr(client, method)(url, data or {})
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
                f"{os.path.relpath(f.filename, django_settings.BASE_DIR)}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(error.__traceback__)
                if "site-packages" not in f.filename and "/tests/" not in f.filename
            ]
            where = f" at {frames[-1] if frames else '?'}: {type(error).__name__}: {str(error)[:160]}"
        shown = {k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v) for k, v in (data or {}).items()}
        line = f"{persona} {method.upper()} {url[:160]} {what} {shown if data else ''} → {status}{where}"
        self.failures.append(line)
        self.log(line)

    def log(self, line: str) -> None:
        if LOG:
            with open(LOG, "a", encoding="utf-8") as out:
                out.write(line + "\n")

    # One URL: the normal page, then hostile path arguments, query parameters and form fields.
    def url(self, name: str | None, route: str, args: dict[str, str], control: str) -> None:
        for kwargs in self.kwargs_sets(name, args):
            self.one(name, route, args, kwargs, control)

    def kwargs_sets(self, name, args) -> list[dict]:
        if name in REAL_KWARGS:
            return REAL_KWARGS[name](self.world)
        if name in TARGETS:
            return [{k: str(v) for k, v in TARGETS[name].make(self.world).items()}]
        if (name or "").startswith("admin:"):
            return [admin_kwargs(name, args)]
        return [sample_kwargs(args)]

    def build(self, name, route, kwargs) -> str | None:
        if name:
            positional = [kwargs[k] for k in sorted(kwargs) if k.startswith("#")]
            named = {k: v for k, v in kwargs.items() if not k.startswith("#")}
            try:
                return reverse(name, args=positional) if positional else reverse(name, kwargs=named)
            except NoReverseMatch:
                return None
        path = PARAM.sub(lambda m: kwargs[m.group(2)], route)
        return None if any(c in path for c in "^$()[]?*+\\") else "/" + path

    def build_raw(self, route, kwargs) -> str:
        """The URL with values the converters refuse (reverse() would not build it)."""
        values = iter(kwargs[k] for k in sorted(kwargs) if k.startswith("#"))
        path = UNNAMED.sub(lambda m: next(values), PARAM.sub(lambda m: kwargs[m.group(2)], route))
        return "/" + path.replace("^", "").replace("$", "")

    def one(self, name, route, args, kwargs, control) -> None:
        url = self.build(name, route, kwargs)
        if url is None:
            return
        personas = (control, *[p for p in PERSONAS if p != control])
        keys: set[str] = set()
        forms: list[tuple[str, Form]] = []
        is_file = False
        # The admin turns away everyone but the sysadmin before any page code: only the sysadmin reads its pages
        # (every persona still requests each admin URL with hostile path arguments, below).
        for persona in personas[:1] if (name or "").startswith("admin:") else personas:
            READ_KEYS.clear()
            response = self.hit(persona, "get", url, what="(normal)")
            keys |= READ_KEYS
            if response is None:
                continue
            content_type = response.get("Content-Type", "")
            is_file = is_file or (response.status_code == 200 and not content_type.startswith("text/html"))
            if content_type.startswith("text/html"):
                for form in page_forms(url, response.content.decode(errors="replace")):
                    if form.method == "get":
                        keys |= set(form.fields)
                    else:
                        forms.append((persona, form))
        keys.discard("csrfmiddlewaretoken")
        self.path_args(name, route, args, kwargs, url, personas)
        self.query(url, sorted(keys), personas, is_file)
        for persona, form in forms:
            self.post_form(persona, form)

    def path_args(self, name, route, args, kwargs, url, personas) -> None:
        swept = {a: c for a, c in args.items() if c != "regex"}
        if not swept:
            return
        control, others = personas[0], personas[1:]
        for arg, converter in swept.items():
            accepted, refused = path_values(converter)
            if converter in ("str", "path"):  # free text: TEXT_PER_URL classes per URL, rotating
                start = self.next_turn()
                labels = list(accepted)
                accepted = {
                    labels[(start + i) % len(labels)]: accepted[labels[(start + i) % len(labels)]]
                    for i in range(TEXT_PER_URL)
                }
            for label, value in accepted.items():
                bad = self.build(name, route, {**kwargs, arg: value})
                if bad is None:
                    continue
                covers = [(f"path <{converter}>", label)]
                self.hit(control, "get", bad, what=f"path {arg}={label}", covers=covers)
                self.hit(control, "post", bad, what=f"path {arg}={label}", covers=covers)
            if refused:  # one refused class per URL, rotating; the resolver answers before any view
                label = refused[self.next_turn() % len(refused)]
                self.refused_example[converter] = (route, kwargs, arg)
                bad = self.build_raw(route, {**kwargs, arg: HOSTILE[label]})
                self.hit(control, "get", bad, what=f"path {arg}={label}", covers=[(f"path <{converter}>", label)])
        seen = self.hostile_path.setdefault(url, set())
        seen.add(control)
        for persona in others:  # every persona: all path arguments hostile at once
            bad_kwargs = dict(kwargs)
            labels = []
            for arg, converter in swept.items():
                accepted, _refused = path_values(converter)
                label = list(accepted)[self.next_turn() % len(accepted)]
                bad_kwargs[arg] = accepted[label]
                labels.append((f"path <{converter}>", label))
            bad = self.build(name, route, bad_kwargs)
            if bad is not None:
                self.hit(persona, "get", bad, what="every path argument", covers=labels)
                seen.add(persona)

    def query(self, url: str, keys: list[str], personas, is_file: bool) -> None:
        if not keys:
            return
        self.keys += len(keys)
        control = personas[0]
        alone = FILE_VALUES if is_file else CLASSES
        for k, key in enumerate(keys):
            for j in range(min(PER_KEY, len(alone))):
                label = alone[(k * PER_KEY + j) % len(alone)]
                self.hit(control, "get", url, {key: HOSTILE[label]}, what=f"?{key}={label}", covers=[("query", label)])
        for persona in personas:
            labels = CLASSES if persona == control else [CLASSES[self.next_turn() % len(CLASSES)]]
            for label in labels:
                data = dict.fromkeys(keys, HOSTILE[label])
                self.hit(persona, "get", url, data, what=f"every parameter = {label}", covers=[("query", label)])

    def post_form(self, persona: str, form: Form) -> None:
        action = urlsplit(form.action).path
        try:
            match = resolve(action)
        except Resolver404:
            return
        if match.url_name in SKIP_FORM_URLS:
            return
        fields = {k: v for k, v in form.fields.items() if k != "csrfmiddlewaretoken"}
        if not fields:
            return
        kinds = {k: f"form {form.kinds.get(k, 'text')}" for k in fields}
        view = match.view_name
        if view.startswith("admin:"):  # a model's add and change forms are one ModelForm
            view = re.sub(r"_(add|change)$", "", view)
        key = (view, tuple(sorted(fields)))
        normal = {k: v for k, v in fields.items() if v is not None}
        if key not in self.forms_full:
            self.forms_full.add(key)
            singles = [(f, label) for f in sorted(fields) for label in CLASSES]
            most = ADMIN_PER_FORM if view.startswith("admin:") else MAX_PER_FORM
            if len(singles) > most:
                singles = self.rng.sample(singles, most)
            for name, label in singles:
                data = {**normal, name: HOSTILE[label]}
                self.hit(
                    persona, "post", action, data, what=f"form field {name}={label}", covers=[(kinds[name], label)]
                )
            for label in CLASSES:
                data = dict.fromkeys(fields, HOSTILE[label])
                covers = [(kind, label) for kind in set(kinds.values())]
                self.hit(persona, "post", action, data, what=f"every field = {label}", covers=covers)
        elif (*key, persona) not in self.forms_once:
            self.forms_once.add((*key, persona))
            label = CLASSES[self.next_turn() % len(CLASSES)]
            covers = [(kind, label) for kind in set(kinds.values())]
            data = dict.fromkeys(fields, HOSTILE[label])
            self.hit(persona, "post", action, data, what=f"every field = {label}", covers=covers)

    def top_up(self, control: str) -> None:
        """Send each value class a converter refuses that no URL of the area sent yet (the resolver's 404)."""
        for converter, (route, kwargs, arg) in self.refused_example.items():
            for label in path_values(converter)[1]:
                if (f"path <{converter}>", label) not in self.used:
                    bad = self.build_raw(route, {**kwargs, arg: HOSTILE[label]})
                    self.hit(control, "get", bad, what=f"path {arg}={label}", covers=[(f"path <{converter}>", label)])

    def uncovered(self) -> list[str]:
        types = {t for t, _label in self.used}
        missing = [f"{t}: {label}" for t in sorted(types) for label in CLASSES if (t, label) not in self.used]
        missing += [
            f"{url}: {sorted(set(PERSONAS) - seen)}" for url, seen in self.hostile_path.items() if seen != set(PERSONAS)
        ]
        return missing


@pytest.mark.parametrize("area", AREAS)
def test_no_input_gives_a_server_error(area, world, settings, capsys):  # noqa: F811
    settings.MIDDLEWARE = ["tests.test_no_server_error.RecordGetKeys", *settings.MIDDLEWARE]
    sweep = Sweep(world)
    for persona in PERSONAS:
        sweep.client(persona)
    started = time.monotonic()
    patterns = [p for p in url_patterns() if area_of(p[0]) == area and not (ONLY and not re.search(ONLY, p[1] or p[0]))]
    logging.disable(logging.CRITICAL)  # thousands of expected 403/404 (and 400 for 10 kB redirects) log lines
    try:
        for route, name, args in patterns:
            target = TARGETS.get(name)
            control = target.control if target else "sysadmin" if area == "admin" else "town_officer"
            sweep.log(f"# {area} {time.monotonic() - started:.0f}s {sweep.requests} requests, next {name or route}")
            sid = transaction.savepoint()
            try:
                sweep.url(name, route, args, control)
            finally:
                transaction.savepoint_rollback(sid)
        sweep.top_up("town_officer")
    finally:
        logging.disable(logging.NOTSET)
    types = {t for t, _label in sweep.used}
    combinations = {(t, label) for t, label in sweep.used if label in CLASSES}
    summary = (
        f"no-500 sweep [{area}]: {len(patterns)} URL patterns, {sweep.requests} requests, "
        f"{len(sweep.forms_full)} distinct forms, {sweep.keys} query parameters, {len(types)} parameter types × "
        f"{len(CLASSES)} value classes: {len(combinations)} combinations sent, {time.monotonic() - started:.0f} s"
    )
    sweep.log(summary)
    with capsys.disabled():
        print("\n" + summary)
    assert not sweep.failures, f"{len(sweep.failures)} server errors in [{area}]:\n" + "\n".join(sweep.failures)
    missing = sweep.uncovered()
    assert ONLY or not missing, "the sampling missed (parameter type: value class) or (URL: personas):\n" + "\n".join(
        missing
    )
