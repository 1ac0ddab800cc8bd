"""The household pages as town officers, village teams and inspectors use them."""

import itertools
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from households import idcard
from households.models import Household, Member, ReviewFlag
from kanjia.models import AccessLog
from tests.factories import HouseholdFactory, MemberFactory, StandardFactory, VillageFactory, VillageGroupFactory
from tests.households.helpers import edit_post_data

pytestmark = pytest.mark.django_db


_births = itertools.count()


def make_household(village, name: str, *, phone: str = "", born: date | None = None, **kw) -> Household:
    h = HouseholdFactory(village=village, head_name=name, phone=phone, **kw)
    # Distinct birth dates keep the random ID numbers distinct.
    born = born or date(1940, 1, 1) + timedelta(days=next(_births) * 37)
    head = MemberFactory(household=h, name=name, born=born)
    h.head = head
    h.save()
    return h


@pytest.fixture
def village():
    v = VillageFactory(name="陡岩村")
    StandardFactory(town=v.town)
    return v


@pytest.fixture
def team_village(team_member_a):
    """A village the review team of team_member_a may see and change."""
    v = VillageFactory(name="中心村")
    team = Group.objects.create(name="第一清理小组")
    team_member_a.groups.add(team)
    assign_perm("households.view_village", team, v)
    assign_perm("households.change_village", team, v)
    return v


def list_names(response) -> list[str]:
    return [h.head_name for h in response.context["page"]]


# --- List: search, filters, scoping, query count ---------------------------------


def test_search_by_name_full_id_last_digits_and_phone(client, town_officer, village):
    a = make_household(village, "王大山", phone="13800001111", born=date(1950, 1, 1))
    make_household(village, "李小河", phone="13900002222", born=date(1970, 1, 1))
    client.force_login(town_officer)
    number = a.head.id_number
    assert list_names(client.get("/households/", {"q": "王大"})) == ["王大山"]
    assert list_names(client.get("/households/", {"q": number})) == ["王大山"]
    assert list_names(client.get("/households/", {"q": number[-4:]})) == ["王大山"]
    assert list_names(client.get("/households/", {"q": "1390000"})) == ["李小河"]
    # A member who is not the head is found too.
    MemberFactory(household=a, name="赵三妹", relation=Member.Relation.SPOUSE, born=date(1955, 5, 5), male=False)
    assert list_names(client.get("/households/", {"q": "赵三"})) == ["王大山"]


def test_filters_village_status_area_flag_and_sort(client, town_officer, village):
    other = VillageFactory(town=village.town, name="树林村")
    make_household(village, "甲", status=Household.Status.ACTIVE, area="农村")
    b = make_household(other, "乙", status=Household.Status.APPLYING, area="城市")
    ReviewFlag.objects.create(household=b, kind=5, source_key="asset:1", reason="有车")
    client.force_login(town_officer)
    assert list_names(client.get("/households/", {"village": other.pk})) == ["乙"]
    assert list_names(client.get("/households/", {"status": "在保"})) == ["甲"]
    assert list_names(client.get("/households/", {"area": "城市"})) == ["乙"]
    assert list_names(client.get("/households/", {"flag": "5"})) == ["乙"]
    assert list_names(client.get("/households/", {"flag": "1"})) == []
    assert list_names(client.get("/households/", {"sort": "head"})) == ["乙", "甲"]  # 乙 < 甲 in code points
    assert list_names(client.get("/households/", {"sort": "bogus", "village": "x"})) == ["甲", "乙"]


def test_list_query_count_does_not_grow_with_households(client, town_officer, village, django_assert_num_queries):
    group = VillageGroupFactory(village=village)
    for i in range(3):
        h = make_household(village, f"户{i}", group=group)
        ReviewFlag.objects.create(household=h, kind=2, source_key="x", reason="r")
    client.force_login(town_officer)
    client.get("/households/")  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get("/households/", {"q": "户"})
    for i in range(40):
        h = make_household(village, f"户{i + 3}", group=group)
        ReviewFlag.objects.create(household=h, kind=2, source_key="x", reason="r")
    with django_assert_num_queries(len(small)):
        response = client.get("/households/", {"q": "户"})
    assert len(response.context["page"]) == 43


