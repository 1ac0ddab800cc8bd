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
