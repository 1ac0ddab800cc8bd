"""The inputs issue 16 (finding 4) named as server errors: each is now a clear answer, never a 500.

`tests/test_no_server_error.py` sweeps every URL with hostile values; these are the
named cases, quick to run on their own.
"""

import pytest
from django.urls import reverse

from households.models import Asset
from review.models import Appraisal
from tests.factories import HouseholdFactory, MemberFactory
from tests.test_scope_sweep import form_fields, world  # noqa: F401  (world: the scope sweep's fixture)

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999999"


@pytest.fixture
def household(team_a, village_a):
    household = HouseholdFactory(village=village_a, head_name="坏输入")
    MemberFactory(household=household, name="坏输入")
    return household


def test_huge_or_non_numeric_ids_in_query_strings(client, town_officer, inspector):
    client.raise_request_exception = True
    for user in (town_officer, inspector):
        client.force_login(user)
        for query in ({"household": HUGE}, {"household": "abc"}, {"household": "-1"}, {"household": "１２３"}):
            response = client.get(reverse("audit:index"), query)
            assert response.status_code == 200  # the timeline, unfiltered: the bad filter is ignored
        for query in ({"campaign": "99999999999999999999"}, {"campaign": "²"}, {"village": HUGE}):
            assert client.get(reverse("publicity:rounds"), query).status_code == 200


def _edit_payload(client, household) -> dict:
    page = client.get(reverse("households:edit", args=[household.pk]))
    assert page.status_code == 200
    return form_fields(page.content.decode())


def test_a_household_edit_with_a_version_that_is_not_a_number_loses_nothing(client, town_officer, household):
    client.raise_request_exception = True
    client.force_login(town_officer)
    payload = {**_edit_payload(client, household), "version": "abc", "address": "新住址"}
    response = client.post(reverse("households:edit", args=[household.pk]), payload)
    assert response.status_code in (302, 400)
    if response.status_code == 400:  # a stale form: the typed address is still on the page
        assert "新住址" in response.content.decode()


def test_an_asset_quantity_of_10_to_the_23_is_refused_in_chinese(client, town_officer, household):
    client.raise_request_exception = True
    client.force_login(town_officer)
    payload = _edit_payload(client, household)
    payload |= {
        "assets-0-kind": Asset.Kind.choices[0][0],
        "assets-0-description": "拖拉机",
        "assets-0-quantity": "1" + "0" * 23,
    }
    response = client.post(reverse("households:edit", args=[household.pk]), payload)
    assert response.status_code == 400
    assert "确保该值小于或等于" in response.content.decode()
    assert not Asset.objects.filter(household=household).exists()


def test_an_id_too_long_for_any_column_in_a_path_is_not_found(client, town_officer, household):
    client.raise_request_exception = True
    client.force_login(town_officer)
    flag_url = reverse("households:flag", kwargs={"pk": 1, "flag_pk": 1}).replace("/1/", f"/{HUGE}/", 1)
    assert client.get(flag_url).status_code == 404
    assert client.post(f"/households/{HUGE}/members/1/reveal-id/").status_code == 404
    assert client.get(reverse("households:detail", args=[999999999999999999])).status_code == 404


# --- Found by the sweep (tests/test_no_server_error.py) -----------------------------------------------


def test_a_household_form_posted_with_a_huge_row_count_is_refused_quickly(client, town_officer, household):
    """`members-TOTAL_FORMS=10^23` built (and rendered) 2,000 empty rows per formset: a page of seconds."""
    client.raise_request_exception = True
    client.force_login(town_officer)
    payload = {**_edit_payload(client, household), "members-TOTAL_FORMS": HUGE, "assets-TOTAL_FORMS": "1000"}
    response = client.post(reverse("households:edit", args=[household.pk]), payload)
    assert response.status_code == 400
    page = response.content.decode()
    assert "请最多提交 30 个表单" in page and "请最多提交 50 个表单" in page
    assert page.count('name="members-') < 30 * 20  # the rows shown are capped too


def test_an_objection_handled_with_a_huge_investigator_id_is_a_form_error(client, world):  # noqa: F811
    from tests.publicity import sweep as publicity

    client.raise_request_exception = True
    client.force_login(world.town_officer)
    url = reverse("publicity:objection", kwargs=publicity.objection(world))
    payload = {**publicity.handle_payload(world, {}), "investigators": [HUGE]}
    response = client.post(url, payload)
    assert response.status_code == 400
    assert f"“{HUGE}”不是一个有效的值" in response.content.decode()


def test_notice_settings_for_a_town_that_is_not_a_number_are_not_found(client, town_officer, village_a):
    client.raise_request_exception = True
    client.force_login(town_officer)
    payload = {"stop_days": "3", "complaint_days": "15", "review_body": "区政府", "court": "区法院"}
    for town in ("abc", HUGE, "1.5", "１２３", ""):
        assert client.post(reverse("review:notice_settings"), {**payload, "town": town}).status_code == 404


def test_admin_ids_that_are_not_ids_are_not_found(client, sysadmin, household):
    """The admin's history pages (simple-history) and an empty `?_to_field=` gave server errors."""
    from tests.conftest import make_user

    client.raise_request_exception = True
    client.force_login(make_user("root", None, is_staff=True, is_superuser=True))
    for name in ("admin:households_household_change", "admin:households_household_delete"):
        response = client.get(reverse(name, args=[household.pk]), {"_to_field": ""})
        assert response.status_code == 200 and "坏输入" in response.content.decode()
    client.force_login(sysadmin)
    for bad in ("abc", "1.5", "1\u200b2", HUGE):
        history = reverse("admin:households_household_history", args=[bad])
        response = client.get(history, follow=True)
        assert response.status_code == 404 or "不存在" in response.content.decode(), bad  # 404: a number, no object
        version = reverse("admin:households_household_simple_history", args=[household.pk, bad])
        assert client.get(version).status_code == 404
        version = reverse("admin:households_household_simple_history", args=[bad, "1"])
        assert client.get(version).status_code == 404


def test_appraisal_counts_beyond_a_meeting_are_refused_in_chinese(client, world):  # noqa: F811
    """The 民主评议 counts end in smallint columns: 40,000 passed the form's 32-bit bound (PostgreSQL: 500)."""
    from tests.review_cases import sweep as cases

    client.raise_request_exception = True
    client.force_login(world.town_officer)
    url = reverse("review:case_stage", kwargs=cases.appraisal_stage(world))
    response = client.post(url, {**cases.appraisal_payload(world, {}), "villager_reps": "40000"})
    assert response.status_code in (200, 400)  # the case page again, with the form's error
    assert "确保该值小于或等于2000" in response.content.decode()
    assert not Appraisal.objects.filter(villager_reps=40000).exists()


def test_a_nul_byte_in_a_reason_is_refused_not_a_server_error(client, world):  # noqa: F811
    """Found by the no-500 sweep on PostgreSQL (text cannot hold NUL): 退回 or 终止 with such a reason is
    refused with a Chinese message and the case stays where it was."""
    from review.models import Case
    from tests.review_cases import sweep as cases

    client.raise_request_exception = True
    client.force_login(world.town_officer)
    case = Case.objects.get(pk=cases.make_case(world).pk)
    for action, payload in (("terminate", {"note": "1\x002"}), ("return", {"target": "受理", "note": "1\x002"})):
        response = client.post(reverse("review:case_action", kwargs={"pk": case.pk, "action": action}), payload)
        assert response.status_code in (200, 400), action
        assert "理由中含有无效字符" in response.content.decode()
        refreshed = Case.objects.get(pk=case.pk)
        assert refreshed.status == case.status
