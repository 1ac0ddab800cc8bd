"""Locust users for `make loadtest`: town, team and district clerks playing `bench.loadtest.mix`.

Run by `bench.loadtest.run` (headless, from the repository root, in the load test's own venv):

    LOADTEST_PLAN=var/loadtest/plan.json LOADTEST_SAMPLES=var/loadtest/samples.csv \
        .venv-loadtest/bin/locust -f bench/loadtest/locustfile.py --headless -u 10 -t 60s --host http://127.0.0.1:8077

Every request is checked against the step's expected status and text (`mix.Step.check`): anything
else is a Locust failure, so a 5xx, an unexpected 4xx or a save that did not save counts as an error.
The expected refusals (a team member opening another team's household: 404) are successes, under
their own name. Each request is also written to LOADTEST_SAMPLES (one CSV row) for exact percentiles.
"""

import csv
import itertools
import json
import os
import random

from locust import HttpUser, between, events, task

from bench.loadtest import mix

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"], encoding="utf-8").read())  # noqa: SIM115
THINK = (float(os.environ.get("LOADTEST_THINK_MIN", "1")), float(os.environ.get("LOADTEST_THINK_MAX", "5")))
_samples = open(os.environ["LOADTEST_SAMPLES"], "w", newline="", encoding="utf-8")  # noqa: SIM115
_writer = csv.writer(_samples)
_writer.writerow(["start", "name", "method", "status", "ms", "error", "refusal"])
_refusal_names = {mix.NAMES[kind] for kind in mix.REFUSALS}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    _writer.writerow(
        [
            round(kwargs.get("start_time") or 0, 3),
            name,
            request_type,
            status,
            round(response_time, 1),
            "" if exception is None else str(exception)[:200],
            int(name in _refusal_names),
        ]
    )


@events.quitting.add_listener
def _close(environment, **kwargs) -> None:
    _samples.flush()
    _samples.close()


class Clerk(HttpUser):
    abstract = True
    persona = ""
    wait_time = between(*THINK)
    _accounts: itertools.cycle

    def on_start(self) -> None:
        self.rng = random.Random()
        # Round-robin over the persona's accounts: several clients may share one account (separate sessions).
        self.account = next(type(self)._accounts)
        for step in mix.login_steps(self.account, PLAN):
            self.play(step)

    def play(self, step: mix.Step) -> None:
        data = dict(step.data)
        if step.method == "POST":
            data["csrfmiddlewaretoken"] = self.client.cookies.get("csrftoken", "")
        with self.client.request(
            step.method,
            step.path,
            params=step.params or None,
            data=data or None,
            name=step.name,
            allow_redirects=step.follow,
            catch_response=True,
        ) as response:
            problem = step.check(response.status_code, response.text)
            if problem:
                response.failure(problem)
            else:
                response.success()

    @task
    def clerk(self) -> None:
        self.play(mix.pick(self.account, PLAN, self.rng))


def _clerk(persona: str) -> type[Clerk]:
    accounts = mix.accounts_of(PLAN, persona)
    attrs = {"persona": persona, "weight": mix.PERSONA_WEIGHTS[persona], "_accounts": itertools.cycle(accounts)}
    return type(f"{persona.title()}Clerk", (Clerk,), {**attrs, "abstract": not accounts})


TownClerk = _clerk("town")
TeamClerk = _clerk("team")
DistrictClerk = _clerk("district")
