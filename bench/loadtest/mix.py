"""The clerk's mix of the load test, as data: what each persona requests, how often, and what it must get.

No Locust and no Django here: `locustfile.py` plays these steps over HTTP against gunicorn, and
tests/test_loadtest.py plays the same steps through Django's test client, so a renamed URL or a
changed login flow fails the test suite instead of quietly turning the load test into a 404 test.

A plan (written by `prepare.build_plan`) lists the accounts and, per account, what it may open:

    {"password": "...", "applied_on": "YYYY-MM-DD", "accounts": [
        {"username": "team1", "persona": "team", "households": [ids], "names": [head names],
         "cases": [ids], "saveable": [{"case": id, "applicant": "name"}], "foreign": [ids]}, ...]}
"""

import random
from dataclasses import dataclass, field

LOGIN_PATH = "/accounts/login/"
DASHBOARD_PATH = "/"
# Shown only to a logged-in user (the header's logout form): a failed login re-renders the form with 200.
LOGGED_IN_MARK = 'action="/accounts/logout/"'
SAVED_MARK = "已保存。"
LIST_PAGES = 20  # "household list, page n" picks a page in 2..LIST_PAGES

# Weights per persona: one stage save in ten requests for those who handle cases; the district
# officer reads. A team member sometimes opens a household of another team's village (an old link,
# a mistyped id): the expected refusal of the mix is a 404, and anything else is an error (a 200
# would be a scoping leak).
WEIGHTS: dict[str, list[tuple[str, int]]] = {
    "town": [("list", 1), ("list_page", 1), ("search", 2), ("household", 2), ("cases", 1), ("case", 2), ("save", 1)],
    "team": [
        ("list", 1),
        ("list_page", 1),
        ("search", 2),
        ("household", 2),
        ("cases", 1),
        ("case", 1),
        ("foreign", 1),
        ("save", 1),
    ],
    "district": [("list", 1), ("list_page", 1), ("search", 2), ("household", 3), ("cases", 1), ("case", 2)],
}
# How many concurrent clients play each persona (Locust user-class weights).
PERSONA_WEIGHTS = {"town": 3, "team": 5, "district": 2}
KINDS = sorted({kind for weights in WEIGHTS.values() for kind, _ in weights})
# The statistics line of each kind of request.
NAMES = {
    "login_form": "login form",
    "login": "login (POST, then dashboard)",
    "list": "household list",
    "list_page": "household list, page n",
    "search": "name search",
    "household": "household page",
    "cases": "case list",
    "case": "case page",
    "save": "stage save (acceptance draft)",
    "foreign": "refused: another team's household (404)",
}
REFUSALS = frozenset({"foreign"})  # the expected refusals of the mix


@dataclass(frozen=True)
class Step:
    kind: str
    name: str  # the statistics line
    method: str
    path: str
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # a POST's form fields (the CSRF token is added when sent)
    expect: tuple[int, ...] = (200,)  # status after redirects if `follow`, else the first response's
    follow: bool = True
    contains: str = ""  # the body must contain this
    refusal: bool = False  # an expected refusal of the mix (counted apart, never an error)

    def check(self, status: int, body: str) -> str:
        """Why this response is an error ("" when it is what the mix expects)."""
        if status not in self.expect:
            return f"HTTP {status}, expected {'/'.join(map(str, self.expect))}"
        if self.contains and self.contains not in body:
            return f"HTTP {status} without {self.contains!r}"
        return ""


def login_steps(account: dict, plan: dict) -> list[Step]:
    """GET the form (sets the CSRF cookie), then POST it and land on the dashboard."""
    return [
        Step("login_form", NAMES["login_form"], "GET", LOGIN_PATH),
        Step(
            "login",
            NAMES["login"],
            "POST",
            LOGIN_PATH,
            data={"username": account["username"], "password": plan["password"]},
            contains=LOGGED_IN_MARK,
        ),
    ]


def step(kind: str, account: dict, plan: dict, rng: random.Random) -> Step:
    """One request of `kind` for `account`, its target drawn from the plan."""
    if kind == "list":
        return Step(kind, NAMES[kind], "GET", "/households/")
    if kind == "list_page":
        return Step(kind, NAMES[kind], "GET", "/households/", {"page": rng.randint(2, LIST_PAGES)})
    if kind == "search":
        return Step(kind, NAMES[kind], "GET", "/households/", {"q": rng.choice(account["names"])})
    if kind == "household":
        return Step(kind, NAMES[kind], "GET", f"/households/{rng.choice(account['households'])}/")
    if kind == "cases":
        return Step(kind, NAMES[kind], "GET", "/review/cases/")
    if kind == "case":
        return Step(kind, NAMES[kind], "GET", f"/review/cases/{rng.choice(account['cases'])}/")
    if kind == "save":
        target = rng.choice(account["saveable"])
        data = {
            "action": "save",
            "applied_on": plan["applied_on"],
            "accepted_on": plan["applied_on"],
            "applicant_name": target["applicant"],
            "missing_materials": "户口簿复印件",
        }
        # Saved, never moved: the POST redirects to the case page, which says 已保存。
        return Step(
            kind,
            NAMES[kind],
            "POST",
            f"/review/cases/{target['case']}/stage/acceptance/",
            data=data,
            contains=SAVED_MARK,
        )
    if kind == "foreign":
        return Step(
            kind,
            NAMES[kind],
            "GET",
            f"/households/{rng.choice(account['foreign'])}/",
            expect=(404,),
            refusal=True,
        )
    raise ValueError(kind)


def kinds_for(account: dict) -> list[tuple[str, int]]:
    """The persona's weights, without the kinds the plan has nothing for (e.g. no case to save)."""
    needs = {"search": "names", "household": "households", "case": "cases", "save": "saveable", "foreign": "foreign"}
    return [(kind, weight) for kind, weight in WEIGHTS[account["persona"]] if account.get(needs.get(kind, ""), True)]


def pick(account: dict, plan: dict, rng: random.Random) -> Step:
    kinds = kinds_for(account)
    kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
    return step(kind, account, plan, rng)


def accounts_of(plan: dict, persona: str) -> list[dict]:
    return [a for a in plan["accounts"] if a["persona"] == persona]
