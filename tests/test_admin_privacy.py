"""Issue 16, finding 1: /admin/ is no back door to ID numbers, phones and bank accounts.

Masked in lists, forms, read-only pages and history diffs; changelists accept only
their declared filters (the 76-request digit oracle is gone); every admin view of a
household, member or staff profile is in the access log; a reveal needs the same
permission and leaves the same log row as on the household page.
"""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from households import idcard
from households.models import Member
from kanjia.admin import PrivacyAdminMixin
from kanjia.masking import mask_phone
from kanjia.models import AccessLog
from review.teams.services import staff_upsert
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PHONE_OLD, PHONE_NEW = "13812345678", "13987654321"
ACCOUNT_OLD, ACCOUNT_NEW = "6228480012345678901", "6228480098765432109"


def _member_with_history() -> tuple[Member, str]:
    """A member whose ID number was corrected once, and whose household changed phone and account."""
    member = MemberFactory(born=date(1962, 3, 3))
    old = member.id_number
    member.id_number = idcard.generate(born=date(1980, 1, 1), male=True)
    member.save()
    household = member.household
    household.phone, household.bank_account = PHONE_OLD, ACCOUNT_OLD
    household.save()
    household.phone, household.bank_account = PHONE_NEW, ACCOUNT_NEW
    household.save()
    return member, old


def test_every_admin_on_the_site_carries_the_privacy_rules():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, PrivacyAdminMixin), model


def test_admin_pages_and_history_diffs_never_show_a_full_number(admin_client):
    member, old_id = _member_with_history()
    household = member.household
    cadre = _staff_user()
    staff_upsert(user=cadre, name="王干部", unit="镇政府", phone=PHONE_OLD, id_number=old_id, by=None)
    staff = staff_upsert(user=cadre, name="王干部", unit="镇政府", phone=PHONE_NEW, id_number=member.id_number, by=None)
    secrets = [old_id, member.id_number, PHONE_OLD, PHONE_NEW, ACCOUNT_OLD, ACCOUNT_NEW]
    urls = [
        "/admin/households/member/",
        f"/admin/households/member/{member.pk}/change/",
        f"/admin/households/member/{member.pk}/history/",
        "/admin/households/household/",
        f"/admin/households/household/{household.pk}/change/",
        f"/admin/households/household/{household.pk}/history/",
        "/admin/review/staff/",
        f"/admin/review/staff/{staff.pk}/change/",
        f"/admin/review/staff/{staff.pk}/history/",
    ]
    urls += [f"/admin/households/member/{member.pk}/history/{h.pk}/" for h in member.history.all()]
    urls += [f"/admin/households/household/{household.pk}/history/{h.pk}/" for h in household.history.all()]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, (url, secret)
    history = admin_client.get(f"/admin/households/household/{household.pk}/history/").content.decode()
    assert mask_phone(PHONE_OLD) in history and mask_phone(PHONE_NEW) in history  # still a diff, masked
    member_history = admin_client.get(f"/admin/households/member/{member.pk}/history/").content.decode()
    assert idcard.mask(old_id) in member_history and idcard.mask(member.id_number) in member_history


def _staff_user():
    from tests.conftest import make_user

    return make_user("cadre", None)


def _oracle(admin_client, member: Member) -> tuple[str, int, set[int]]:
    """The attack of the finding: grow a known prefix one character at a time while the
    filtered list still holds the member (birth date guessed, so 8 characters to find)."""
    statuses: set[int] = set()
    requests = 0
    known = member.id_number[:10]
    while len(known) < 18:
        for char in "0123456789X":
            url = f"/admin/households/member/?id={member.pk}&id_number__startswith={known + char}"
            response = admin_client.get(url)
            requests += 1
            statuses.add(response.status_code)
            hit = f"/admin/households/member/{member.pk}/change/" in response.content.decode()
            if response.status_code == 200 and hit:
                known += char
                break
        else:
            break
    return known, requests, statuses


