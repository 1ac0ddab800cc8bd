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
from tests.factories import (
    CategoryFactory,
    HouseholdFactory,
    MemberFactory,
    StandardFactory,
    VillageFactory,
    VillageGroupFactory,
)
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

    def search(q: str):  # numbers are posted, then found by a token (issue 16)
        return client.post("/households/search/", {"q": q}, follow=True)

    assert list_names(client.get("/households/", {"q": "王大"})) == ["王大山"]
    assert list_names(search(number)) == ["王大山"]
    assert list_names(search(number[-4:])) == ["王大山"]
    assert list_names(search("1390000")) == ["李小河"]
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


def test_group_filter_narrows_the_list_to_that_group(client, town_officer, village):
    g1 = VillageGroupFactory(village=village, number=1)
    g2 = VillageGroupFactory(village=village, number=2)
    make_household(village, "一组户", group=g1)
    make_household(village, "二组户", group=g2)
    make_household(village, "未分组户")
    client.force_login(town_officer)
    response = client.get("/households/", {"village": village.pk, "group": g2.pk})
    assert list_names(response) == ["二组户"]
    assert f'<option value="{g2.pk}" selected data-village="{village.pk}">' in response.content.decode()
    assert list_names(client.get("/households/", {"village": village.pk, "group": g1.pk})) == ["一组户"]


def test_invalid_group_filter_is_ignored_and_not_shown_as_chosen(client, town_officer, village):
    """The code ignores a group it cannot offer (no message): the list is what the other filters give."""
    other = VillageFactory(town=village.town, name="树林村")
    mine = VillageGroupFactory(village=village, number=1)
    theirs = VillageGroupFactory(village=other, number=1)
    make_household(village, "本村一组", group=mine)
    make_household(other, "树林一组", group=theirs)
    client.force_login(town_officer)
    # A group of another village: the village filter still applies, the group is dropped.
    response = client.get("/households/", {"village": village.pk, "group": theirs.pk})
    assert response.status_code == 200
    assert list_names(response) == ["本村一组"]
    assert "group" in response.context["form"].errors
    assert f'value="{theirs.pk}" selected' not in response.content.decode()
    # A group alone (the page offers groups once a village is picked; a hand-typed address) filters to it.
    assert list_names(client.get("/households/", {"group": theirs.pk})) == ["树林一组"]
    # Not a number, or no such group: ignored too.
    for bogus in ("abc", "999999"):
        assert list_names(client.get("/households/", {"village": village.pk, "group": bogus})) == ["本村一组"]


def test_team_member_cannot_use_another_villages_group(client, team_member_a, village, team_village):
    outside = VillageGroupFactory(village=village, number=3)
    inside = VillageGroupFactory(village=team_village, number=1)
    make_household(village, "外村三组户", group=outside)
    make_household(team_village, "本村一组户", group=inside)
    client.force_login(team_member_a)
    for params in (
        {"village": village.pk, "group": outside.pk},
        {"village": team_village.pk, "group": outside.pk},
        {"group": outside.pk},
    ):
        response = client.get("/households/", params)
        assert response.status_code == 200
        assert list_names(response) == ["本村一组户"], params
        body = response.content.decode()
        assert "外村三组户" not in body and "陡岩村" not in body
    # The other village's groups are never offered in the select either.
    form = client.get("/households/", {"village": village.pk}).context["form"]
    assert list(form.fields["group"].queryset) == [inside]  # only the team's own villages' groups
    assert list_names(client.get("/households/", {"village": team_village.pk, "group": inside.pk})) == ["本村一组户"]


def test_category_filter_narrows_the_list_and_ignores_unknown_values(client, town_officer, village):
    disabled = CategoryFactory(town=village.town, name="重残类")
    elderly = CategoryFactory(town=village.town, name="高龄类")
    make_household(village, "重残户", category=disabled)
    make_household(village, "高龄户", category=elderly)
    make_household(village, "不分类户")
    client.force_login(town_officer)
    response = client.get("/households/", {"category": disabled.pk})
    assert list_names(response) == ["重残户"]
    assert f'<option value="{disabled.pk}" selected>重残类</option>' in response.content.decode()
    assert list_names(client.get("/households/", {"category": elderly.pk, "village": village.pk})) == ["高龄户"]
    # A category with no household gives an empty list with the usual Chinese notice.
    empty = CategoryFactory(town=village.town, name="单亲类")
    response = client.get("/households/", {"category": empty.pk})
    assert list_names(response) == [] and "没有符合条件的低保户。" in response.content.decode()
    # An unknown or malformed category is ignored (no error page, no message): the whole list.
    for bogus in ("999999", "abc", "-1"):
        response = client.get("/households/", {"category": bogus})
        assert response.status_code == 200
        assert sorted(list_names(response)) == ["不分类户", "重残户", "高龄户"], bogus
        assert "category" in response.context["form"].errors


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
    # 22: the town boundary costs one query (the villages of the user's towns, issue 19), and the
    # header and footer naming the user's own town one more (kanjia.context_processors).
    with django_assert_max_num_queries(22):
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
            "incomes-0-member": "new-0",  # offered before the first submit as 成员栏第 1 行
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
    assert h.incomes.get().member == h.head
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


