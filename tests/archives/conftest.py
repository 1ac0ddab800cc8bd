"""Fixtures for the archive: seeded document kinds, a private MEDIA_ROOT, sample files."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archives.documents.seed import seed_defaults
from archives.models import ChecklistRequirement, DocumentKind
from tests.factories import HouseholdFactory, MemberFactory, VillageGroupFactory

# The case pipeline's fixtures (a campaign case in village_a driven by team A's crew).
from tests.review_cases.conftest import campaign, case, crew, household  # noqa: F401
from tests.samples import PDF, png_bytes  # noqa: F401  real files: uploads are decoded fully

# A Windows executable's header ("MZ"), as a renamed .pdf would carry it.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def kinds(db) -> dict[str, DocumentKind]:
    # Transactional tests flush the rows migration 0002 seeded: seed again (idempotent).
    seed_defaults(DocumentKind, ChecklistRequirement)
    return {k.name: k for k in DocumentKind.objects.all()}


@pytest.fixture
def household_a(village_a):
    group = VillageGroupFactory(village=village_a, number=3)
    h = HouseholdFactory(village=village_a, group=group, head_name="张甲", base_amount=Decimal("320.00"))
    MemberFactory(household=h, name="张甲")
    return h


@pytest.fixture
def household_b(village_b):
    h = HouseholdFactory(village=village_b, head_name="李乙", base_amount=Decimal("280.00"))
    MemberFactory(household=h, name="李乙")
    return h


@pytest.fixture
def pipeline(settings):
    """Drive cases with only the archive gate on (other apps' gates are tested in their own suites)."""
    settings.PUBLICITY_ENFORCE_ROUNDS = False
    settings.RELATIVES_DECLARATION_REQUIRED = False
    settings.ARCHIVES_APPROVAL_GATE = True
    return settings
