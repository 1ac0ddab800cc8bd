"""Issue 17: the system administrator administers accounts and roles; deciding roles need a second person.

The README said 系统管理员 manages users in /admin/, and the demo sysadmin got "你没有查看或编辑的权限"
and 403 on users. Now: /accounts/manage/ for accounts, passwords, lockouts and roles; giving 镇民政办 or
区民政局 waits for another person of the town office; every role change is in the audit trail.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from archives.audit.services import Filters, timeline
from kanjia import roles
from kanjia.accounts import services
from kanjia.models import AccountEvent, RoleChange
from tests.conftest import make_user
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Neu-Passwort-2026"


@pytest.fixture
def clerk(db) -> User:
    return make_user("clerk", None, full_name="李新人")


def has_role(user: User, role: str) -> bool:
    return User.objects.get(pk=user.pk).groups.filter(name=role).exists()


def test_only_the_sysadmin_opens_the_accounts_pages(client, personas, sysadmin):
    url = reverse("accounts:list")
    for persona in personas.values():
        client.force_login(persona)
        assert client.get(url).status_code in (302, 403), persona
    client.force_login(sysadmin)
    page = client.get(url)
    assert page.status_code == 200 and "账号与角色" in page.content.decode()
    assert "账号与角色" in client.get("/").content.decode()  # in the sysadmin's menu


def test_sysadmin_creates_an_account_with_the_password_rules(client, sysadmin):
    client.force_login(sysadmin)
    weak = client.post(reverse("accounts:list"), {"username": "wang", "full_name": "王五", "password": "abc"})
    assert weak.status_code == 400 and not User.objects.filter(username="wang").exists()
    assert "王五" in weak.content.decode()  # input kept
    made = client.post(reverse("accounts:list"), {"username": "wang", "full_name": "王五", "password": NEW_PASSWORD})
    user = User.objects.get(username="wang")
    assert made.status_code == 302 and user.groups.count() == 0
    assert AccountEvent.objects.get(user=user).action == AccountEvent.Action.CREATE


def test_password_reset_deactivate_and_unlock(client, sysadmin, clerk):
    client.force_login(sysadmin)
    client.post(reverse("accounts:account_post", args=[clerk.pk, "password"]), {"password": NEW_PASSWORD})
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    # Locked by django-axes after five wrong passwords: the page says so, and the sysadmin lifts it.
    AccessAttempt.objects.create(
        username=clerk.username,
        ip_address="10.0.0.9",
        failures_since_start=5,
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
    )
    page = client.get(reverse("accounts:account", args=[clerk.pk])).content.decode()
    assert "登录已锁定" in page
    client.post(reverse("accounts:account_post", args=[clerk.pk, "unlock"]))
    assert not AccessAttempt.objects.filter(username=clerk.username).exists()
    client.post(reverse("accounts:account_post", args=[clerk.pk, "deactivate"]), {"reason": "调离"})
    clerk.refresh_from_db()
    assert not clerk.is_active
    with pytest.raises(ValidationError):
        services.account_set_active(user=sysadmin, active=False, by=sysadmin)
    actions = set(AccountEvent.objects.filter(user=clerk).values_list("action", flat=True))
    assert actions == {"password", "unlock", "deactivate"}


def test_a_deciding_role_waits_for_a_second_person_of_the_town_office(client, sysadmin, clerk, town_officer):
    client.force_login(sysadmin)
    client.post(
        reverse("accounts:account_post", args=[clerk.pk, "role"]),
        {"change": "add", "role": roles.DISTRICT, "reason": "区局借调"},
    )
    change = RoleChange.objects.get(user=clerk)
    assert change.state == RoleChange.State.PENDING and not has_role(clerk, roles.DISTRICT)
    # The requester cannot confirm it, not even through the page.
    response = client.post(reverse("accounts:role_change", args=[change.pk, "confirm"]))
    assert response.status_code == 403 and not has_role(clerk, roles.DISTRICT)
    # A second person of the town office confirms: now it applies.
    client.force_login(town_officer)
    pending = client.get(reverse("accounts:roles")).content.decode()
    assert "区局借调" in pending and "确认" in pending
    client.post(reverse("accounts:role_change", args=[change.pk, "confirm"]))
    change.refresh_from_db()
    assert change.state == RoleChange.State.APPLIED and change.decided_by == town_officer
    assert has_role(clerk, roles.DISTRICT)


def test_nobody_gives_themselves_a_deciding_role(sysadmin, town_officer):
    # The sysadmin asks for 镇民政办 for their own account: pending, and they cannot confirm it.
    own = services.role_request(user=sysadmin, role=roles.TOWN_OFFICE, change="add", by=sysadmin, town=TownFactory())
    assert own.state == RoleChange.State.PENDING and not has_role(sysadmin, roles.TOWN_OFFICE)
    with pytest.raises(PermissionDenied):
        services.role_confirm(change=own, by=sysadmin)
    # An administrator who is also in the town office still cannot confirm their own request…
    both = make_user("both", roles.SYSADMIN, full_name="兼职管理")
    both.groups.add(Group.objects.get(name=roles.TOWN_OFFICE))
    theirs = services.role_request(user=town_officer, role=roles.DISTRICT, change="add", by=both)
    with pytest.raises(ValidationError, match="另一人"):
        services.role_confirm(change=theirs, by=both)
    # …and the account being given the role cannot confirm it either.
    with pytest.raises(ValidationError, match="自己"):
        services.role_confirm(change=theirs, by=town_officer)
    # The database refuses a request confirmed by its own requester, whatever the code.
    own.decided_by = sysadmin
    with pytest.raises(IntegrityError), transaction.atomic():
        own.save()


def test_other_roles_apply_at_once_and_teams_go_through_team_services(sysadmin, clerk):
    given = services.role_request(user=clerk, role=roles.INSPECTOR, change="add", by=sysadmin, town=TownFactory())
    assert given.state == RoleChange.State.APPLIED and has_role(clerk, roles.INSPECTOR)
    taken = services.role_request(user=clerk, role=roles.INSPECTOR, change="remove", by=sysadmin, town=TownFactory())
    assert taken.state == RoleChange.State.APPLIED and not has_role(clerk, roles.INSPECTOR)
    with pytest.raises(ValidationError, match="清理小组"):
        services.role_request(user=clerk, role=roles.VILLAGE_TEAM, change="add", by=sysadmin)
    sysadmin_role = services.role_request(user=clerk, role=roles.SYSADMIN, change="add", by=sysadmin)
    assert sysadmin_role.state == RoleChange.State.APPLIED and User.objects.get(pk=clerk.pk).is_staff


def test_every_role_change_is_in_the_audit_trail(sysadmin, clerk, town_officer, client):
    services.role_request(user=clerk, role=roles.INSPECTOR, change="add", by=sysadmin, town=TownFactory())
    pending = services.role_request(user=clerk, role=roles.TOWN_OFFICE, change="add", by=sysadmin, town=TownFactory())
    other = make_user("town_2", roles.TOWN_OFFICE, full_name="镇民政二")
    services.role_confirm(change=pending, by=other)
    entries = timeline(Filters(object_kind=RoleChange.history.model._meta.db_table))
    assert len(entries) == 3  # two requests, one confirmation
    assert all("李新人（clerk）" in e.label for e in entries), [e.label for e in entries]
    confirmed = entries[0]
    assert confirmed.user == "镇民政二" and any(d.field == "确认人" and "镇民政二" in d.new for d in confirmed.diffs)
    client.force_login(town_officer)
    assert "角色变更" in client.get(reverse("audit:index")).content.decode()


def test_team_membership_still_goes_through_team_services(sysadmin, clerk, town_officer):
    from review.models import TeamMembership
    from review.teams import services as teams

    team = teams.team_create(name="第八组", by=town_officer)
    teams.team_add_member(team=team, user=clerk, role=TeamMembership.Role.CADRE, by=town_officer)
    assert has_role(clerk, roles.VILLAGE_TEAM)
    with pytest.raises(PermissionDenied):
        services.role_request(user=clerk, role=roles.DISTRICT, change="add", by=town_officer)  # not a sysadmin


def test_a_team_member_is_never_made_district_officer_or_inspector(sysadmin, clerk, town_officer):
    """A 清理小组 member who became 区民政局 would approve what they investigated; one who became 纪委监察
    would inspect their own work. Refused at the request, and again at the confirmation."""
    from review.models import TeamMembership
    from review.teams import services as teams

    waiting = services.role_request(user=clerk, role=roles.DISTRICT, change="add", by=sysadmin)
    team = teams.team_create(name="第九组", by=town_officer)
    teams.team_add_member(team=team, user=clerk, role=TeamMembership.Role.CADRE, by=town_officer)
    for role in (roles.INSPECTOR, roles.SYSADMIN):
        with pytest.raises(ValidationError, match="清理小组成员"):
            services.role_request(user=clerk, role=role, change="add", by=sysadmin)
    # Joined a team while the district request waited: the confirmation is refused too.
    second = make_user("town_3", roles.TOWN_OFFICE, full_name="镇民政三")
    with pytest.raises(ValidationError, match="清理小组成员"):
        services.role_confirm(change=waiting, by=second)
    assert not has_role(clerk, roles.DISTRICT)
    # Out of the team, the request can be made again.
    teams.team_remove_member(team=team, user=clerk, by=town_officer)
    services.role_request(user=clerk, role=roles.INSPECTOR, change="add", by=sysadmin, town=TownFactory())
    assert has_role(clerk, roles.INSPECTOR)