def test_team_member_sees_only_their_villages(client, team_member_a, village, team_village):
    make_household(village, "外村户")
    mine = make_household(team_village, "本村户")
    other = make_household(village, "另一户")
    client.force_login(team_member_a)
    assert list_names(client.get("/households/")) == ["本村户"]
    assert client.get(f"/households/{mine.pk}/").status_code == 200
    assert client.get(f"/households/{other.pk}/").status_code == 404
    assert client.get(f"/households/{other.pk}/edit/").status_code == 404


# --- Detail: masking, reveal log, benefit, query count ----------------------------


def test_detail_masks_ids_and_shows_benefit_in_fixed_queries(
    client, town_officer, village, django_assert_max_num_queries
):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    with django_assert_max_num_queries(20):
        response = client.get(f"/households/{h.pk}/")
    body = response.content.decode()
    assert h.head.id_number not in body
    assert idcard.mask(h.head.id_number) in body
    assert "家庭月人均收入" in body and "月保障金" in body


def test_reveal_is_logged_and_needs_permission(client, town_officer, team_member_a, team_village):
    h = make_household(team_village, "王大山")
    url = f"/households/{h.pk}/members/{h.head.pk}/reveal-id/"
    client.force_login(team_member_a)  # village teams see masked numbers only
    assert client.post(url).status_code == 403
    assert not AccessLog.objects.exists()
    client.force_login(town_officer)
    assert client.get(url).status_code == 405
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert h.head.id_number in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id, log.village_id) == (
        town_officer,
        AccessLog.Action.REVEAL_ID,
        str(h.head.pk),
        team_village.pk,
    )
    assert h.head.id_number not in log.detail


def test_reveal_of_invisible_household_is_404(client, team_member_a, village, team_village):
    h = make_household(village, "外村户")
    team_member_a.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    client.force_login(team_member_a)
    assert client.post(f"/households/{h.pk}/members/{h.head.pk}/reveal-id/").status_code == 404
    assert not AccessLog.objects.exists()


# --- Forms ----------------------------------------------------------------------


