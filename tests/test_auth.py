"""Login, lockout, passwords, sessions: the 等保 authentication baseline."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_with_right_password_reaches_dashboard(client, town_officer):
    response = post_login(client, "town_officer", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert "工作台" in page.content.decode()


def test_wrong_password_shows_chinese_error(client, town_officer):
    response = post_login(client, "town_officer", "wrong-Password-1")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_sixth_attempt_is_locked_even_with_right_password(client, town_officer):
    for _ in range(5):
        post_login(client, "town_officer", "wrong-Password-1")
    sixth = post_login(client, "town_officer", "wrong-Password-1")
    assert sixth.status_code == 429
    assert "锁定" in sixth.content.decode()
    right = post_login(client, "town_officer", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_cooloff(client, town_officer, settings):
    from axes.models import AccessAttempt

    for _ in range(5):
        post_login(client, "town_officer", "wrong-Password-1")
    assert post_login(client, "town_officer", PASSWORD).status_code == 429
    # 30 minutes later (moved back in the database, not slept).
    from datetime import timedelta

    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=31)
        attempt.save()
    assert post_login(client, "town_officer", PASSWORD).status_code == 302


def test_lockout_is_per_username_and_ip(client, town_officer, district_officer):
    for _ in range(5):
        post_login(client, "town_officer", "wrong-Password-1")
    # Another account from the same address still logs in.
    assert post_login(client, "district_officer", PASSWORD).status_code == 302


@pytest.mark.parametrize("weak", ["abc123", "abcdefgh", "abcdefg1", "ABCDEFG1", "12345678"])
def test_weak_passwords_are_refused_in_chinese(weak):
    with pytest.raises(ValidationError) as err:
        validate_password(weak)
    assert any("密码" in m for m in err.value.messages)


def test_password_with_three_classes_is_accepted():
    validate_password("Kanjia-minzheng-9")


def test_idle_timeout_is_thirty_minutes_and_refreshed(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_absolute_session_limit_logs_out(client, town_officer, settings):
    client.force_login(town_officer)
    session = client.session
    session["login_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 10
    session.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_login_issues_a_new_session_id(client, town_officer):
    client.get(reverse("login"))
    client.cookies["sessionid"] = "attacker-chosen-session-id"
    post_login(client, "town_officer", PASSWORD)
    assert client.cookies["sessionid"].value != "attacker-chosen-session-id"


def test_logout_ends_the_session(client, town_officer):
    client.force_login(town_officer)
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_deactivated_user_loses_the_session(client, town_officer):
    client.force_login(town_officer)
    town_officer.is_active = False
    town_officer.save()
    assert client.get(reverse("dashboard")).status_code == 302


def test_admin_is_for_system_administrators_only(client, town_officer, sysadmin):
    client.force_login(town_officer)
    assert client.get("/admin/").status_code == 302
    client.force_login(sysadmin)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "系统管理" in response.content.decode()
