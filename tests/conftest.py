"""Shared fixtures: the personas every test speaks of, and browser set-up.

Personas (as in healthchecks' tests): a town officer, two village-team members
on different teams, a district officer, a discipline inspector and an outsider
with no role. Log them in with `client.force_login(...)`: the real login form is
exercised by the login and lockout tests (django-axes needs the request).
"""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from kanjia import roles

# Playwright's sync API runs an event loop; Django's ORM then refuses sync calls
# from the live server thread unless this is set (STACK.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Test-pass-2021"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def make_user(username: str, role: str | None, *, full_name: str = "", town=None, **extra) -> User:
    """A user with `role`; a town-level role (镇民政办, 纪委监察) acts for `town`, by default 堪嘉镇
    (the TownFactory town every VillageFactory village belongs to)."""
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=full_name or username, **extra)
    if role:
        # get_or_create: transactional tests flush the rows the role migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if role in roles.TOWN_LEVEL:
        from households.towns.services import town_assign
        from tests.factories import TownFactory

        town_assign(user=user, town=town or TownFactory())
    return user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, _media_root):
    """Uploaded documents and generated files go to the session's temporary folder,
    never var/; the test worker is started with the same folder."""
    settings.MEDIA_ROOT = _media_root


@pytest.fixture(autouse=True)
def _pipeline_gates_off(settings):
    """The later apps' pipeline gates (declaration, publicity rounds, documents)
    are on in production. Each app's own tests switch its gate back on (their
    conftest runs after this one), and tests/test_pipeline_all_gates.py runs a
    case with every gate on; elsewhere they would only add set-up noise."""
    settings.RELATIVES_DECLARATION_REQUIRED = False
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.ARCHIVES_APPROVAL_GATE = False


@pytest.fixture
def town_officer(db) -> User:
    return make_user("town_officer", roles.TOWN_OFFICE, full_name="测试民政")


@pytest.fixture
def team_member_a(db) -> User:
    return make_user("team_a", roles.VILLAGE_TEAM, full_name="甲组组员")


@pytest.fixture
def team_member_b(db) -> User:
    return make_user("team_b", roles.VILLAGE_TEAM, full_name="乙组组员")


@pytest.fixture
def district_officer(db) -> User:
    return make_user("district_officer", roles.DISTRICT, full_name="测试区局")


@pytest.fixture
def inspector(db) -> User:
    return make_user("inspector", roles.INSPECTOR, full_name="测试纪检")


@pytest.fixture
def district_inspector(db) -> User:
    return make_user("district_inspector", roles.DISTRICT_INSPECTOR, full_name="测试区纪委")


@pytest.fixture
def other_town(db):
    """A second town of the district (issue 19), with one village."""
    from tests.factories import TownFactory, VillageFactory

    town = TownFactory(name="城东镇", code="512002999")
    VillageFactory(town=town, name="东岳村")
    return town


@pytest.fixture
def other_town_officer(other_town) -> User:
    return make_user("other_town_officer", roles.TOWN_OFFICE, full_name="城东民政", town=other_town)


@pytest.fixture
def sysadmin(db) -> User:
    return make_user("sysadmin", roles.SYSADMIN, full_name="测试管理", is_staff=True)


@pytest.fixture
def outsider(db) -> User:
    return make_user("outsider", None, full_name="无角色")


@pytest.fixture
def personas(town_officer, team_member_a, team_member_b, district_officer, inspector, outsider):
    return {
        "town_officer": town_officer,
        "team_member_a": team_member_a,
        "team_member_b": team_member_b,
        "district_officer": district_officer,
        "inspector": inspector,
        "outsider": outsider,
    }


# --- Villages and review teams ------------------------------------------------------
# team_member_a/_b alone carry only the 清理小组 role (no villages). Ask for
# team_a/team_b to put them in teams: team A covers village_a, team B village_b
# (two villages of one town), set up through the real services.


@pytest.fixture
def village_a(db):
    from tests.factories import VillageFactory

    return VillageFactory(name="甲村")


