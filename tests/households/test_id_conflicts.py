"""Issue 16, finding 2: the duplicate-ID check is no oracle across villages.

A number held outside the user's villages is answered only "已在本镇登记，请联系民政办"
(no village, head or name) on the household form and in households.services (the ledger
import: tests/ledger/test_import_privacy.py); each answer is a row the town office
resolves, and the answers are limited per user and hour.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from households import idcard
from households.conflicts.selectors import NEUTRAL, THROTTLED
from households.models import Household, IdConflict
from households.services import HouseholdInput, household_create
from tests.factories import HouseholdFactory, MemberFactory, StandardFactory
from tests.households.helpers import edit_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(village_b):
    """A household of village B (team B's), with a head whose name is easy to spot."""
    household = HouseholdFactory(village=village_b, head_name="何德怡")
    return MemberFactory(household=household, name="何德怡", born=date(1962, 3, 13))


@pytest.fixture
def mine(team_a, village_a):
    StandardFactory(town=village_a.town)
    household = HouseholdFactory(village=village_a, head_name="甲村老户")
    return MemberFactory(household=household, name="甲村老户", born=date(1955, 5, 5))


def _new_household_post(client, village, id_number: str):
    data = edit_post_data(client.get("/households/new/"))
    data.update(
        {
            "village": str(village.pk),
            "area": "农村",
            "address": "1组",
            "members-0-name": "新户主",
            "members-0-id_number": id_number,
            "members-0-relation": "户主",
            "members-0-health": "健康",
            "members-0-work_capacity": "无劳动能力",
            "members-0-employment": "无",
            "members-0-covered": "on",
        }
    )
    return client.post("/households/new/", data)


def _leaks(body: str, member) -> list[str]:
    household = member.household
    return [s for s in (household.village.name, household.head_name, member.name) if s in body]


def test_form_answers_neutrally_outside_the_scope_and_records_it(client, team_member_a, team_a, village_a, elsewhere):
    StandardFactory(town=village_a.town)
    client.force_login(team_member_a)
    response = _new_household_post(client, village_a, elsewhere.id_number)
    body = response.content.decode()
    assert response.status_code == 400
    assert NEUTRAL in body
    assert not _leaks(body, elsewhere), _leaks(body, elsewhere)
    assert not Household.objects.filter(village=village_a).exists()
    row = IdConflict.objects.get()
    assert (row.user, row.source, row.id_number, row.holder, row.village, row.registered) == (
        team_member_a,
        IdConflict.Source.FORM,
        elsewhere.id_number,
        elsewhere,
        village_a,
        True,
    )


def test_form_still_names_a_holder_the_user_may_see(client, team_member_a, team_a, village_a, mine):
    client.force_login(team_member_a)
    body = _new_household_post(client, village_a, mine.id_number).content.decode()
    assert "甲村 甲村老户户的在册成员" in body
    assert not IdConflict.objects.exists()  # nothing the user did not know: not recorded


def test_service_answers_neutrally_and_the_record_survives_the_rollback(team_member_a, team_a, village_a, elsewhere):
    StandardFactory(town=village_a.town)
    data = HouseholdInput(
        fields={"village": village_a, "area": "农村", "address": "1组"},
        members=[{"name": "新户主", "id_number": elsewhere.id_number, "relation": "户主"}],
    )
    with pytest.raises(ValidationError) as caught:
        household_create(data=data, by=team_member_a)
    text = " ".join(caught.value.messages)
    assert NEUTRAL in text and not _leaks(text, elsewhere)
    row = IdConflict.objects.get()
    assert (row.source, row.holder, row.user) == (IdConflict.Source.SERVICE, elsewhere, team_member_a)


def test_town_office_is_told_where_and_nothing_is_recorded(town_officer, village_a, elsewhere):
    StandardFactory(town=village_a.town)
    data = HouseholdInput(
        fields={"village": village_a, "area": "农村", "address": "1组"},
        members=[{"name": "新户主", "id_number": elsewhere.id_number, "relation": "户主"}],
    )
    with pytest.raises(ValidationError, match="乙村 何德怡户"):
        household_create(data=data, by=town_officer)
    assert not IdConflict.objects.exists()


def test_answers_are_limited_per_user_and_hour(client, settings, team_member_a, team_a, village_a, village_b):
    """After the limit, a registered and an unregistered number get the same refusal."""
    settings.ID_CONFLICT_LIMIT_PER_HOUR = 2
    StandardFactory(town=village_a.town)
    registered = [
        MemberFactory(household=HouseholdFactory(village=village_b), born=date(1960 + i, 1, 1)) for i in range(3)
    ]
    client.force_login(team_member_a)
    for member in registered[:2]:
        assert NEUTRAL in _new_household_post(client, village_a, member.id_number).content.decode()
    unregistered = idcard.generate(born=date(1991, 1, 1), male=True)
    answers = []
    for number in (registered[2].id_number, unregistered):
        response = _new_household_post(client, village_a, number)
        body = response.content.decode()
        assert response.status_code == 400 and THROTTLED in body and NEUTRAL not in body
        answers.append(body.replace(number, "").replace(idcard.mask(number), ""))
    assert IdConflict.objects.filter(registered=True).count() == 2
    assert IdConflict.objects.filter(registered=False, throttled=True).count() == 2
    assert not Household.objects.filter(village=village_a).exists()  # even the unregistered one waits

    # Another user is not limited by team A's answers.
    client.force_login(_team_b_member(village_b))
    assert _new_household_post(client, village_b, unregistered).status_code == 302


def _team_b_member(village_b):
    from review.models import TeamMembership
    from review.teams import services as teams
    from tests.conftest import make_user

    user = make_user("team_b2", "清理小组")
    boss = make_user("boss", "镇民政办")
    team = teams.team_create(name="乙二组", by=boss)
    teams.team_add_member(team=team, user=user, role=TeamMembership.Role.CADRE, by=boss)
    teams.team_assign_village(team=team, village=village_b, by=boss)
    return user


def test_town_office_lists_and_resolves_conflicts(client, town_officer, inspector, team_member_a, elsewhere):
    conflict = IdConflict.objects.create(
        user=team_member_a, source=IdConflict.Source.FORM, id_number=elsewhere.id_number, holder=elsewhere
    )
    client.force_login(town_officer)
    body = client.get("/households/conflicts/").content.decode()
    assert idcard.mask(elsewhere.id_number) in body and elsewhere.id_number not in body
    assert f"/households/{elsewhere.household_id}/" in body
    response = client.post(f"/households/conflicts/{conflict.pk}/resolve/", {"resolution": "系误录，已告知小组"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert (conflict.resolved_by, conflict.resolution) == (town_officer, "系误录，已告知小组")
    assert "没有记录" in client.get("/households/conflicts/").content.decode()  # the open list is empty
    assert "系误录" in client.get("/households/conflicts/?show=all").content.decode()

    client.force_login(inspector)
    assert client.get("/households/conflicts/?show=all").status_code == 200
    client.force_login(team_member_a)
    assert client.get("/households/conflicts/").status_code == 404
