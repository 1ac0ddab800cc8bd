"""Each role's menu shows its own entries; the current section is highlighted."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu(client, user, path="/"):
    client.force_login(user)
    response = client.get(path)
    return [(item["label"], item["active"]) for item in response.context["nav"]]


def labels(items):
    return [label for label, _ in items]


def test_town_officer_menu(client, town_officer):
    assert labels(menu(client, town_officer)) == [
        "首页", "低保户", "台账导入导出", "专项行动", "清理小组", "公示", "通知与申诉", "档案", "近亲属备案",
        "近亲属申报", "审计", "节假日", "角色确认",
    ]  # fmt: skip


def test_seldom_used_entries_fold_under_more_only_when_there_are_several(client, town_officer, team_member_a):
    client.force_login(town_officer)
    body = client.get("/").content.decode()
    more = body.split("dropdown-menu")[1].split("</ul>")[0]
    assert all(label in more for label in ("近亲属申报", "节假日", "角色确认"))
    # A team member has one such entry: it stays in the bar, no 更多.
    client.force_login(team_member_a)
    body = client.get("/").content.decode()
    assert "近亲属申报" in body and "dropdown-menu" not in body


def test_sysadmin_menu_leads_to_accounts_and_roles(client, sysadmin):
    items = labels(menu(client, sysadmin))
    assert "账号与角色" in items and "角色确认" not in items
    assert ("账号与角色", True) in menu(client, sysadmin, reverse("accounts:list"))


def test_team_member_menu_has_no_town_wide_entries(client, team_member_a):
    items = labels(menu(client, team_member_a))
    assert "我的小组" in items and "近亲属申报" in items
    assert not {"清理小组", "近亲属备案", "审计"} & set(items)


def test_inspector_menu_reads_everything(client, inspector):
    items = labels(menu(client, inspector))
    assert {"审计", "近亲属备案", "清理小组"} <= set(items)
    assert "台账导入导出" not in items


def test_active_entry_is_the_longest_matching_section(client, town_officer):
    assert ("台账导入导出", True) in menu(client, town_officer, reverse("households:ledger:index"))
    assert ("低保户", False) in menu(client, town_officer, reverse("households:ledger:index"))
    assert ("低保户", True) in menu(client, town_officer, reverse("households:list"))
    assert ("首页", False) in menu(client, town_officer, reverse("households:list"))
    assert [label for label, active in menu(client, town_officer, "/") if active] == ["首页"]
