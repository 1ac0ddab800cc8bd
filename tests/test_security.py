"""Security headers, read-only inspectors, error pages, deploy checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_headers_on_every_page(client, town_officer):
    client.force_login(town_officer)
    response = client.get(reverse("dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client, town_officer):
    client.force_login(town_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "<script>" not in html and "<script type" not in html
    assert " style=" not in html and "<style" not in html
    assert "http://" not in html and "https://" not in html


def test_inspector_post_is_refused_and_logout_allowed(client, inspector):
    client.force_login(inspector)
    refused = client.post(reverse("households:list"), {"anything": "1"})
    assert refused.status_code == 403
    assert "只能查阅" in refused.content.decode()
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_not_found_page_is_chinese(client, town_officer):
    client.force_login(town_officer)
    response = client.get("/households/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_audit_is_for_inspectors_and_town_office(client, inspector, team_member_a, town_officer):
    client.force_login(team_member_a)
    assert client.get(reverse("audit:index")).status_code == 403
    for user in (inspector, town_officer):
        client.force_login(user)
        assert client.get(reverse("audit:index")).status_code == 200


def test_check_deploy_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "KANJIA_ENV": "production",
        "SECRET_KEY": "x" * 20 + "-production-test-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "dibao.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"KANJIA_ENV": "production", "ALLOWED_HOSTS": "x.example"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_post_without_csrf_token_is_refused_in_chinese(town_officer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(town_officer)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "请刷新页面后重新提交" in response.content.decode()
    # Still logged in: the refused POST changed nothing.
    assert client.get(reverse("dashboard")).status_code == 200