NEW_MEMBER_ROW = {
    "members-1-name": "王小妹",
    "members-1-relation": "子女",
    "members-1-health": "健康",
    "members-1-work_capacity": "有劳动能力",
    "members-1-employment": "务工",
}
NEW_INCOME_ROW = {"incomes-0-kind": "工资性收入", "incomes-0-monthly_amount": "1500", "incomes-0-counted": "on"}


def _member_choices(response, row: int = 0) -> dict[str, str]:
    return {str(v): label for v, label in response.context["incomes"].forms[row].fields["member"].choices}


def test_income_of_a_member_added_in_the_same_submit_is_never_filed_as_household_income(client, town_officer, village):
    """Before: the income row could only name stored members, so it was saved silently as 家庭 income."""
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    data.update(
        {**NEW_MEMBER_ROW, **NEW_INCOME_ROW, "members-1-id_number": idcard.generate(born=date(1995, 1, 1), male=False)}
    )
    data["incomes-0-member"] = ""  # left at the default
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert response.status_code == 400
    assert response.context["incomes"].forms[0].errors["member"] == [
        "本次同时新增了成员王小妹，请在此选择这项收入属于谁（新增成员已列入选项）；属于全家的收入请选“家庭（不指定成员）”。"
    ]
    body = response.content.decode()
    assert "未保存" in body and "王小妹" in body and "1500" in body  # everything entered comes back
    assert (h.members.count(), h.incomes.count()) == (1, 0)
    h.refresh_from_db()
    assert h.version == 1
    # The new member is now offered by name, next to an explicit household choice.
    choices = _member_choices(response)
    assert choices["new-1"] == "王小妹（本次新增）" and choices["household"] == "家庭（不指定成员）"
    data = edit_post_data(response)
    assert data["members-1-name"] == "王小妹" and data["incomes-0-monthly_amount"] == "1500"
    data["incomes-0-member"] = "new-1"
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    item = h.incomes.get()
    assert (item.member.name, item.monthly_amount, item.member.household_id) == ("王小妹", 1500, h.pk)
    assert "王小妹" in client.get(f"/households/{h.pk}/").content.decode()


def test_new_member_row_is_offered_for_income_before_the_first_submit(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    response = client.get(f"/households/{h.pk}/edit/")
    choices = _member_choices(response)
    assert choices["new-1"] == "成员栏第 2 行（本次新增）"
    assert choices[""] == "（请选择收入归属）" and str(h.head.pk) in choices
    data = edit_post_data(response)
    data.update(
        {**NEW_MEMBER_ROW, **NEW_INCOME_ROW, "members-1-id_number": idcard.generate(born=date(1996, 2, 2), male=False)}
    )
    data["incomes-0-member"] = "new-1"
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    assert h.incomes.get().member.name == "王小妹"


def test_household_income_next_to_a_new_member_must_be_chosen_explicitly(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    data.update({**NEW_MEMBER_ROW, "members-1-id_number": idcard.generate(born=date(1997, 3, 3), male=True)})
    data.update({"incomes-0-member": "household", "incomes-0-kind": "财产净收入", "incomes-0-monthly_amount": "80"})
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    item = h.incomes.get()
    assert (item.member, item.monthly_amount) == (None, 80)
    # Without a new member the default still means household income, as before.
    response = client.get(f"/households/{h.pk}/edit/")
    assert _member_choices(response, row=1)[""] == "（请选择收入归属）"  # a blank member row is on the page
    data = edit_post_data(response)
    data.update({"incomes-1-kind": "其他转移性收入", "incomes-1-monthly_amount": "30", "incomes-1-counted": "on"})
    assert client.post(f"/households/{h.pk}/edit/", data).status_code == 302
    assert h.incomes.filter(member__isnull=True).count() == 2


def test_income_for_a_new_member_deleted_in_the_same_submit_is_refused(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    data.update(
        {**NEW_MEMBER_ROW, **NEW_INCOME_ROW, "members-1-id_number": idcard.generate(born=date(1998, 4, 4), male=False)}
    )
    data.update({"incomes-0-member": "new-1", "members-1-DELETE": "on"})
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert response.status_code == 400
    assert response.context["incomes"].forms[0].errors["member"] == [
        "所选成员不在本户（或本次已删除），请重新选择这项收入属于谁。"
    ]
    assert (h.members.count(), h.incomes.count()) == (1, 0)


def test_income_of_a_new_member_with_a_bad_id_number_saves_nothing(client, town_officer, village):
    h = make_household(village, "王大山")
    client.force_login(town_officer)
    data = edit_post_data(client.get(f"/households/{h.pk}/edit/"))
    good = idcard.generate(born=date(1999, 5, 5), male=False)
    data.update(
        {**NEW_MEMBER_ROW, **NEW_INCOME_ROW, "members-1-id_number": good[:17] + ("1" if good[17] != "1" else "2")}
    )
    data["incomes-0-member"] = "new-1"
    response = client.post(f"/households/{h.pk}/edit/", data)
    assert response.status_code == 400
    assert "校验码" in response.context["members"].forms[1].errors["id_number"][0]
    assert _member_choices(response)["new-1"] == "王小妹（本次新增）"
    assert 'value="new-1" selected' in response.content.decode()  # the choice is kept
    assert (h.members.count(), h.incomes.count()) == (1, 0)


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
