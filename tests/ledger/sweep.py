"""Objects of the ledger pages in another team's village, for tests/test_scope_sweep.py's TARGETS.

Each function takes the sweep's world and returns reverse() kwargs for an
object made by team member B (whose team covers village B).
"""

from households.models import ExportJob, ImportBatch, Roster


def batch_b(w) -> dict:
    batch = ImportBatch.objects.create(
        user=w.team_member_b, file_name="乙村台账.xlsx", sha256="0" * 64, status=ImportBatch.Status.CHECKED
    )
    return {"pk": batch.pk}


def export_b(w) -> dict:
    return {"pk": ExportJob.objects.create(user=w.team_member_b, village=w.village_b).pk}


def roster_b(w) -> dict:
    roster = Roster.objects.create(
        kind=Roster.Kind.DEATH, uploaded_by=w.team_member_b, file_name="乙村名单.xlsx", sha256="0" * 64
    )
    return {"pk": roster.pk}


def roster_b_done(w) -> dict:
    """Team B's finished roster: a report until the town office raises its flags (issue 16)."""
    roster = Roster.objects.create(
        kind=Roster.Kind.DEATH,
        uploaded_by=w.team_member_b,
        file_name="乙村名单.xlsx",
        sha256="1" * 64,
        status=Roster.Status.DONE,
    )
    return {"pk": roster.pk}