def test_create_household_with_members_assets_incomes(client, town_officer, village):
    client.force_login(town_officer)
    data = edit_post_data(client.get("/households/new/"))
    data.update(
        {
            "village": str(village.pk),
            "area": "农村",
            "address": "陡岩村3组",
            "phone": "13800001111",
            "members-0-name": "王大山",
            "members-0-id_number": idcard.generate(born=date(1950, 2, 3), male=True).lower(),
            "members-0-relation": "户主",
            "members-0-health": "健康",
            "members-0-work_capacity": "无劳动能力",
            "members-0-employment": "无",
            "members-0-covered": "on",
            "assets-0-kind": "小轿车",
            "assets-0-quantity": "1",
            "assets-0-value": "30000",
            "incomes-0-kind": "工资性收入",
            "incomes-0-monthly_amount": "200",
            "incomes-0-counted": "on",
        }
    )
    response = client.post("/households/new/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    h = Household.objects.get()
    assert (h.head_name, h.status, h.covered_persons, h.assets.count(), h.incomes.count()) == (
        "王大山",
        "申请中",
        1,
        1,
        1,
    )
    assert h.head.birth_date == date(1950, 2, 3)
    assert h.flags.filter(kind=ReviewFlag.Kind.VEHICLE).exists()
    assert h.history.first().history_user == town_officer


def test_bad_input_keeps_the_form_and_saves_nothing(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    good_id = idcard.generate(born=date(1990, 1, 1), male=False)
    data.update(
        {
            "address": "改过的地址",
            "members-1-name": "王小妹",
            "members-1-id_number": good_id[:17] + ("1" if good_id[17] != "1" else "2"),
            "members-1-relation": "子女",
            "members-1-health": "重病",  # needs an illness name
            "members-1-work_capacity": "有劳动能力",
            "members-1-employment": "无",
            "assets-0-kind": "住房",
            "assets-0-quantity": "-1",
        }
    )
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert response.status_code == 400
    member_form = response.context["members"].forms[1]
    assert "校验码" in member_form.errors["id_number"][0]
    assert member_form.errors["illness"] == ["重病须填写病种。"]
    assert response.context["assets"].forms[0].errors["quantity"]
    body = response.content.decode()
    assert "未保存" in body and "王小妹" in body  # the form comes back filled in
    h.refresh_from_db()
    assert (h.address, h.members.count(), h.version) == ("测试地址", 1, 1)


def test_duplicate_ids_in_household_and_elsewhere_are_refused(client, town_officer, village):
    h = make_household(village, "王大山")
    other = make_household(village, "李四", born=date(1970, 7, 7))
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    data.update(
        {
            "members-1-name": "李四",
            "members-1-id_number": other.head.id_number,
            "members-1-relation": "兄弟姐妹",
            "members-1-health": "健康",
            "members-1-work_capacity": "有劳动能力",
            "members-1-employment": "无",
        }
    )
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert "已是" in response.context["members"].forms[1].errors["id_number"][0]
    data["members-1-id_number"] = h.head.id_number
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert "重复" in response.context["members"].forms[1].errors["id_number"][0]
    assert h.members.count() == 1


def test_edit_form_shows_ids_masked_and_keeps_them(client, town_officer, village):
    h = make_household(village, "王大山", bank_account="6228480012345678")
    client.force_login(town_officer)
    response = client.get(f"/households/{h.pk}/edit/")
    body = response.content.decode()
    assert h.head.id_number not in body and idcard.mask(h.head.id_number) in body
    assert "6228480012345678" not in body
    data = edit_post_data(response)
    data["members-0-name"] = "王大川"
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    h.refresh_from_db()
    assert (h.head_name, h.bank_account, h.version) == ("王大川", "6228480012345678", 2)


def test_stale_edit_is_refused(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    assert client.post(f"/households/{h.pk}/edit/", {**data, "address": "第一次"}).status_code == 302
    response = client.post(f"/households/{h.pk}/edit/", {**data, "address": "第二次"})
    assert "已被他人修改" in response.content.decode()
    h.refresh_from_db()
    assert h.address == "第一次"


def test_read_only_roles_cannot_edit(client, district_officer, inspector, village):
    h = make_household(village, "王大山")
    for user in (district_officer, inspector):
        client.force_login(user)
        assert client.get(f"/households/{h.pk}/").status_code == 200
        assert client.get(f"/households/{h.pk}/edit/").status_code == 403
        assert client.post(f"/households/{h.pk}/edit/", {"address": "x"}).status_code == 403
    h.refresh_from_db()
    assert h.version == 1


# --- History and flags -----------------------------------------------------------


def test_history_tab_shows_who_changed_what_with_masked_ids(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    new_id = idcard.generate(born=date(1961, 1, 1), male=True)
    data.update({"address": "新地址", "members-0-id_number": new_id})
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    body = client.get(f"/households/{h.pk}/history/").content.decode()
    assert "住址：" in body and "测试地址 → 新地址" in body
    assert "身份证号码：" in body and idcard.mask(new_id) in body
    assert new_id not in body and "测试民政" in body


def test_flag_disposition_needs_a_note(client, town_officer, village):
    h = make_household(village, "王大山")
    flag = ReviewFlag.objects.create(household=h, kind=9, source="manual", source_key="m", reason="举报")
    client.force_login(town_officer)
    url = f"/households/{h.pk}/flags/{flag.pk}/"
    response = client.post(url, {"disposition": "核实无误", "note": ""})
    assert "请填写核实说明" in response.content.decode()
    flag.refresh_from_db()
    assert flag.is_open
    assert client.post(url, {"disposition": "核实无误", "note": "入户核实无此情况"}).status_code == 302
    flag.refresh_from_db()
    assert (flag.disposition, flag.disposed_by) == ("核实无误", town_officer)


def test_manual_flag_page(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    assert client.post(f"/households/{h.pk}/flags/new/", {"kind": "9", "reason": ""}).status_code == 200
    assert client.post(f"/households/{h.pk}/flags/new/", {"kind": "9", "reason": "邻居反映"}).status_code == 302
    assert h.flags.get().reason == "邻居反映"


def test_inspector_may_reveal_an_id_number_and_it_is_logged(client, inspector):
    """Revealing records a read and changes no data, so the read-only guard lets it through."""
    from django.contrib.auth.models import Permission

    from kanjia.models import AccessLog
    from tests.factories import MemberFactory

    inspector.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    member = MemberFactory()
    client.force_login(inspector)
    response = client.post(f"/households/{member.household_id}/members/{member.pk}/reveal-id/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert member.id_number in response.content.decode()
    assert AccessLog.objects.filter(user=inspector, action=AccessLog.Action.REVEAL_ID).count() == 1
