"""The ledger pages: upload → preview → error workbook → commit; export and roster pages; access rules."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from households.models import ExportJob, Household, ImportBatch, Roster
from kanjia.models import AccessLog
from tests.factories import HouseholdFactory, MemberFactory
from tests.ledger.helpers import grant_team, member_row, new_id, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def post_file(client, url, content: bytes, name="台账.xlsx", **data):
    return client.post(url, {"file": upload(content, name), **data})


def test_upload_preview_error_workbook_then_fixed_file_commits(
    client, places, town_officer, django_capture_on_commit_callbacks
):
    client.force_login(town_officer)
    head = new_id()
    bad = [member_row(head_id=head, 身份证号码="51200219600315123")]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, reverse("households:ledger:upload"), workbook_bytes(bad))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("households:ledger:batch", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "预检发现" in page and "身份证号码应为 18 位" in page and "确认导入" not in page

    errors = client.get(reverse("households:ledger:batch_errors", args=[batch.pk]))
    assert errors.status_code == 200 and "attachment" in errors["Content-Disposition"]
    ws = load_workbook(BytesIO(b"".join(errors.streaming_content))).active
    assert ws.cell(1, ws.max_column).value == "错误说明" and ws.cell(2, ws.max_column).value
    assert AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD, user=town_officer).count() == 1
    assert client.post(reverse("households:ledger:batch_commit", args=[batch.pk])).status_code == 302
    assert Household.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, reverse("households:ledger:upload"), workbook_bytes([member_row(head_id=head)]))
    fixed = ImportBatch.objects.latest("pk")
    assert "确认导入" in client.get(response.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("households:ledger:batch_commit", args=[fixed.pk]))
    fixed.refresh_from_db()
    assert fixed.status == ImportBatch.Status.COMMITTED and Household.objects.count() == 1
    listing = client.get(reverse("households:ledger:index")).content.decode()
    assert "已导入" in listing and fixed.sha256[:12] in listing


def test_refused_files_get_a_chinese_message_next_to_the_field(client, places, town_officer):
    client.force_login(town_officer)
    url = reverse("households:ledger:upload")
    big = post_file(client, url, b"PK" + b"\0" * (20 * 1024 * 1024 + 10))
    assert "上限为 20 MB" in big.content.decode()
    import zipfile

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    bomb = post_file(client, url, out.getvalue())
    assert "压缩炸弹" in bomb.content.decode()
    assert "只接受 .xlsx" in post_file(client, url, b"x", name="台账.xls").content.decode()
    assert ImportBatch.objects.count() == 0


def test_progress_fragment_polls_until_done_then_refreshes(client, places, town_officer):
    client.force_login(town_officer)
    batch = ImportBatch.objects.create(user=town_officer, file_name="a.xlsx", sha256="0" * 64, progress=40)
    url = reverse("households:ledger:batch_progress", args=[batch.pk])
    busy = client.get(url)
    html = busy.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-progress="40"' in html and "HX-Refresh" not in busy
    batch.status = ImportBatch.Status.CHECKED
    batch.save()
    assert client.get(url)["HX-Refresh"] == "true"


def test_who_may_use_the_ledger_pages(client, places, personas, town_officer, django_capture_on_commit_callbacks):
    client.force_login(personas["outsider"])
    assert client.get(reverse("households:ledger:index")).status_code == 403
    client.force_login(personas["inspector"])
    assert client.get(reverse("households:ledger:index")).status_code == 200
    assert client.get(reverse("households:ledger:upload")).status_code == 403
    client.force_login(personas["district_officer"])
    assert client.get(reverse("households:ledger:upload")).status_code == 403  # sees all, changes none

    # A batch is the importer's: another team member cannot open it, a colleague cannot commit it.
    member_b = personas["team_member_b"]
    grant_team(member_b, places["陡岩村"])
    client.force_login(member_b)
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client, reverse("households:ledger:upload"), workbook_bytes([member_row(head_id=new_id())]))
    batch = ImportBatch.objects.get()
    client.force_login(personas["team_member_a"])
    assert client.get(reverse("households:ledger:batch", args=[batch.pk])).status_code == 404
    client.force_login(town_officer)
    assert client.get(reverse("households:ledger:batch", args=[batch.pk])).status_code == 200
    assert client.post(reverse("households:ledger:batch_commit", args=[batch.pk])).status_code == 403


def test_template_download(client, places, town_officer):
    client.force_login(town_officer)
    response = client.get(reverse("households:ledger:template"))
    assert response.status_code == 200
    assert load_workbook(BytesIO(response.content)).sheetnames == ["成员台账", "填写说明"]


def test_export_page_runs_the_job_and_logs_the_download(
    client, places, town_officer, team_member_a, django_capture_on_commit_callbacks
):
    MemberFactory(household=HouseholdFactory(village=places["陡岩村"]))
    client.force_login(town_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("households:ledger:export"), {"village": places["陡岩村"].pk, "status": "在保"})
    job = ExportJob.objects.get()
    page = client.get(response.url).content.decode()
    assert "下载 Excel 文件" in page and "1 名成员" in page
    download = client.get(reverse("households:ledger:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert load_workbook(BytesIO(b"".join(download.streaming_content))).sheetnames[0] == "成员台账"
    log = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert (log.user, log.village_id) == (town_officer, places["陡岩村"].pk)

    grant_team(team_member_a, places["中心村"])
    client.force_login(team_member_a)
    assert client.get(reverse("households:ledger:export_download", args=[job.pk])).status_code == 404
    refused = client.post(reverse("households:ledger:export"), {"village": places["陡岩村"].pk})
    assert refused.status_code == 200 and ExportJob.objects.count() == 1  # not a choice for this team


def test_roster_pages(client, places, town_officer, django_capture_on_commit_callbacks):
    member = MemberFactory(household=HouseholdFactory(village=places["陡岩村"]), name="张大山", id_number=new_id())
    from tests.ledger.test_rosters import roster_bytes

    client.force_login(town_officer)
    content = roster_bytes([[1, "张大山", member.id_number, "2021-03-02", "火化"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, reverse("households:ledger:rosters"), content, kind=Roster.Kind.DEATH)
    roster = Roster.objects.get()
    page = client.get(response.url).content.decode()
    assert "比中 1 人" in page and "陡岩村" in page and "1.低保对象已死亡" in page
    download = client.get(reverse("households:ledger:roster_download", args=[roster.pk]))
    assert load_workbook(BytesIO(download.content)).sheetnames[0] == "按村汇总"
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, object_id=str(roster.pk)).exists()
    missing_kind = post_file(client, reverse("households:ledger:rosters"), content)
    assert "请选择名单类别" in missing_kind.content.decode()
