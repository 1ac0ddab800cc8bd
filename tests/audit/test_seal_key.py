"""Keyed seals, 封存回执 and stable column lists (issue 16, finding 7).

The finding: deleting the seals and the verification runs and sealing again made
`verify_audit` pass over a tampered history row. Now the digests are HMACs with a
key kept outside the database, each seal's digest is printed on a receipt the
inspector keeps, and verification against the last receipt refuses a chain that
was sealed again. A column added to a tracked model later no longer changes the
hashes of rows sealed before.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.urls import reverse

from archives.audit import seals
from archives.audit.seals import Receipt, parse_receipt, seal_audit, verify_audit
from archives.models import AuditSeal, VerificationRun
from households.models import Household
from kanjia.models import AccessLog
from tests.test_pdf_xlsx import pdf_text

pytestmark = pytest.mark.django_db
H = Household.history.model._meta.db_table
KEY = "k" * 40


@pytest.fixture(autouse=True)
def _key(settings):
    settings.AUDIT_SEAL_KEY = KEY


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def receipt_of(seal: AuditSeal) -> Receipt:
    return Receipt(seal.number, seal.digest)


def _tamper_and_reseal(household: Household) -> None:
    """The attack of the finding: change a history row, delete the seals and the runs, seal again."""
    row = household.history.order_by("history_id").first().history_id
    sql(f'UPDATE "{H}" SET base_amount = 1 WHERE history_id = %s', [row])  # noqa: S608
    VerificationRun.objects.all().delete()
    AuditSeal.objects.all().delete()


def test_resealing_a_tampered_history_does_not_match_the_receipt(history):
    seal_audit()
    receipt = receipt_of(AuditSeal.objects.order_by("-number").first())
    assert verify_audit(receipt=receipt).ok

    _tamper_and_reseal(history[0])
    seal_audit()  # the tamperer even has the key (e.g. runs the sealer on the server)
    assert verify_audit().ok  # without the receipt the redone chain looks whole: the paper is the anchor
    run = verify_audit(receipt=receipt)
    assert not run.ok and run.receipt == receipt.text
    assert any("与封存回执不符" in p["text"] or "已不存在" in p["text"] for p in run.problems)


def test_seals_made_without_the_key_do_not_verify(history, settings):
    seal_audit()
    assert verify_audit().ok
    _tamper_and_reseal(history[0])
    settings.AUDIT_SEAL_KEY = "x" * 40  # a tamperer without the key seals with one of his own
    seal_audit()
    settings.AUDIT_SEAL_KEY = KEY
    run = verify_audit()
    assert not run.ok and any("封存密钥不符" in p["text"] for p in run.problems)
    # Plain SHA-256 seals (the old, unkeyed kind) are not accepted either.
    AuditSeal.objects.update(version=1)
    assert not verify_audit().ok


def test_a_column_added_later_does_not_break_old_seals_and_tampering_is_still_caught(history):
    seal_audit()
    model = Household.history.model
    extra = models.IntegerField(null=True, default=None)
    extra.set_attributes_from_name("added_later")
    if connection.vendor == "postgresql":  # run the deferred FK checks first: ALTER refuses pending ones
        sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql(f'ALTER TABLE "{H}" ADD COLUMN added_later integer NULL')
    sql(f'UPDATE "{H}" SET added_later = 7')  # noqa: S608  a migration filling the new column on old rows
    model.add_to_class("added_later", extra)
    try:
        assert "added_later" in seals._columns(seals.table_by_name()[H])
        assert verify_audit().ok  # the old seals hash the columns they recorded

        # Rows written after the migration are sealed with the new column list.
        household = history[1]
        household.address = "新地址"
        household.save()
        assert seal_audit() >= 1
        newest = AuditSeal.objects.filter(table=H).order_by("-number").first()
        assert "added_later" in newest.columns and "added_later" not in AuditSeal.objects.get(number=1).columns
        assert verify_audit().ok

        # Tampering is caught in old columns of old rows and in the new column of new rows.
        old_row = history[0].history.order_by("history_id").first().history_id
        sql(f'UPDATE "{H}" SET base_amount = 1 WHERE history_id = %s', [old_row])  # noqa: S608
        new_row = newest.row_hashes[-1][0]
        sql(f'UPDATE "{H}" SET added_later = 8 WHERE history_id = %s', [new_row])  # noqa: S608
        found = {(p["kind"], p["row_id"]) for p in verify_audit().problems}
        assert found == {("changed", old_row), ("changed", new_row)}
    finally:
        model._meta.local_fields.remove(extra)
        model._meta._expire_cache()
        delattr(model, "added_later")


def test_the_key_lives_outside_the_database_in_an_owner_only_file(settings, tmp_path):
    settings.AUDIT_SEAL_KEY = ""
    path = tmp_path / "seal.key"
    settings.AUDIT_SEAL_KEY_FILE = str(path)
    first = seals.seal_key()  # development: created, 0600
    assert oct(path.stat().st_mode & 0o777) == "0o600" and seals.seal_key() == first
    path.chmod(0o644)
    with pytest.raises(ImproperlyConfigured, match="权限过宽"):
        seals.seal_key()
    settings.PRODUCTION = True
    settings.AUDIT_SEAL_KEY_FILE = str(tmp_path / "missing.key")
    with pytest.raises(ImproperlyConfigured, match="不存在"):
        seals.seal_key()


def test_receipts_are_parsed_strictly():
    assert parse_receipt("12:ABCD-ef01 2345 6789 abcd") == Receipt(12, "abcdef0123456789abcd")
    for bad in ("", "12", "12:abc", "x:0123456789abcdef", "12:0123456789abcdeg"):
        with pytest.raises(ValidationError, match="回执格式"):
            parse_receipt(bad)


def test_the_command_checks_a_receipt(history, capsys):
    seal_audit()
    head = AuditSeal.objects.order_by("-number").first()
    call_command("verify_audit", receipt=f"{head.number}:{head.digest[:16]}")
    assert "审计链校验通过" in capsys.readouterr().out
    with pytest.raises(CommandError, match="未通过"):
        call_command("verify_audit", receipt=f"{head.number}:{'0' * 16}")


def test_the_receipt_pdf_prints_the_digest_and_is_logged(client, history, town_officer, inspector, team_member_a):
    seal_audit()
    head = AuditSeal.objects.order_by("-number").first()
    client.force_login(inspector)
    response = client.get(reverse("audit:seal_receipt"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content).replace(" ", "").replace("\n", "")
    assert "封存回执" in text and f"#{head.number}" in text and head.digest[:16] in text
    assert AccessLog.objects.filter(user=inspector, action=AccessLog.Action.PRINT, detail__contains="封存回执").exists()
    # The page where the inspector types the last receipt in.
    response = client.post(reverse("audit:verify_receipt"), {"receipt": f"{head.number}:{head.digest[:20]}"})
    assert response.status_code == 302
    run = VerificationRun.objects.order_by("-id").first()
    assert run.ok and run.receipt == f"{head.number}:{head.digest[:20]}" and run.by == inspector
    client.force_login(team_member_a)
    assert client.get(reverse("audit:seal_receipt")).status_code == 403
