"""The application's database role cannot rewrite history (PostgreSQL only)."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from archives.management.commands.audit_db_role import protected_tables
from households.models import Household
from kanjia.models import AccessLog

ROLE = "kanjia_app_test"
H = Household.history.model._meta.db_table
A = AccessLog._meta.db_table


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        print("SKIP: database roles are a PostgreSQL feature; run with DATABASE_URL=postgres://… to test them.")
        pytest.skip("needs PostgreSQL")


def test_audit_tables_cover_every_history_table_and_the_access_log():
    tables = protected_tables()
    assert A in tables and "archives_auditseal" in tables
    assert all(
        "historical" in t
        for t in tables
        if t not in (A, "archives_auditseal", "archives_auditpurge", "archives_verificationrun")
    )
    assert H in tables and "review_historicalcase" in tables


@pytest.mark.django_db
def test_app_role_appends_but_cannot_update_or_delete_audit_rows(pg, history, town_officer):
    call_command("audit_db_role", role=ROLE)
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        # Appending works: an access-log row and a history row.
        cursor.execute(
            f"INSERT INTO {A} (at, user_id, ip, action, object_type, object_id, detail) "  # noqa: S608
            "VALUES (now(), %s, '', 'view', '', '', 'as app role')",
            [town_officer.pk],
        )
        # Ordinary tables stay writable.
        cursor.execute("UPDATE households_household SET address = 'x' WHERE id = %s", [history[0].pk])
        for statement in (
            f"UPDATE {H} SET base_amount = 1",  # noqa: S608
            f"DELETE FROM {H}",  # noqa: S608
            f"DELETE FROM {A}",  # noqa: S608
            "UPDATE archives_auditseal SET digest = ''",
            f"TRUNCATE {A}",
        ):
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == ROLE
        cursor.execute(f"SELECT count(*) FROM {A} WHERE detail = 'as app role'")  # noqa: S608
        assert cursor.fetchone()[0] == 1
