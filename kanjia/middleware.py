import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kanjia.roles import is_read_only

Handler = Callable[[HttpRequest], HttpResponse]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Paths an inspector may POST to: ending their own session is not a change.
INSPECTOR_POST_ALLOWED = ("/accounts/logout/",)
# The one write the 纪委监察 role makes: its register of problem clues (问题线索, archives.clues).
# Every other unsafe request from an inspector-only account is refused (tests/test_inspector_writes.py).
INSPECTOR_WRITE_VIEWS = frozenset({"audit:clue_create", "audit:clue_edit", "audit:clue_refer"})


class SessionLimitMiddleware:
    """An absolute session lifetime on top of Django's idle timeout.

    SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST gives the 30-minute idle
    timeout; this ends any session older than SESSION_ABSOLUTE_SECONDS however
    active it is (等保 2.0 会话控制).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.setdefault("login_at", int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class ScopeCacheMiddleware:
    """Let households.selectors cache the user's village ids for this request only."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            request.user._kanjia_village_ids = {}
        return self.get_response(request)


def reads_only(view: Callable) -> Callable:
    """Mark a POST view that records a read but changes no data (e.g. revealing a
    full ID number, which writes an access-log row): inspectors may use it."""
    view.reads_only = True
    return view


class InspectorReadOnlyMiddleware:
    """纪委监察 read everything and change nothing but their own register: refuse every other unsafe request.

    Views check permissions too; this is the guarantee that a forgotten check
    can never let an inspector change data. Only the register's views
    (INSPECTOR_WRITE_VIEWS, by URL name), views marked `@reads_only` and logout
    accept an inspector's POST.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> None:
        if (
            request.method not in SAFE_METHODS
            and request.user.is_authenticated
            and request.path not in INSPECTOR_POST_ALLOWED
            and not getattr(view_func, "reads_only", False)
            and getattr(request.resolver_match, "view_name", None) not in INSPECTOR_WRITE_VIEWS
            and is_read_only(request.user)
        ):
            raise PermissionDenied("纪委监察账号只能查阅，不能修改任何数据。")


class NoStoreMiddleware:
    """Pages may carry personal data: browsers and proxies must not keep them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response
