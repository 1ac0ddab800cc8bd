"""Generating every village's notices: one PDF per village plus one combined file, idempotent."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from publicity import generation
from publicity.models import GenerationJob, NoticeFile
from review.cases import campaigns
from review.models import Case, TeamMembership
from review.teams import services as teams
from tests.conftest import make_user
from tests.factories import HouseholdFactory, MemberFactory
from tests.publicity.conftest import at_appraisal, open_round
from tests.publicity.test_notices import pdf_pages
from tests.review_cases.conftest import Crew


@pytest.fixture
def two_villages(cases, crew, launched, village_a, village_b, team_b, town_officer):
    """Round 1 open in village_a (3 cases) and village_b (1 case)."""
    for case in cases:
        at_appraisal(case, crew)
    household = HouseholdFactory(village=village_b, head_name="乙村户")
    MemberFactory(household=household)
    campaigns.campaign_launch(campaign=launched, by=town_officer)
    leader, cadre = make_user("leader_b", None), make_user("cadre_b", None)
    teams.team_add_member(team=team_b, user=leader, role=TeamMembership.Role.LEADER, by=town_officer)
    teams.team_add_member(team=team_b, user=cadre, role=TeamMembership.Role.VILLAGE_CADRE, by=town_officer)
    crew_b = Crew(team=team_b, leader=leader, cadre=User.objects.get(username="team_b"), village_cadre=cadre)
    at_appraisal(Case.objects.get(household=household), crew_b)
    return [
        open_round(campaign=launched, village=village, number=1, by=town_officer) for village in (village_a, village_b)
    ]


@pytest.mark.django_db
def test_job_generates_per_village_and_combined_files_once(
    two_villages, launched, town_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = generation.job_request(campaign=launched, number=1, by=town_officer)
    assert len(callbacks) == 1 and job.status == GenerationJob.Status.QUEUED
    job = generation.run_job(job_id=job.pk)
    assert (job.status, job.total, job.done, job.progress) == ("done", 2, 2, 100)
    files = NoticeFile.objects.order_by("kind", "village__name")
    assert [(f.kind, f.village_id is not None) for f in files] == [
        ("公示名单", True),
        ("公示名单", True),
        ("合并文件", False),
    ]
    combined = NoticeFile.objects.get(kind="合并文件")
    with combined.file.open("rb") as handle:
        pages = pdf_pages(handle.read())
    assert len(pages) == combined.pages == 2
    assert "甲村" in pages[0] and "乙村" in pages[1]
    # Each village keeps its own page numbers inside the combined file.
    assert all("第 1 页 / 共 1 页" in text for text in pages)
    # Delivered twice (Redis visibility timeout): the second run does nothing.
    assert generation.run_job(job_id=job.pk).status == "done"
    # Asked again: a new job, same files replaced, no duplicates.
    with django_capture_on_commit_callbacks():
        again = generation.job_request(campaign=launched, number=1, by=town_officer)
    generation.run_job(job_id=again.pk)
    assert NoticeFile.objects.count() == 3


@pytest.mark.django_db
def test_job_request_rules(cases, launched, town_officer, team_member_a):
    with pytest.raises(PermissionDenied):
        generation.job_request(campaign=launched, number=1, by=team_member_a)
    with pytest.raises(ValidationError, match="还没有未结束的第一榜"):
        generation.job_request(campaign=launched, number=1, by=town_officer)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_generation_through_a_real_worker(celery_worker_process, two_villages, launched, town_officer):
    # The worker writes under its own MEDIA_ROOT (the environment's, not this test's tmp dir).
    worker_media = Path(os.environ.get("MEDIA_ROOT", django_settings.VAR_DIR / "media"))
    job = generation.job_request(campaign=launched, number=1, by=town_officer)
    deadline = time.time() + 120
    while time.time() < deadline:
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.5)
    assert job.status == "done", job.error
    # Sent again while done: a new job; the worker replaces the files, no duplicate rows.
    again = generation.job_request(campaign=launched, number=1, by=town_officer)
    while time.time() < deadline:
        again.refresh_from_db()
        if again.status in ("done", "failed"):
            break
        time.sleep(0.5)
    assert again.status == "done"
    assert NoticeFile.objects.filter(kind="公示名单").count() == 2
    assert NoticeFile.objects.filter(kind="合并文件").count() == 1
    for notice in NoticeFile.objects.all():
        (worker_media / notice.file.name).unlink(missing_ok=True)
