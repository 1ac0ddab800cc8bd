"""Scope sweep: no persona reaches an object of another team's village.

The sweep reads the URLconf: every URL pattern that takes an object id (an
`int` converter, or a parameter named `pk` / `*_id`) must have an entry in
TARGETS saying how to make such an object in village B (team B's village).
A new URL without an entry fails `test_every_object_url_has_a_target` with the
line to add, so new URLs are covered automatically.

For each URL, against the object in village B:
- team member A (other team), the outsider and the sysadmin (no village) get
  404 (not visible) or 403 (refused before any lookup) for GET and POST (405
  for the wrong method);
- the district officer and the inspector see every village: GET may succeed
  unless the page is a change form (`write=True`: 403), POST is refused (403,
  or 405 for read-only views);
- no POST by any of them changes a row or adds a history record anywhere;
- controls: the town officer's GET finds the object (not 404), and for targets
  with a payload the town officer's same POST does change the database (so the
  payload is one a missing check would let through).

Targets may change these expectations, each for a stated reason:
- `control="<persona>"`: the one persona whose POST is legitimate is not the
  town officer (only the uploader commits an import batch, only team B signs
  the 登记表, only the district verifies a filing). That persona's GET and POST
  are the controls; the town officer is then swept like a reader (sees every
  village, POST refused, nothing changes).
- `shared=True`: a town-wide object not tied to a village (a campaign): every
  persona with a role may GET it (200, or 405 for a POST-only URL; what it shows
  inside is scoped), the outsider gets 403/404; POST is refused for all but the
  control.
- `audience=(...)`: a page only some roles may open at all (the audit trails,
  the near-relatives register, monthly reports): every persona outside it gets
  403 or 404 (405 for the wrong method), whatever village the object is in,
  readers included.

"A change" is any row added, removed or altered in any table (history and the
access log included), not only a changed row count.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from households.models import ReviewFlag
from review.models import TeamMembership
from tests.archives import sweep as archive
from tests.audit import sweep as audit
from tests.dynamic import sweep as dyn
from tests.factories import HouseholdFactory, MemberFactory
from tests.households import sweep as policy
from tests.ledger import sweep as ledger
from tests.publicity import sweep as publicity
from tests.records import sweep as records
from tests.relatives import sweep as relatives
from tests.review_cases import sweep as cases
from tests.visits import sweep as visits

pytestmark = pytest.mark.django_db

World = SimpleNamespace
# Tables whose rows change on every request whatever the answer (sessions,
# login-attempt bookkeeping): not data a refused request could have changed.
IGNORED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
# Namespaces outside the sweep: the Django admin is for 系统管理员 only (its
# object URLs take `path:object_id`; see test_admin_object_urls_are_for_sysadmins).
SKIPPED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Target:
    """How to make an object of village B for one URL, and what a change would look like."""

    make: Callable[[World], dict]  # → reverse() kwargs for an object in village B
    # A valid payload, from the world and the fields of the form the town officer
    # is shown on GET (so big forms can be replayed with one edit). The town
    # officer's POST of it must change the database.
    post: Callable[[World, dict], dict] | None = None
    write: bool = False  # GET shows a change form: readers (district, inspector) get 403
    # POST that only reads (e.g. reveal an ID number, logged): readers may get 200
    # and an access-log row; hidden personas still get 404 and nothing changes.
    post_reads: bool = False
    # The persona whose GET must find the object and whose POST of the payload must
    # change the database; when not the town officer, the town officer is swept as a reader.
    control: str = "town_officer"
    # A town-wide object (not in any village): every persona with a role may GET it.
    shared: bool = False
    # The only personas who may open the page at all; everyone else gets 403.
    audience: tuple[str, ...] | None = None
    # Not a town's object but the district's (one list for every town): another town's office is not
    # swept for it (docs/scale.md lists what is per town and what is district-wide).
    district_wide: bool = False


AUDITORS = ("town_officer", "inspector")  # archives/audit/views.py: 纪委监察 and 镇民政办
INSPECTORS = ("inspector",)  # archives/clues: a clue not referred yet
# kanjia.roles.TOWN_WIDE_READERS: the near-relatives register, 月上报 and 月解剖.
TOWN_WIDE = ("town_officer", "district_officer", "inspector")


DISTRICT = ("district_officer",)  # households.selectors.is_district_wide: the district's pages
SYSADMINS = ("sysadmin",)  # kanjia/accounts: the system administrator's pages


def _pending_role(w: World) -> dict:
    """Team member B asked for 镇民政办 by the sysadmin (a deciding role: it waits for a second person;
    区民政局 is refused outright to a team member): the town office confirms (the control)."""
    from kanjia import roles
    from kanjia.accounts.services import role_request

    change = role_request(
        user=w.team_member_b, role=roles.TOWN_OFFICE, change="add", by=w.sysadmin, town=w.village_b.town
    )
    return {"pk": change.pk, "what": "confirm"}


TARGETS: dict[str, Target] = {
    # --- archives (issue 9; helpers in tests/archives/sweep.py) ---
    "archives:bag": Target(archive.household),
    "archives:upload": Target(archive.household, post=archive.upload_payload),
    "archives:download": Target(archive.document),
    "archives:delete": Target(archive.expired_document, post=lambda w, f: {}),
    "archives:roll": Target(archive.roll),
    "archives:roll_xlsx": Target(archive.roll),
    "archives:roll_pdf": Target(archive.roll),
    "archives:roll_village_pdf": Target(archive.roll_village),
    # 全区发放花名册: the district's own pages (is_district_wide); a town's readers are outside them.
    "archives:district_rolls": Target(archive.district_rolls, audience=DISTRICT, control="district_officer"),
    "archives:district_rolls_progress": Target(archive.district_rolls, audience=DISTRICT, control="district_officer"),
    "archives:district_rolls_zip": Target(archive.district_rolls, audience=DISTRICT, control="district_officer"),
    # --- review: teams (team B covers village B) ---
    "review:team_detail": Target(lambda w: {"pk": w.team_b.pk}),
    "review:team_update": Target(
        lambda w: {"pk": w.team_b.pk}, post=lambda w, f: {"name": "改名", "active_from": "2021-05-21"}
    ),
    "review:team_member_add": Target(
        lambda w: {"pk": w.team_b.pk}, post=lambda w, f: {"user": w.extra.pk, "role": TeamMembership.Role.CADRE}
    ),
    "review:team_member_remove": Target(
        lambda w: {"pk": w.team_b.pk, "user_id": w.team_member_b.pk}, post=lambda w, f: {}
    ),
    "review:team_village_add": Target(lambda w: {"pk": w.team_b.pk}, post=lambda w, f: {"village": w.village_a.pk}),
    "review:team_village_remove": Target(
        lambda w: {"pk": w.team_b.pk, "village_id": w.village_b.pk}, post=lambda w, f: {}
    ),
    # --- review: staff profiles (team member B's; the town-wide roles look, only the town office edits) ---
    "review:staff_detail": Target(
        lambda w: {"user_id": w.team_member_b.pk},
        post=lambda w, f: {**f, "name": "乙组组员", "unit": "村委会", "phone": "13800000000"},
        audience=TOWN_WIDE,
    ),
    # --- households (household_b is in village B, with one member and one open flag) ---
    "households:detail": Target(lambda w: {"pk": w.household_b.pk}),
    "households:history": Target(lambda w: {"pk": w.household_b.pk}),
    "households:edit": Target(
        lambda w: {"pk": w.household_b.pk}, write=True, post=lambda w, f: {**f, "address": "被改过的住址"}
    ),
    "households:reveal_id": Target(
        lambda w: {"pk": w.household_b.pk, "member_pk": w.member_b.pk}, post=lambda w, f: {}, post_reads=True
    ),
    "households:flag_new": Target(
        lambda w: {"pk": w.household_b.pk}, write=True, post=lambda w, f: {"kind": 9, "reason": "越权登记"}
    ),
    "households:flag": Target(
        lambda w: {"pk": w.household_b.pk, "flag_pk": w.flag_b.pk},
        post=lambda w, f: {"disposition": ReviewFlag.Disposition.CONFIRMED_OK, "note": "越权处理"},
    ),
    # 三榜公示 (issue 6): rounds, objections, notice files of village B.
    "publicity:round": Target(publicity.open_round),
    "publicity:round_pdf": Target(publicity.open_round),
    "publicity:round_open": Target(publicity.draft_round, post=publicity.open_payload),
    "publicity:round_close": Target(publicity.open_round, post=lambda w, f: {}),
    "publicity:round_posting": Target(publicity.open_round, post=publicity.posting_payload),
    "publicity:round_photo": Target(publicity.photo_round),
    "publicity:objection_register": Target(publicity.open_round, post=publicity.objection_payload),
    "publicity:objection": Target(publicity.objection, post=publicity.handle_payload),
    "publicity:generate": Target(publicity.generate, post=lambda w, f: {}),
    "publicity:round_correct": Target(publicity.open_round, post=publicity.correct_payload),
    # A campaign's publicity period is a town-wide setting (the campaign is shared).
    "publicity:round_setting": Target(publicity.period, shared=True, post=publicity.period_payload),
    "publicity:job": Target(publicity.job),
    "publicity:combined_pdf": Target(publicity.combined),
    "publicity:board_pdf": Target(publicity.board),
    "publicity:board_regenerate": Target(publicity.village, post=lambda w, f: {}),
    # --- ledger (issue 7; helpers in tests/ledger/sweep.py): batches, exports and rosters of
    # team member B; town-wide roles see them all, nobody else sees another user's.
    "households:ledger:batch": Target(ledger.batch_b),
    "households:ledger:batch_progress": Target(ledger.batch_b),
    # Only the uploader commits a batch: team member B's commit is the control; the town
    # officer's POST is refused like a reader's.
    "households:ledger:batch_commit": Target(ledger.batch_b, post=lambda w, f: {}, control="team_member_b"),
    # The batch has no error workbook: 403 for those who find it, 404 for the others.
    "households:ledger:batch_errors": Target(ledger.batch_b),
    "households:ledger:export_job": Target(ledger.export_b),
    "households:ledger:export_progress": Target(ledger.export_b),
    # The export is still queued: 403 for those who find it, 404 for the others.
    "households:ledger:export_download": Target(ledger.export_b),
    "households:ledger:roster": Target(ledger.roster_b),
    "households:ledger:roster_progress": Target(ledger.roster_b),
    "households:ledger:roster_download": Target(ledger.roster_b),
    # Only the town office turns a roster's report into flags (issue 16): readers' POSTs are refused.
    "households:ledger:roster_flags": Target(ledger.roster_b_done, post=lambda w, f: {}),
    # --- review: cases (issue 5; helpers in tests/review_cases/sweep.py): a case of household_b
    # handled by team B, at 民主评议, appraisal written, 登记表 unsigned.
    "review:case_detail": Target(cases.case),
    # The town office may fill a team stage (TEAM_WORK): its saved draft is the control.
    "review:case_stage": Target(cases.appraisal_stage, post=cases.appraisal_payload),
    # 终止 is the town office's; the district's and others' POSTs are refused.
    "review:case_action": Target(cases.terminate, post=cases.terminate_payload),
    # Only team B's members sign the 登记表: team member B (驻村干部) signing is the control.
    "review:case_sign": Target(cases.signable_case, post=lambda w, f: {}, control="team_member_b"),
    "review:registration_pdf": Target(cases.case),
    "review:acceptance_notice_pdf": Target(cases.notice_case),
    # Decision notices (issue 15): a refused application of household_b with its notice.
    "review:notice": Target(cases.notice),
    "review:notice_pdf": Target(cases.notice),
    "review:notice_reasons": Target(cases.notice, post=cases.reasons_payload),
    "review:notice_deliver": Target(cases.notice, post=cases.delivery_payload),
    "review:complaint_new": Target(cases.refused_case, write=True, post=cases.complaint_payload),
    # The complaints register: the town office's, read by the district and the inspector only.
    "review:complaint": Target(cases.complaint, post=cases.handle_payload, audience=TOWN_WIDE),
    # 登记新申请 for an applying household of village B: a change form, readers get 403.
    "review:application_new": Target(cases.applicant, write=True, post=lambda w, f: {"campaign": ""}),
    # Campaigns are town-wide: every role sees the page (counts inside are scoped to the
    # viewer's villages), only the town office launches.
    "review:campaign_detail": Target(cases.campaign, shared=True),
    "review:campaign_launch": Target(cases.campaign, shared=True, post=lambda w, f: {}),
    # --- near relatives (issue 8; helpers in tests/relatives/sweep.py): the register is for
    # town-wide readers only; the town office reports a filing, the district verifies it.
    "review:relatives:filing": Target(relatives.pending, audience=TOWN_WIDE),
    "review:relatives:filing_pdf": Target(relatives.pending, audience=TOWN_WIDE),
    "review:relatives:filing_report": Target(relatives.pending, post=relatives.report_payload, audience=TOWN_WIDE),
    "review:relatives:filing_verify": Target(
        relatives.reported, post=relatives.verify_payload, audience=TOWN_WIDE, control="district_officer"
    ),
    # --- audit trails (issue 8; tests/audit/sweep.py): 纪委监察 and 镇民政办 only (district: 403).
    "audit:household": Target(audit.household, audience=AUDITORS),
    "audit:user": Target(audit.user, audience=AUDITORS),
    # --- dynamic management and spot checks (issue 10; helpers in tests/dynamic/sweep.py) ---
    "review:dynamic:household": Target(dyn.household),
    "review:dynamic:household_change": Target(dyn.household, post=dyn.change_payload),
    # household_b has a case stopped for work income: the town office sets a 渐退期.
    "review:dynamic:household_grace": Target(dyn.stopped, post=dyn.grace_payload),
    # 月上报 and 月解剖 are town-level figures for the town-wide readers; only the town office writes.
    "review:dynamic:report": Target(dyn.report, audience=TOWN_WIDE),
    "review:dynamic:report_file": Target(dyn.report_file, audience=TOWN_WIDE),
    # 全区月报: the district's own pages (is_district_wide); a town's readers are outside them.
    "review:dynamic:district_report": Target(dyn.district_report, audience=DISTRICT, control="district_officer"),
    "review:dynamic:district_progress": Target(dyn.district_report, audience=DISTRICT, control="district_officer"),
    "review:dynamic:district_file": Target(dyn.district_file, audience=DISTRICT, control="district_officer"),
    "review:dynamic:analysis": Target(dyn.analysis, audience=TOWN_WIDE),
    "review:dynamic:analysis_post": Target(dyn.conclude, post=dyn.conclude_payload, audience=TOWN_WIDE),
    "review:dynamic:analysis_item": Target(dyn.analysis_item, post=dyn.finding_payload, audience=TOWN_WIDE),
    # A sample is town-wide like a campaign (its checks are listed per the viewer's villages).
    "review:dynamic:sample": Target(dyn.sample, shared=True),
    "review:dynamic:sample_xlsx": Target(dyn.sample, shared=True),
    # 听查看访 and 销号 are the district's: its POSTs are the controls, the town office's are refused.
    "review:dynamic:check": Target(dyn.check, post=dyn.check_payload, control="district_officer"),
    "review:dynamic:check_assign": Target(
        visits.check_assigned_elsewhere, post=visits.assign_payload, control="district_officer"
    ),
    "review:dynamic:check_rectify": Target(dyn.rectify, post=dyn.rectify_payload),
    "review:dynamic:check_close": Target(dyn.rectified, post=lambda w, f: {}, control="district_officer"),
    # The campaign summary: town-wide like the campaign page (figures scoped to the viewer).
    "review:dynamic:summary": Target(cases.campaign, shared=True),
    "review:dynamic:summary_xlsx": Target(cases.campaign, shared=True),
    "review:dynamic:summary_pdf": Target(cases.campaign, shared=True),
    # --- town-office rules (tests/households/sweep.py): 保障标准, 分类施保类别, 财产核查规则 of
    # village B's town. Town-wide settings: the town-wide roles only; the edit pages are change
    # forms (readers 403); the standard starts in two months, so the town officer may still change it.
    "households:standard_edit": Target(
        policy.future_standard, write=True, post=policy.standard_payload, audience=TOWN_WIDE
    ),
    "households:standard_delete": Target(policy.future_standard, post=lambda w, f: {}, audience=TOWN_WIDE),
    "households:category_edit": Target(policy.category, write=True, post=policy.category_payload, audience=TOWN_WIDE),
    "households:category_remove": Target(policy.category, post=lambda w, f: {}, audience=TOWN_WIDE),
    "households:property_rule_edit": Target(
        policy.property_rule, write=True, post=policy.property_rule_payload, audience=TOWN_WIDE
    ),
    # Duplicate-ID answers (issue 16): the town office resolves them, inspectors read the list.
    "households:conflict_resolve": Target(
        policy.id_conflict, post=lambda w, f: {"resolution": "已核实，系误录"}, audience=AUDITORS
    ),
    # --- issue 18 (tests/records/sweep.py) ---
    # The town's 综合档案 pages: the town-wide roles only, whatever village (teams never see them).
    "archives:records_campaign": Target(cases.campaign, audience=TOWN_WIDE),
    "archives:record_box": Target(records.box, audience=TOWN_WIDE),
    "archives:record_delete": Target(records.expired_document, post=lambda w, f: {}, audience=TOWN_WIDE),
    "archives:record_kind_edit": Target(
        records.kind, write=True, post=records.kind_payload, audience=TOWN_WIDE, district_wide=True
    ),
    # The minutes of village B's 民主评议 meeting: team B's (and the town-wide roles'), not team A's.
    "archives:record_download": Target(records.minutes),
    "review:meeting_detail": Target(records.meeting),
    "review:meeting_edit": Target(records.meeting, write=True, post=records.meeting_payload),
    "review:meeting_link": Target(records.meeting_to_link, post=records.link_payload),
    "review:meeting_unlink": Target(records.linked, post=lambda w, f: {}),
    "review:meeting_minutes": Target(records.meeting, post=records.file_payload),
    "review:outreach_detail": Target(records.outreach_record),
    "review:outreach_photo": Target(records.outreach_record, post=records.file_payload),
    # The leadership group is set on the (town-wide) campaign page, by the town office.
    "review:leadership_set": Target(cases.campaign, shared=True, post=records.leadership_payload),
    "review:leadership_remove": Target(records.leader, shared=True, post=lambda w, f: {}),
    # The inspector's register: a clue not referred is the inspectors' alone, and their POSTs are the
    # controls (the one write they make); a referred clue is answered by the town office.
    "audit:clue_detail": Target(records.clue, audience=INSPECTORS, control="inspector"),
    "audit:clue_edit": Target(records.clue, post=records.clue_payload, audience=INSPECTORS, control="inspector"),
    "audit:clue_refer": Target(records.clue, post=records.refer_payload, audience=INSPECTORS, control="inspector"),
    "audit:clue_answer": Target(records.referred_clue, post=records.answer_payload, audience=AUDITORS),
    # --- issue 17: accounts are the system administrator's; a deciding role is confirmed by the town office ---
    "accounts:account": Target(lambda w: {"pk": w.team_member_b.pk}, audience=SYSADMINS, control="sysadmin"),
    "accounts:account_post": Target(
        lambda w: {"pk": w.team_member_b.pk, "what": "rename"},
        post=lambda w, f: {"full_name": "改名"},
        audience=SYSADMINS,
        control="sysadmin",
    ),
    "accounts:role_change": Target(_pending_role, post=lambda w, f: {}, audience=("sysadmin", "town_officer")),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}".strip(":") if p.name else None
            yield prefix + str(p.pattern), name, namespace


OBJECT_PARAM = re.compile(r"<int:\w+>|<(?:\w+:)?(?:pk|\w+_id)>|\(\?P<(?:pk|\w+_id)>")


def object_urls() -> list[tuple[str, str | None]]:
    """(route, URL name) of every pattern taking an object id, outside the skipped namespaces."""
    found = []
    for route, name, namespace in _walk(get_resolver().url_patterns):
        if namespace.split(":")[0] in SKIPPED_NAMESPACES:
            continue
        if OBJECT_PARAM.search(route):
            found.append((route, name))
    return sorted(found, key=lambda rn: rn[0])


def test_every_object_url_has_a_target():
    missing = [(route, name) for route, name in object_urls() if name not in TARGETS]
    assert not missing, "\n".join(
        f"URL /{route} ({name or 'unnamed: give it a name'}) takes an object id but the scope sweep cannot make one "
        f'in another team\'s village. Add  "{name}": Target(lambda w: {{...kwargs for an object in w.village_b}}, '
        "post=..., write=...)  to TARGETS in tests/test_scope_sweep.py."
        for route, name in missing
    )


def test_every_target_is_a_url():
    names = {name for _, name in object_urls()}
    stale = sorted(set(TARGETS) - names)
    assert not stale, f"TARGETS names URLs that no longer exist (or take no object id): {stale}"


def test_the_sweep_finds_the_team_urls():
    names = {name for _, name in object_urls()}
    assert {"review:team_detail", "review:team_village_remove"} <= names


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table (history tables included).

    A change leaves a trace in one of them, even an update of a table without history.
    """
    state = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in IGNORED_TABLES and not model._meta.proxy:
            rows = list(model._base_manager.order_by("pk").values_list())
            state[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> dict[str, str]:
    return {
        t: f"{before[t][0]} → {after[t][0]} rows" if before[t][0] != after[t][0] else "rows changed"
        for t in before
        if before[t] != after[t]
    }


class FormFields(HTMLParser):
    """The fields of the largest POST form on a page, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.current: dict | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = {}
            self.forms.append(self.current)
        if self.current is None or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.current[a["name"]] = a.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select:
            # The selected option, else the first one (as a browser submits).
            if "selected" in a or self.select not in self.current:
                self.current[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.current[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current is not None:
            self.current[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_fields(html: str) -> dict:
    parser = FormFields()
    parser.feed(html)
    fields = max(parser.forms, key=len, default={})
    fields.pop("csrfmiddlewaretoken", None)
    return fields


@pytest.fixture
def world(personas, sysadmin, other_town_officer, team_a, team_b, village_a, village_b):
    from tests.conftest import make_user

    household_b = HouseholdFactory(village=village_b, head_name="乙村户主")
    member_b = MemberFactory(household=household_b, name="乙村户主")
    flag_b = ReviewFlag.objects.create(
        household=household_b, kind=9, source=ReviewFlag.Source.MANUAL, source_key="sweep", member=member_b
    )
    return World(
        **personas,
        sysadmin=sysadmin,
        other_town_officer=other_town_officer,
        team_a=team_a,
        team_b=team_b,
        village_a=village_a,
        village_b=village_b,
        household_b=household_b,
        member_b=member_b,
        flag_b=flag_b,
        extra=make_user("extra_member", None),
    )


HIDDEN_FROM = ("team_member_a", "outsider", "sysadmin")
READERS = ("district_officer", "inspector")
NO_ROLE = ("outsider",)
# Personas working in no town: a town's shared objects (its campaigns) are not theirs to see (issue 19:
# the system administrator manages accounts, not a town's work).
OUTSIDE_TOWNS = (*NO_ROLE, "sysadmin")


def _swept() -> list[str]:
    return sorted(name for _, name in object_urls() if name in TARGETS)


def _personas(target: Target) -> tuple[str, ...]:
    """Everyone swept for refusal: the hidden, the readers, the town officer when not the control,
    and another town's officer."""
    readers = READERS if target.control == "town_officer" else (*READERS, "town_officer")
    others = () if target.district_wide else (OTHER_TOWN,)
    return tuple(p for p in HIDDEN_FROM + readers + others if p != target.control)


# Issue 19: the office of another town of the district. Every object of 堪嘉镇 (village B is one of its
# villages; campaigns, rules, reports and archives are its town's) is a 404 for them, as if it did
# not exist; only pages outside a town office's audience altogether may refuse first (403).
OTHER_TOWN = "other_town_officer"


def _outside_town_office_audience(target: Target) -> bool:
    return target.audience is not None and "town_officer" not in target.audience


def expected_get(target: Target, persona: str) -> tuple[str, Callable[[int], bool]]:
    """What `persona`'s GET may answer, and why (for the failure message)."""
    if persona == OTHER_TOWN and not _outside_town_office_audience(target):
        # 405: a POST-only URL answers GET the same for every id, revealing nothing.
        return "404 (another town's object)", lambda got: got in (404, 405)
    if target.audience is not None and persona not in target.audience:
        # 405: a POST-only URL answers GET the same for every id, revealing nothing.
        return "403 or 404 (not in the page's audience)", lambda got: got in (403, 404, 405)
    if target.shared and persona not in OUTSIDE_TOWNS:
        return "200 (a town-wide object)", lambda got: got in (200, 405)
    if persona in HIDDEN_FROM:
        return "404 (or 403)", lambda got: got in (403, 404, 405)
    if target.write:
        return "403 (a change form)", lambda got: got in (403, 405)
    return "an answer (not 404)", lambda got: got < 500 and got != 404


def expected_post(target: Target, persona: str) -> tuple[int, ...]:
    if persona == OTHER_TOWN and not _outside_town_office_audience(target):
        return (404, 405)
    if target.audience is not None and persona not in target.audience:
        return (403, 404, 405)  # outside the page's audience, as for GET
    hidden = persona in HIDDEN_FROM and not (target.shared and persona not in OUTSIDE_TOWNS)
    return (403, 404, 405) if hidden else (403, 405)


@pytest.mark.parametrize("name", _swept())
def test_another_teams_objects_are_out_of_reach(client, world, name):
    target = TARGETS[name]
    url = reverse(name, kwargs=target.make(world))

    client.force_login(getattr(world, target.control))
    control = client.get(url)
    assert control.status_code != 404 and control.status_code < 500, (
        f"control: {target.control} GET {url} answered {control.status_code}: the Target does not make a real object"
    )
    html = control.status_code == 200 and control["Content-Type"].startswith("text/html")
    shown = form_fields(control.content.decode()) if html else {}
    payload = target.post(world, shown) if target.post else {}

    for persona in _personas(target):
        user = getattr(world, persona)
        client.force_login(user)
        got = client.get(url).status_code
        expected, ok = expected_get(target, persona)
        assert ok(got), f"{persona} GET {url} answered {got}, expected {expected}"

        before = snapshot()
        got = client.post(url, payload).status_code
        after = snapshot()
        if persona in READERS and target.post_reads:
            assert got in (200, 403), f"{persona} POST {url} (a read) answered {got}"
            changed = set(diff(before, after)) - {"kanjia_accesslog"}
            assert not changed, f"{persona} POST {url} ({got}) changed the database: {diff(before, after)}"
            continue
        allowed = expected_post(target, persona)
        assert got in allowed, f"{persona} POST {url} answered {got}, expected one of {allowed}"
        assert not diff(before, after), f"{persona} POST {url} ({got}) changed the database: {diff(before, after)}"

    if target.post is not None and not target.post_reads:
        client.force_login(getattr(world, target.control))
        before = snapshot()
        client.post(url, payload)
        assert diff(before, snapshot()), f"control: {target.control}'s POST {url} changed nothing; fix the payload"


def test_admin_object_urls_are_for_sysadmins(client, world):
    urls = [
        reverse("admin:households_village_change", args=[world.village_b.pk]),
        reverse("admin:review_reviewteam_change", args=[world.team_b.pk]),
    ]
    for persona in HIDDEN_FROM[:2] + READERS + ("town_officer", "team_member_b"):
        client.force_login(getattr(world, persona))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), (persona, url)