@pytest.fixture
def village_b(db):
    from tests.factories import VillageFactory

    return VillageFactory(name="乙村")


def _team(name: str, member: User, village, by: User):
    from review.models import TeamMembership
    from review.teams import services as teams

    team = teams.team_create(name=name, by=by)
    teams.team_add_member(team=team, user=member, role=TeamMembership.Role.CADRE, by=by)
    teams.team_assign_village(team=team, village=village, by=by)
    return team


@pytest.fixture
def team_a(team_member_a, village_a, town_officer):
    return _team("甲组", team_member_a, village_a, town_officer)


@pytest.fixture
def team_b(team_member_b, village_b, town_officer):
    return _team("乙组", team_member_b, village_b, town_officer)


# --- Browser tests ---------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_login(live_server, page):
    """Log a user in through the real login form; returns the page."""

    def login(user: User):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture
def screenshot_dir(pytestconfig) -> str:
    # Not "test-results": pytest-playwright empties that folder at session end.
    path = os.path.join(str(pytestconfig.rootpath), "test-output", "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


# --- A real Celery worker (PostgreSQL + Redis runs) ------------------------------


@dataclass
class Worker:
    proc: subprocess.Popen
    queue: str
    node: str
    log: Path


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker, tmp_path_factory, _media_root) -> Worker:
    """One `celery -A kanjia worker` for the session, on a private queue, against the test database.

    Only when CELERY_BROKER_URL is set; otherwise tasks run in-process and the
    tests that need a worker are skipped with that reason.
    """
    from django.conf import settings

    from kanjia.celery import app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("未设置 CELERY_BROKER_URL：任务在进程内执行，无需真实 worker")
    queue = f"kanjia-test-{os.getpid()}"
    db = settings.DATABASES["default"]
    env = {**os.environ, "CELERY_QUEUE": queue, "MEDIA_ROOT": str(_media_root)}
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    node = f"{queue}@{socket.gethostname()}"
    tmp = tmp_path_factory.mktemp("celery")
    log_path = tmp / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed at teardown
    # fmt: off
    command = [
        sys.executable, "-m", "celery", "-A", "kanjia", "worker", "-P", "solo", "-Q", queue, "-n", node,
        "--pidfile", str(tmp / "worker.pid"), "-l", "warning",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    # fmt: on
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while not app.control.inspect(destination=[node], timeout=1).ping():
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(log_path.read_text())
    yield Worker(proc=proc, queue=queue, node=node, log=log_path)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def celery_worker_process(_celery_worker_session: Worker):
    """Route this test's tasks to the session's worker; afterwards wait until it is idle.

    Only the tests that ask for a worker send to it: other tests' tasks go to the
    default queue, where no worker listens, so a background task can never touch
    the test database while another test runs or while the database is flushed.
    """
    from kanjia.celery import app

    worker = _celery_worker_session
    default = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue
    try:
        yield worker.proc
    finally:
        app.conf.task_default_queue = default
        _wait_until_idle(app, worker)


def _wait_until_idle(app, worker: Worker, timeout: float = 60) -> None:
    """No task queued for the worker and none running (tasks a task sent included)."""
    from amqp.exceptions import ChannelError

    deadline = time.time() + timeout
    with app.connection_for_write() as conn:
        while time.time() < deadline:
            try:
                queued = conn.default_channel.queue_declare(queue=worker.queue, passive=True).message_count
            except ChannelError:  # Redis keeps no key for an empty queue
                queued = 0
            inspect = app.control.inspect(destination=[worker.node], timeout=1)
            active = (inspect.active() or {}).get(worker.node, [])
            reserved = (inspect.reserved() or {}).get(worker.node, [])
            if not queued and not active and not reserved:
                return
            time.sleep(0.2)
    raise RuntimeError(f"Celery worker still busy after {timeout}s:\n{worker.log.read_text()[-2000:]}")


@pytest.fixture
def tasks_in_process(request):
    """Celery tasks run in-process for this test even when a broker is set (PostgreSQL + Redis runs),
    unless the test asked for the real worker (`celery_worker_process`)."""
    from kanjia.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
