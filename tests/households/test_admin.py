"""The registry in /admin/ for system administrators: with history, ID numbers masked."""

from datetime import date

import pytest

from households import idcard
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["household", "member", "asset", "incomeitem", "reviewflag", "propertyrule"])
def test_admin_lists_load(admin_client, model):
    MemberFactory(born=date(1961, 2, 2))
    assert admin_client.get(f"/admin/households/{model}/").status_code == 200


def test_member_admin_masks_id_number(admin_client):
    member = MemberFactory(born=date(1962, 3, 3))
    for url in (
        "/admin/households/member/",
        f"/admin/households/member/{member.pk}/change/",
        f"/admin/households/household/{member.household_id}/change/",
        f"/admin/households/member/{member.pk}/history/",
    ):
        body = admin_client.get(url).content.decode()
        assert member.id_number not in body, url
    assert idcard.mask(member.id_number) in admin_client.get("/admin/households/member/").content.decode()


def test_admin_edits_reach_the_near_relatives_register(admin_client, django_capture_on_commit_callbacks):
    """A member moved back in through /admin/ is matched against declarations, as after a
    change through the household pages (households.hooks listeners)."""
    from django.forms.models import model_to_dict

    from review.models import RelativeFiling
    from review.relatives.services import RelativeIn, declare
    from tests.conftest import make_user

    member = MemberFactory(born=date(1963, 4, 4), moved_out_on=date(2020, 1, 1))
    clerk = make_user("clerk", None)
    declare(
        user=clerk,
        relatives=[RelativeIn(relation="父母", name=member.name, id_number=member.id_number, address="")],
        by=clerk,
    )
    assert not RelativeFiling.objects.exists()  # moved out: not a current member

    data = {k: v for k, v in model_to_dict(member, exclude=["id", "id_number"]).items() if v not in (None, False)}
    data["moved_out_on"] = ""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/households/member/{member.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RelativeFiling.objects.get().household_id == member.household_id
