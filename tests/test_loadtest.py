"""The load test must not rot silently (`make loadtest`, bench/loadtest/).

No Locust here: the clerk's mix (bench.loadtest.mix) is plain data, and these tests play every kind
of step of it through Django's test client, with CSRF checks on, for the demo's town, team and
district accounts from the plan the runner builds (bench.loadtest.prepare). A renamed URL, a changed
login or a stage form that no longer saves fails here, not only in the next load-test run.
"""

import ast
import os
import random
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import resolve

from bench.loadtest import mix, prepare, run
from households.synthetic import generate
from kanjia import demo
from review.models import Acceptance, Case, Status

pytestmark = pytest.mark.django_db

LOCUSTFILE = Path(prepare.__file__).with_name("locustfile.py")
VIEWS = {
    "login_form": "login",
    "login": "login",
    "list": "households:list",
    "list_page": "households:list",
    "search": "households:list",
    "household": "households:detail",
    "cases": "review:case_list",
    "case": "review:case_detail",
    "save": "review:case_stage",
    "foreign": "households:detail",
}


@pytest.fixture
def plan() -> dict:
    """The demo's places, accounts, teams and campaign, over 70 synthetic households (not 300: speed)."""
    demo.load_places()
    demo.load_accounts()
    demo.load_teams()
    demo.load_declarations()
    generate(households=70, seed=5, user=User.objects.get(username="town"))
    demo.load_campaign()
    return prepare.build_plan(seed=7, sample=12, saveable=4)


def play(client: Client, step: mix.Step) -> tuple[int, str]:
    """Send a step as the Locust user does: a POST carries the CSRF cookie's token."""
    data = dict(step.data)
    if step.method == "POST":
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
        response = client.post(step.path, data, follow=step.follow)
    else:
        response = client.get(step.path, step.params, follow=step.follow)
    return response.status_code, response.content.decode()


def test_the_plan_has_town_team_and_district_accounts_each_with_work(plan):
    personas = {a["persona"] for a in plan["accounts"]}
    assert personas == {"town", "team", "district"}
    assert {a["username"] for a in plan["accounts"]} >= {"town", "team1", "team2", "district"}
    for account in plan["accounts"]:
        assert account["households"] and account["names"] and account["cases"], account["username"]
        if account["persona"] == "district":
            assert not account["saveable"]  # the district reads; its stage is 区审批, not in the demo
        else:
            assert account["saveable"], account["username"]
        assert bool(account["foreign"]) == (account["persona"] == "team")


def test_every_kind_of_step_resolves_to_the_view_it_means(plan):
    rng = random.Random(1)
    for account in plan["accounts"]:
        steps = mix.login_steps(account, plan) + [mix.step(k, account, plan, rng) for k, _ in mix.kinds_for(account)]
        for step in steps:
            assert resolve(step.path).view_name == VIEWS[step.kind], step
    assert set(VIEWS) == set(mix.KINDS) | {"login_form", "login"}
    assert set(mix.NAMES) == set(VIEWS)


def test_each_persona_logs_in_and_gets_what_the_mix_expects_for_every_step(plan):
    rng = random.Random(2)
    for persona in ("town", "team", "district"):
        account = mix.accounts_of(plan, persona)[0]
        client = Client(enforce_csrf_checks=True)
        for step in mix.login_steps(account, plan):
            status, body = play(client, step)
            assert step.check(status, body) == "", (account["username"], step)
        kinds = [k for k, _ in mix.kinds_for(account)]
        assert ("save" in kinds) == (persona != "district")
        assert ("foreign" in kinds) == (persona == "team")
        for kind in kinds:
            step = mix.step(kind, account, plan, rng)
            status, body = play(client, step)
            assert step.check(status, body) == "", (account["username"], step, status)


def test_the_stage_save_keeps_a_draft_and_never_moves_the_case(plan):
    account = mix.accounts_of(plan, "team")[0]
    client = Client(enforce_csrf_checks=True)
    for step in mix.login_steps(account, plan):
        play(client, step)
    step = mix.step("save", account, plan, random.Random(3))
    case_id = int(step.path.split("/")[3])
    status, body = play(client, step)
    assert step.check(status, body) == ""
    case = Case.objects.get(pk=case_id)
    assert case.status == Status.ACCEPTANCE
    draft = Acceptance.objects.get(case=case)
    assert draft.applicant_name == step.data["applicant_name"]
    assert draft.completed_at is None


def test_a_failed_login_or_a_refusal_that_is_not_a_404_is_an_error(plan):
    account = {**mix.accounts_of(plan, "team")[0]}
    client = Client(enforce_csrf_checks=True)
    form, login = mix.login_steps(account, {**plan, "password": "wrong-Pass-1"})
    play(client, form)
    assert "HTTP 200 without" in login.check(*play(client, login))  # the form again, not the dashboard
    # A household the team may see, asked for as if it were a refusal: a 200 is an error (a scoping leak).
    leak = mix.Step("foreign", mix.NAMES["foreign"], "GET", "/", expect=(404,), refusal=True)
    assert leak.check(200, "") == "HTTP 200, expected 404"


