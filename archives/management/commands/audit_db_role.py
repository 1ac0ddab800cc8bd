"""Create (or refresh) the PostgreSQL role the application runs as: full use of every table except the
audit tables, which it may read and append to but never UPDATE, DELETE or TRUNCATE (docs/audit.md)."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from archives.audit.seals import audit_tables

EXTRA_AUDIT_TABLES = ("archives_auditseal", "archives_auditpurge", "archives_verificationrun")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def protected_tables() -> list[str]:
    return sorted({t.name for t in audit_tables()} | set(EXTRA_AUDIT_TABLES))


class Command(BaseCommand):
    help = (
        "Create/refresh the application's PostgreSQL role without UPDATE/DELETE on audit tables. Rerun after migrate."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default="kanjia_app")
        parser.add_argument("--login-password", default="", help="make it a LOGIN role with this password")

    def handle(self, *args, role: str, login_password: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("数据库角色仅适用于 PostgreSQL。")
        if not NAME.match(role):
            raise CommandError("角色名只能包含小写字母、数字和下划线。")
        q = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {q(role)} NOLOGIN")
            if login_password:
                cursor.execute(f"ALTER ROLE {q(role)} LOGIN PASSWORD %s", [login_password])
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {q(role)}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q(role)}")
            cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {q(role)}")
            tables = protected_tables()
            for table in tables:
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {q(table)} FROM {q(role)}")
                cursor.execute(f"GRANT SELECT, INSERT ON {q(table)} TO {q(role)}")
        self.stdout.write(f"角色 {role}：可读写全部数据表；{len(tables)} 张审计表只可查询和追加（无 UPDATE/DELETE）。")
