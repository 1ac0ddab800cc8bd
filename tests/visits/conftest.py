"""Fixtures for home visits on a phone: a case at 入户调查 in village A (team A), a second
team-A member with the 清理小组 role (the second visitor), a spot check drawn by the district,
and a `phone` helper that downloads tasks and syncs forms the way static/js/visits/app.js does."""

import io
import json
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from households.models import Member, ReviewFlag
from kanjia import roles
from review.cases import campaigns
from review.cases.workflow import case_advance
from review.dynamic import spotchecks
from review.models import Case, SpotCheck, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, MemberFactory
from tests.review_cases.conftest import (
    acceptance_data,
    crew,  # noqa: F401 - fixture re-exported
)

GPS_MAKER = "KanjiaTestPhone"


@pytest.fixture(autouse=True)
def _document_kinds(db):
    """入户调查照片, 抽查走访照片: seeded by a migration, gone after a transactional test's flush."""
    from archives.documents.seed import seed_defaults
    from archives.models import ChecklistRequirement, DocumentKind

    seed_defaults(DocumentKind, ChecklistRequirement)


@pytest.fixture(autouse=True)
def _pipeline_only(settings):
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.ARCHIVES_APPROVAL_GATE = False
    settings.RELATIVES_DECLARATION_REQUIRED = False


@pytest.fixture
def second_visitor(crew, town_officer) -> User:  # noqa: F811
    """Another 清理小组 member of team A: may fill the same household's 入户调查."""
    user = make_user("team_a2", roles.VILLAGE_TEAM, full_name="甲组二号")
    teams.team_add_member(team=crew.team, user=user, role=TeamMembership.Role.CADRE, by=town_officer)
    return user


@pytest.fixture
def visit_case(village_a, crew, town_officer, team_b) -> Case:  # noqa: F811
    """A campaign case of village A accepted by team A: waits for its 入户调查. Village B has one too."""
    household = HouseholdFactory(
        village=village_a, head_name="王大山", base_amount=Decimal("300.00"), bank_account="6228480000123456789"
    )
    MemberFactory(household=household, name="王大山")
    MemberFactory(household=household, name="王小河", relation=Member.Relation.CHILD)
    campaign = campaigns.campaign_create(
        name="2026年手机走访", kind="专项清理", scope_date=timezone.localdate(), by=town_officer
    )
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = Case.objects.get(campaign=campaign, household=household)
    return case_advance(case=case, action="accept", by=crew.cadre, data=acceptance_data())


@pytest.fixture
def pending_flag(visit_case, town_officer) -> ReviewFlag:
    from households.flags import raise_manual_flag

    return raise_manual_flag(
        household=visit_case.household, kind=ReviewFlag.Kind.VEHICLE, reason="群众反映有货车", by=town_officer
    )


@pytest.fixture
def spot_check(visit_case, district_officer) -> SpotCheck:
    sample = spotchecks.sample_draw(by=district_officer, campaign=visit_case.campaign, share=Decimal("100"), seed=7)
    return sample.checks.get(case=visit_case)


def photo(name: str = "p.jpg", size=(800, 600), color=(120, 160, 90)) -> SimpleUploadedFile:
    """A JPEG as a phone makes it: EXIF with the maker and a GPS position."""
    image = Image.new("RGB", size, color)
    exif = image.getexif()
    exif[0x010F] = GPS_MAKER
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (30.0, 7.0, 12.0), "E", (104.0, 38.0, 5.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def investigation_fields(investigators, **over) -> dict:
    fields = {
        "visited_on": timezone.localdate().isoformat(),
        "investigators": [str(u.pk) for u in investigators],
        "family_present": "王大山、王小河",
        "living_conditions": "土坯房两间，屋顶漏雨，无大件电器。",
        "recommended_outcome": "维持",
        "recommended_amount": "",
    }
    for kind in ReviewFlag.Kind.values:
        fields[f"item_{kind}"] = "0"
        fields[f"item_{kind}_note"] = ""
    fields.update(over)
    return fields


def check_fields(**over) -> dict:
    return {
        "heard_on": timezone.localdate().isoformat(),
        "heard_report": "听取村干部汇报。",
        "doc_hukou": True,
        "doc_id_card": True,
        "documents_note": "证件齐全。",
        "seen_housing": "砖木平房",
        "seen_living": "生活困难",
        "neighbours_visited": "邻居李某",
        "neighbours_said": "确实困难",
        "conclusion": "属实",
        **over,
    }


@dataclass
class Phone:
    """One user's phone: a logged-in client holding the device token of its last download."""

    client: Client
    user: User
    device: str
    token: str = ""
    tasks: dict = field(default_factory=dict)

    def download(self) -> dict:
        response = self.client.post("/review/visits/download/", {"device": self.device})
        assert response.status_code == 200, response.content.decode()
        data = response.json()
        self.token = data.pop("device_token")
        self.tasks = data
        return data

    def task(self, key: str) -> dict:
        return next(t for t in self.tasks["investigations"] + self.tasks["spot_checks"] if t["key"] == key)

    def sync(self, *, kind, target, token, fields, photos=(), client_id="form-1", saved_at=None, csrf=None):
        form = {
            "kind": kind,
            "target": target,
            "client_id": client_id,
            "token": token,
            "saved_at": saved_at or timezone.now().isoformat(),
            "fields": fields,
        }
        headers = {"HTTP_X_VISIT_DEVICE": self.token}
        if csrf is not None:
            headers["HTTP_X_CSRFTOKEN"] = csrf
        return self.client.post("/review/visits/sync/", {"form": json.dumps(form), "photos": list(photos)}, **headers)


@pytest.fixture
def phone_for():
    def make(user: User, device: str = "device-0001") -> Phone:
        client = Client()
        client.force_login(user)
        return Phone(client=client, user=user, device=device)

    return make
