"""Issue 16, finding 2, in the ledger import: a number held outside the importer's villages is
answered only "已在本镇登记，请联系民政办", recorded, and limited per user and hour."""

import pytest

from households.conflicts.selectors import NEUTRAL, THROTTLED
from households.models import IdConflict
from tests.ledger.helpers import grant_team, new_id, workbook_bytes
from tests.ledger.test_import import family, problems_of

pytestmark = pytest.mark.django_db


def _registered_in_shulin(town_officer, run_import) -> list[dict]:
    rows = family(**{"村(社区)": "树林村"})
    run_import(town_officer, workbook_bytes(rows), commit=True)
    return rows


def test_member_held_elsewhere_gets_the_neutral_answer(places, town_officer, team_member_a, run_import):
    rows = _registered_in_shulin(town_officer, run_import)
    grant_team(team_member_a, places["陡岩村"])
    mine = family(spouse_id=rows[1]["身份证号码"])  # a new household of 陡岩村 with 树林村's spouse
    batch = run_import(team_member_a, workbook_bytes(mine))
    problems = problems_of(batch)
    assert [(r, c) for r, c, _m in problems] == [(3, "身份证号码")]
    assert problems[0][2] == NEUTRAL
    text = str(batch.summary) + (batch.error or "")
    assert "树林村" not in text
    row = IdConflict.objects.get()
    assert (row.user, row.source, row.id_number) == (team_member_a, IdConflict.Source.IMPORT, rows[1]["身份证号码"])


def test_head_held_elsewhere_does_not_name_the_village(places, town_officer, team_member_a, run_import):
    rows = _registered_in_shulin(town_officer, run_import)
    grant_team(team_member_a, places["陡岩村"])
    moved = [dict(r, **{"村(社区)": "陡岩村"}) for r in rows]
    batch = run_import(team_member_a, workbook_bytes(moved))
    assert [m for _r, _c, m in problems_of(batch)] == [NEUTRAL]
    assert "树林村" not in str(batch.summary)
    assert IdConflict.objects.filter(user=team_member_a, source=IdConflict.Source.IMPORT).count() == 2


def test_a_file_beyond_the_limit_is_refused_as_a_whole(places, settings, town_officer, team_member_a, run_import):
    settings.ID_CONFLICT_LIMIT_PER_HOUR = 1
    rows = _registered_in_shulin(town_officer, run_import)  # two registered numbers
    grant_team(team_member_a, places["陡岩村"])
    probe = family(head_id=rows[0]["身份证号码"], spouse_id=rows[1]["身份证号码"])
    batch = run_import(team_member_a, workbook_bytes(probe))
    assert problems_of(batch) == [(0, "", THROTTLED)]  # no row says which number is registered
    # Now over the limit: even a file of unregistered numbers is refused the same way.
    batch = run_import(team_member_a, workbook_bytes(family(head_id=new_id(), spouse_id=new_id())))
    assert problems_of(batch) == [(0, "", THROTTLED)]