def test_the_data_step_tops_the_demo_up_and_opens_a_case_per_household_in_care():
    from households.models import Household

    data = prepare.ensure_data(households=600, seed=9)
    # The demo's 300 in 堪嘉镇 and 270 in its two synthetic towns, then 30 generated.
    assert data["households"] == Household.objects.count() == 600
    # The demo campaign is 堪嘉镇's: a case per household in care there (the other towns run none).
    in_care = Household.objects.filter(status=Household.Status.ACTIVE, village__town__code="512002110").count()
    assert data["cases"] == Case.objects.count() == in_care > 0
    again = prepare.ensure_data(households=600, seed=9)  # a second run reuses the data as it is
    assert (again["households"], again["cases"]) == (600, data["cases"])


def _context() -> dict:
    return {
        "when": "2026-12-03 13:35 UTC",
        "households": 100_000,
        "users": 50,
        "note": "",
        "command": "make loadtest",
        "workers": 3,
        "think": (1.0, 5.0),
        "duration": "120s",
        "postgres": "15",
        "cases": 56_395,
        "accounts": "1 town",
        "cpus": 2,
        "load": {"before": 0.8, "min": 0.8, "max": 1.8, "mean": 1.4},
    }


def test_the_summary_counts_5xx_and_unexpected_4xx_but_not_expected_refusals():
    def sample(name, status, ms, error="", refusal="0", start="100.0"):
        return {"start": start, "name": name, "method": "GET", "status": str(status), "ms": str(ms)} | {
            "error": error,
            "refusal": refusal,
        }

    samples = [
        sample("login (POST, then dashboard)", 200, 900),
        sample("household page", 200, 10),
        sample("household page", 200, 30, start="101.0"),
        sample("household page", 500, 20, error="HTTP 500, expected 200"),
        sample("case page", 403, 5, error="HTTP 403, expected 200"),
        sample("refused: another team's household (404)", 404, 8, refusal="1", start="109.0"),
        sample("stage save (acceptance draft)", 302, 40, error="HTTP 302 without '已保存。'"),
    ]
    summary = run.summarize(samples, login_names={"login (POST, then dashboard)"})
    assert summary["errors_by_kind"] == {"5xx": 1, "4xx": 1, "other": 1}
    assert summary["errors"] == 3
    assert summary["refusals"] == 1
    assert summary["requests"] == 7 and summary["mix_requests"] == 6
    assert summary["p99"] == 40  # the 900 ms login is not in the mix's percentiles
    assert summary["seconds"] == 9.0
    # Steady state: only what was sent after the last login finished (100.0 + 0.9 s).
    assert summary["steady"] == {"requests": 2, "after": 0.9, "p50": 8, "p95": 30, "p99": 30}
    block = run.report(summary, context=_context())
    assert "Steady state (the mix's 2 requests sent after the last login finished, 0.9 s into the run)" in block
    assert "**p95 30 ms**" in block


NO_ERROR = {"error": "", "refusal": "0"}


def test_the_report_splits_the_runs_cpu_between_gunicorn_postgres_and_locust():
    summary = run.summarize(
        [
            {
                "start": "1.0",
                "name": "household page",
                "method": "GET",
                "status": "200",
                "ms": "10",
                "error": "",
                "refusal": "0",
            }
        ]
        * 100,
        login_names=set(),
    )
    block = run.report(summary, context=_context() | {"cpu": {"gunicorn": 6.0, "postgres": 3.0, "locust": 1.0}})
    assert "CPU used during the run: gunicorn 6 s (60%), postgres 3 s (30%), locust 1 s (10%)" in block
    assert "100 ms of CPU per request in all" in block


def test_cpu_by_part_reads_the_servers_processes_from_proc():
    # This test's own process stands in for gunicorn's master: its CPU time is counted as gunicorn's.
    sum(i * i for i in range(200_000))
    parts = run.cpu_by_part(os.getpid())
    assert parts["gunicorn"] > 0
    assert set(parts) == {"gunicorn", "postgres"}


def test_a_run_is_added_above_the_marker_and_the_docs_have_it(tmp_path):
    assert run.MARKER in (Path(run.ROOT) / "docs" / "benchmarks.md").read_text()
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\n## Load test\n\n{run.MARKER}\n\n## Later section\n")
    run.add_to_docs("### first\n", doc)
    run.add_to_docs("### second\n", doc)
    text = doc.read_text()
    assert text.index("### first") < text.index("### second") < text.index(run.MARKER) < text.index("## Later")


def test_the_locustfile_only_uses_what_the_mix_defines():
    tree = ast.parse(LOCUSTFILE.read_text())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "mix"}
    assert used and all(hasattr(mix, name) for name in used), used - set(dir(mix))