def test_changelist_lookup_oracle_is_gone(admin_client):
    member = MemberFactory(born=date(1962, 3, 3))
    MemberFactory(born=date(1962, 3, 3))  # a neighbour with the same birth date
    statuses = set()
    for url in (
        "/admin/households/member/?id={pk}&id_number__startswith={prefix}",
        "/admin/households/member/?id_number__startswith={prefix}",
        "/admin/households/household/?id={hid}&members__id_number__startswith={prefix}",
        "/admin/households/household/?phone__startswith={prefix}",
        "/admin/households/household/?bank_account__startswith={prefix}",
        "/admin/review/staff/?id_number__startswith={prefix}",
        "/admin/households/member/?household__phone__startswith={prefix}",
    ):
        for prefix in (member.id_number[:10], member.id_number[:17], member.id_number):
            response = admin_client.get(url.format(pk=member.pk, hid=member.household_id, prefix=prefix))
            statuses.add(response.status_code)
            assert member.id_number not in response.content.decode()
    assert statuses == {400}, statuses  # refused, whatever the prefix: no answer differs

    # The full 76-request walk of the finding recovers nothing.
    found, walked, statuses = _oracle(admin_client, member)
    print(f"oracle walk: {walked} requests, answers {sorted(statuses)}")
    assert found == member.id_number[:10] and statuses == {400}


def test_declared_filters_still_work(admin_client):
    member = MemberFactory(born=date(1962, 3, 3))
    for url in (
        "/admin/households/household/?status__exact=active",
        f"/admin/households/household/?village__id__exact={member.household.village_id}",
        "/admin/households/household/?q=户主",
        "/admin/households/member/?q=成员",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/households/household/?id=1").status_code == 400


def test_every_admin_view_of_household_member_staff_is_access_logged(admin_client, admin_user):
    member, _ = _member_with_history()
    staff = staff_upsert(user=_staff_user(), name="王干部", unit="镇政府", by=None)
    for url, model, pk in (
        (f"/admin/households/household/{member.household_id}/change/", "households.household", member.household_id),
        (f"/admin/households/household/{member.household_id}/history/", "households.household", member.household_id),
        (f"/admin/households/member/{member.pk}/change/", "households.member", member.pk),
        (f"/admin/households/member/{member.pk}/history/", "households.member", member.pk),
        (
            f"/admin/households/member/{member.pk}/history/{member.history.first().pk}/",
            "households.member",
            member.pk,
        ),
        (f"/admin/review/staff/{staff.pk}/change/", "review.staff", staff.pk),
    ):
        AccessLog.objects.all().delete()
        assert admin_client.get(url).status_code == 200, url
        log = AccessLog.objects.get()
        assert (log.user, log.action, log.object_type, log.object_id) == (
            admin_user,
            AccessLog.Action.VIEW,
            model,
            str(pk),
        ), url
        if model != "review.staff":
            assert log.village_id == member.household.village_id
    AccessLog.objects.all().delete()
    assert admin_client.get("/admin/households/member/").status_code == 200
    assert AccessLog.objects.get().object_type == ""  # a list: one row, no object
    AccessLog.objects.all().delete()
    assert admin_client.get("/admin/households/village/").status_code == 200
    assert not AccessLog.objects.exists()  # villages are not personal data


def test_admin_reveal_needs_the_permission_and_logs_like_the_app(client, sysadmin):
    member = MemberFactory(born=date(1962, 3, 3))
    sysadmin.user_permissions.add(*Permission.objects.filter(codename__in=["view_member", "change_member"]))
    client.force_login(sysadmin)
    url = f"/admin/households/member/{member.pk}/reveal-id/"
    assert client.get(f"/admin/households/member/{member.pk}/change/").status_code == 200
    AccessLog.objects.all().delete()
    assert client.post(url).status_code == 403  # a system administrator without the reveal permission
    assert not AccessLog.objects.exists()

    sysadmin.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    client.force_login(sysadmin)
    page = client.get(url)
    assert page.status_code == 200 and member.id_number not in page.content.decode()  # asking is not revealing
    assert not AccessLog.objects.exists()
    response = client.post(url)
    assert member.id_number in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_type, log.object_id, log.village_id, log.detail) == (
        sysadmin,
        AccessLog.Action.REVEAL_ID,
        "households.member",
        str(member.pk),
        member.household.village_id,
        f"查看成员 {member.name} 的完整身份证号",  # the household page's row (tests/households/test_pages.py)
    )
