"""The town office's rules pages: 保障标准, 分类施保类别, 财产核查规则 (issue 3).

镇民政办 changes them (each change recorded with who made it); 区民政局 and
纪委监察 read them; 清理小组 and users without a role are refused. A standard
that has come into force stays as it was: the benefit of past months depends on it.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from households.benefit import benefit_for
from households.models import Category, Household, PropertyRule, Standard
from tests.factories import (
    CategoryFactory,
    HouseholdFactory,
    MemberFactory,
    PropertyRuleFactory,
    StandardFactory,
    TownFactory,
    VillageFactory,
)

pytestmark = pytest.mark.django_db

STANDARDS = reverse("households:standards")
STANDARD_NEW = reverse("households:standard_new")
CATEGORIES = reverse("households:categories")
CATEGORY_NEW = reverse("households:category_new")
RULES = reverse("households:property_rules")
RULE_NEW = reverse("households:property_rule_new")


def today():
    return timezone.localdate()


def first_of_next_month():
    return (today().replace(day=1) + timedelta(days=32)).replace(day=1)


@pytest.fixture
def town():
    return TownFactory()


@pytest.fixture
def current(town):
    """The rural standard in force today (since 2021)."""
    return StandardFactory(town=town, area="农村", monthly_amount=Decimal("470.00"))


@pytest.fixture
def future(town, current):
    return StandardFactory(
        town=town, area="农村", monthly_amount=Decimal("520.00"), effective_from=first_of_next_month()
    )


def standard_post(town, **overrides) -> dict:
    data = {
        "town": town.pk,
        "area": "农村",
        "monthly_amount": "560.00",
        "effective_from": first_of_next_month().isoformat(),
        "rounding": "yuan",
        "note": "雁民发〔2026〕1号",
    }
    return {**data, **overrides}


def text(response) -> str:
    return response.content.decode()


# --- 保障标准 ----------------------------------------------------------------------


def test_list_shows_the_standard_in_force_today_and_the_coming_one_newest_first(client, town_officer, future):
    StandardFactory(
        town=future.town,
        area="农村",
        monthly_amount=Decimal("400.00"),
        effective_from=future.effective_from.replace(year=2019),
    )
    client.force_login(town_officer)
    response = client.get(STANDARDS)
    assert response.status_code == 200
    rural = next(s for s in response.context["sections"] if s.area == "农村")
    assert [(r.standard.monthly_amount, r.state) for r in rural.rows] == [
        (Decimal("520.00"), "待执行"),
        (Decimal("470.00"), "现行"),
        (Decimal("400.00"), "已停止执行"),
    ]
    assert "现行 470.00 元/人·月" in text(response)
    # No urban standard yet: the office is told the urban benefit cannot be computed.
    assert "尚未设置城市保障标准" in text(response)
    assert "新增保障标准" in text(response)


def test_town_officer_adds_a_standard_and_is_recorded_as_its_author(client, town_officer, town, current):
    client.force_login(town_officer)
    response = client.post(STANDARD_NEW, standard_post(town), follow=True)
    assert response.redirect_chain[-1][0] == STANDARDS
    assert "已新增保障标准" in text(response)
    added = Standard.objects.get(effective_from=first_of_next_month())
    assert added.monthly_amount == Decimal("560.00") and added.note == "雁民发〔2026〕1号"
    record = added.history.get()
    assert record.history_type == "+" and record.history_user == town_officer


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"monthly_amount": "-1"}, "monthly_amount", "月保障标准(元/人)不能为负数。"),
        ({"monthly_amount": "abc"}, "monthly_amount", "应为数字"),
        ({"effective_from": ""}, "effective_from", "请填写执行起始日期。"),
        ({"effective_from": "same as the coming one"}, "effective_from", "已有一条保障标准，同一日期只能有一条"),
        ({"effective_from": "2024-03-01"}, "effective_from", "执行起始日期不能早于今天"),
    ],
)
def test_bad_standard_keeps_the_form_with_a_chinese_message_and_saves_nothing(
    client, town_officer, town, future, change, field, message
):
    client.force_login(town_officer)
    change = dict(change)
    if change.get("effective_from") == "same as the coming one":
        change = {"effective_from": future.effective_from.isoformat()}
    else:
        change.setdefault("effective_from", (future.effective_from + timedelta(days=14)).isoformat())
    response = client.post(STANDARD_NEW, standard_post(town, **change))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in text(response)
    assert Standard.objects.count() == 2
    assert Standard.history.count() == 2  # only the fixtures' own records


def test_town_officer_edits_a_standard_not_yet_in_force(client, town_officer, future):
    client.force_login(town_officer)
    url = reverse("households:standard_edit", args=[future.pk])
    page = client.get(url)
    assert page.status_code == 200 and "删除这条尚未执行的标准" in text(page)
    data = {**standard_post(future.town), "monthly_amount": "530.00", "effective_from": future.effective_from}
    response = client.post(url, data)
    assert response.status_code == 302
    future.refresh_from_db()
    assert future.monthly_amount == Decimal("530.00")
    latest = future.history.first()
    assert latest.history_type == "~" and latest.history_user == town_officer
    # The edit page lists who changed it.
    assert "测试民政" in text(client.get(url))


def test_a_standard_in_force_cannot_be_edited_or_deleted(client, town_officer, current):
    client.force_login(town_officer)
    url = reverse("households:standard_edit", args=[current.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "已于 2021年01月01日 起执行，不能再修改或删除" in text(page)
    assert 'name="monthly_amount"' not in text(page)  # no form to fill in

    response = client.post(
        url, {**standard_post(current.town), "monthly_amount": "999", "effective_from": "2021-01-01"}
    )
    assert response.status_code == 400 and "不能再修改或删除" in text(response)
    response = client.post(reverse("households:standard_delete", args=[current.pk]), follow=True)
    assert "不能再修改或删除" in text(response)

    current.refresh_from_db()
    assert current.monthly_amount == Decimal("470.00")
    assert current.history.count() == 1


def test_a_standard_not_yet_in_force_can_be_deleted(client, town_officer, future):
    client.force_login(town_officer)
    response = client.post(reverse("households:standard_delete", args=[future.pk]), follow=True)
    assert "已删除尚未执行的保障标准" in text(response)
    assert not Standard.objects.filter(pk=future.pk).exists()
    deleted = Standard.history.filter(id=future.pk).first()
    assert deleted.history_type == "-" and deleted.history_user == town_officer


def test_a_standard_from_next_month_leaves_this_months_benefit_as_it_was(client, town_officer, town, current):
    household = HouseholdFactory(village=VillageFactory(town=town), area="农村")
    MemberFactory(household=household)
    before = benefit_for(household=household, month=today())
    assert before.standard == current and before.base_amount == Decimal("470.00")

    client.force_login(town_officer)
    client.post(STANDARD_NEW, standard_post(town, monthly_amount="600.00"))

    household = Household.objects.get(pk=household.pk)
    this_month = benefit_for(household=household, month=today())
    assert this_month.standard == current and this_month.base_amount == Decimal("470.00")
    next_month = benefit_for(household=household, month=first_of_next_month())
    assert next_month.base_amount == Decimal("600.00")
    # The household page shows this month's computation, still with the standard in force.
    page = client.get(reverse("households:detail", args=[household.pk]))
    assert page.context["computation"].base_amount == Decimal("470.00")


# --- 分类施保类别 -------------------------------------------------------------------


def test_town_officer_creates_and_edits_a_category_with_history_user(client, town_officer, town):
    client.force_login(town_officer)
    response = client.post(
        CATEGORY_NEW, {"town": town.pk, "name": "重度残疾人", "extra_amount": "60", "description": ""}
    )
    assert response.status_code == 302
    category = Category.objects.get(name="重度残疾人")
    assert category.extra_amount == Decimal("60.00") and category.active
    url = reverse("households:category_edit", args=[category.pk])
    data = {"name": "重度残疾人", "extra_amount": "80", "description": "一二级残疾", "active": "on"}
    assert client.post(url, data).status_code == 302
    category.refresh_from_db()
    assert category.extra_amount == Decimal("80.00")
    assert [h.history_user for h in category.history.all()] == [town_officer, town_officer]
    assert "80.00" in text(client.get(CATEGORIES))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "孤老", "extra_amount": "-5"}, "extra_amount", "每人每月加发金额(元)不能为负数。"),
        ({"name": "", "extra_amount": "5"}, "name", "请填写类别名称。"),
        ({"name": "已有类别", "extra_amount": "5"}, "name", "已有名为“已有类别”的分类施保类别"),
    ],
)
def test_bad_category_gets_a_chinese_message_and_saves_nothing(client, town_officer, town, data, field, message):
    CategoryFactory(town=town, name="已有类别")
    client.force_login(town_officer)
    response = client.post(CATEGORY_NEW, {"town": town.pk, **data})
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert Category.objects.count() == 1


def test_a_category_nobody_uses_is_deleted(client, town_officer, town):
    category = CategoryFactory(town=town)
    client.force_login(town_officer)
    response = client.post(reverse("households:category_remove", args=[category.pk]), follow=True)
    assert "已删除分类施保类别" in text(response)
    assert not Category.objects.filter(pk=category.pk).exists()


def test_a_category_a_household_uses_is_deactivated_not_deleted(client, town_officer, town):
    category = CategoryFactory(town=town, name="高龄老人")
    household = HouseholdFactory(village=VillageFactory(town=town), category=category)
    MemberFactory(household=household)
    client.force_login(town_officer)
    edit = client.get(reverse("households:category_edit", args=[category.pk]))
    assert "不能删除，只能停用" in text(edit)

    response = client.post(reverse("households:category_remove", args=[category.pk]), follow=True)
    assert "不能删除，已改为停用" in text(response)
    category.refresh_from_db()
    assert not category.active
    assert category.history.first().history_user == town_officer
    household.refresh_from_db()
    assert household.category == category
    # The household's edit form still offers (and keeps) its now inactive category.
    form = client.get(reverse("households:edit", args=[household.pk])).context["form"]
    assert category in form.fields["category"].queryset
    # …while a new household can no longer be given it.
    new_form = client.get(reverse("households:create")).context["form"]
    assert category not in new_form.fields["category"].queryset


# --- 财产核查规则 -------------------------------------------------------------------


def test_town_officer_adds_and_deactivates_a_property_rule(client, town_officer, town):
    client.force_login(town_officer)
    empty = client.post(RULE_NEW, {"town": town.pk, "name": "车辆", "kind": "小轿车"})
    assert empty.status_code == 400 and "数量上限和价值上限至少要填写一项" in text(empty)
    assert not PropertyRule.objects.exists()

    response = client.post(RULE_NEW, {"town": town.pk, "name": "不得有小轿车", "kind": "小轿车", "max_quantity": "0"})
    assert response.status_code == 302
    rule = PropertyRule.objects.get()
    url = reverse("households:property_rule_edit", args=[rule.pk])
    assert client.post(url, {"name": "不得有小轿车", "kind": "小轿车", "max_quantity": "0"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.active
    assert [h.history_user for h in rule.history.all()] == [town_officer, town_officer]
    assert "已停用" in text(client.get(RULES))


def test_negative_property_limit_is_refused_in_chinese(client, town_officer, town):
    client.force_login(town_officer)
    response = client.post(RULE_NEW, {"town": town.pk, "name": "存款", "kind": "存款", "max_value": "-100"})
    assert response.status_code == 400 and "价值上限(元)不能为负数。" in text(response)
    assert not PropertyRule.objects.exists()


# --- Who may do what ----------------------------------------------------------------


@pytest.fixture
def objects(town, future):
    return {
        "standard": future,
        "category": CategoryFactory(town=town),
        "rule": PropertyRuleFactory(town=town),
    }


def change_requests(objects, town):
    s, c, r = objects["standard"], objects["category"], objects["rule"]
    return [
        (STANDARD_NEW, standard_post(town)),
        (reverse("households:standard_edit", args=[s.pk]), {**standard_post(town), "monthly_amount": "1"}),
        (reverse("households:standard_delete", args=[s.pk]), {}),
        (CATEGORY_NEW, {"town": town.pk, "name": "越权", "extra_amount": "1"}),
        (reverse("households:category_edit", args=[c.pk]), {"name": "越权", "extra_amount": "1"}),
        (reverse("households:category_remove", args=[c.pk]), {}),
        (RULE_NEW, {"town": town.pk, "name": "越权", "kind": "住房", "max_quantity": "9"}),
        (reverse("households:property_rule_edit", args=[r.pk]), {"name": "越权", "kind": "住房", "max_quantity": "9"}),
    ]


def counts():
    return (Standard.history.count(), Category.history.count(), PropertyRule.history.count())


@pytest.mark.parametrize("persona", ["district_officer", "inspector"])
def test_readers_see_the_rules_but_every_change_is_refused(client, request, persona, objects, town):
    client.force_login(request.getfixturevalue(persona))
    for url in (STANDARDS, CATEGORIES, RULES):
        response = client.get(url)
        assert response.status_code == 200, url
        # Nothing to click that would change a rule: no add button, no edit link.
        assert not {STANDARD_NEW, CATEGORY_NEW, RULE_NEW} & set(text(response).split('"')), url
        assert "修改</a>" not in text(response), url
    assert "520.00" in text(client.get(STANDARDS))
    before = counts()
    for url, data in change_requests(objects, town):
        assert client.get(url).status_code in (403, 405), url
        response = client.post(url, data)
        assert response.status_code == 403, url
    assert counts() == before


@pytest.mark.parametrize("persona", ["team_member_a", "outsider"])
def test_teams_and_users_without_a_role_are_refused_everything(client, request, persona, objects, town):
    client.force_login(request.getfixturevalue(persona))
    for url in (STANDARDS, CATEGORIES, RULES):
        response = client.get(url)
        assert response.status_code == 403 and "只有镇民政办、区民政局和纪委监察可以查阅" in text(response)
    before = counts()
    for url, data in change_requests(objects, town):
        assert client.post(url, data).status_code == 403, url
    assert counts() == before


def test_the_register_links_to_the_rules_for_town_wide_roles_only(client, town_officer, team_member_a):
    client.force_login(town_officer)
    assert STANDARDS in text(client.get(reverse("households:list")))
    client.force_login(team_member_a)
    assert STANDARDS not in text(client.get(reverse("households:list")))
