"""Objects in village B for the scope sweep's visit URLs (tests/test_scope_sweep.py)."""

from django.contrib.auth.models import User

from kanjia import roles
from review.dynamic import spotchecks
from tests.dynamic import sweep as dyn


def check_assigned_elsewhere(w) -> dict:
    """A spot check of village B handed to a second district officer: the control hands it back."""
    check = dyn._check(w)
    other = User.objects.filter(username="district_sweep").first()
    if other is None:
        from tests.conftest import make_user

        other = make_user("district_sweep", roles.DISTRICT)
    spotchecks.check_assign(check=check, assignee=other, by=w.district_officer)
    return {"pk": check.pk}


def assign_payload(w, fields: dict) -> dict:
    return {"assignee": w.district_officer.pk}
