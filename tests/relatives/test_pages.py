"""Declaration page, the register, the 备案表 PDF and the Excel export."""

from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from households import idcard
from kanjia.models import AccessLog
from review.models import RelativeDeclaration, RelativeFiling
from review.relatives.services import RelativeIn, declare
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing(team_member_a, village_a):
    household = HouseholdFactory(village=village_a, head_name="李大")
    member = MemberFactory(household=household, name="李大")
    declare(user=team_member_a, relatives=[RelativeIn("父母", "李大", member.id_number, "甲村")], by=team_member_a)
    return RelativeFiling.objects.get()


def formset_post(rows: list[dict]) -> dict:
    data = {
        "rel-TOTAL_FORMS": str(len(rows)),
        "rel-INITIAL_FORMS": "0",
        "rel-MIN_NUM_FORMS": "0",
        "rel-MAX_NUM_FORMS": "30",
    }
    for n, row in enumerate(rows):
        data.update({f"rel-{n}-{k}": v for k, v in row.items()})
    return data


def test_declaration_page_saves_relatives_and_reports_the_match(client, team_member_a, village_a):
    household = HouseholdFactory(village=village_a)
    member = MemberFactory(household=household, name="王母")
    client.force_login(team_member_a)
    page = client.get(reverse("review:relatives:mine"))
    assert "未申报" in page.content.decode()
    row = {"relation": "父母", "name": "王母", "id_number": member.id_number, "address": "甲村"}
    response = client.post(reverse("review:relatives:mine"), formset_post([row]), follow=True)
    body = response.content.decode()
    assert "已自动登记近亲属备案" in body and "已申报" in body
    assert RelativeFiling.objects.filter(user=team_member_a, household=household).exists()


def test_declaration_page_shows_id_errors_next_to_nothing_saved(client, team_member_a):
    client.force_login(team_member_a)
    good = idcard.generate(born=date(1990, 1, 1), male=True)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    bad = {"relation": "子女", "name": "王子", "id_number": wrong, "address": ""}
    response = client.post(reverse("review:relatives:mine"), formset_post([bad]))
    assert response.status_code == 200
    assert "校验码" in response.content.decode()
    assert not RelativeDeclaration.objects.exists()


def test_declare_none_button(client, team_member_a):
    client.force_login(team_member_a)
    body = client.post(reverse("review:relatives:mine_none"), follow=True).content.decode()
    assert "无近亲属享受低保" in body and "已申报" in body


def test_register_readers_and_writers(client, personas, filing):
    url = reverse("review:relatives:register")
    for name in ("town_officer", "district_officer", "inspector"):
        client.force_login(personas[name])
        body = client.get(url).content.decode()
        assert "李大" in body and idcard.mask(filing.relative_id_number) in body
        assert filing.relative_id_number not in body
        assert client.get(reverse("review:relatives:filing", args=[filing.pk])).status_code == 200
    for name in ("team_member_a", "outsider"):
        client.force_login(personas[name])
        assert client.get(url).status_code == 403
        assert client.get(reverse("review:relatives:filing_pdf", args=[filing.pk])).status_code == 403


def test_status_changes_by_town_then_district_and_inspector_posts_refused(client, personas, filing):
    today = date.today().isoformat()
    client.force_login(personas["inspector"])
    assert (
        client.post(reverse("review:relatives:filing_report", args=[filing.pk]), {"reported_on": today}).status_code
        == 403
    )
    assert client.post(reverse("review:relatives:mine_none")).status_code == 403
    client.force_login(personas["district_officer"])
    assert (
        client.post(reverse("review:relatives:filing_report", args=[filing.pk]), {"reported_on": today}).status_code
        == 403
    )
    client.force_login(personas["town_officer"])
    client.post(reverse("review:relatives:filing_report", args=[filing.pk]), {"reported_on": today})
    filing.refresh_from_db()
    assert filing.status == "已报区民政局"
    client.force_login(personas["district_officer"])
    response = client.post(
        reverse("review:relatives:filing_verify", args=[filing.pk]), {"verified_on": today, "note": ""}
    )
    assert "这个字段是必填项" in response.content.decode() or "核查情况" in response.content.decode()
    client.post(reverse("review:relatives:filing_verify", args=[filing.pk]), {"verified_on": today, "note": "入户属实"})
    filing.refresh_from_db()
    assert filing.status == "已核查"


def test_manual_entry_page(client, town_officer, crew, village_a):
    household = HouseholdFactory(village=village_a)
    client.force_login(town_officer)
    number = idcard.generate(born=date(1950, 5, 5), male=False)
    data = {"user": crew.leader.pk, "household": household.pk, "relation": "配偶", "name": "赵氏", "id_number": number}
    response = client.post(reverse("review:relatives:filing_new"), data, follow=True)
    assert "已登记近亲属备案" in response.content.decode()
    assert RelativeFiling.objects.get().source == "manual"


def test_pdf_is_logged_as_print(client, town_officer, filing):
    client.force_login(town_officer)
    response = client.get(reverse("review:relatives:filing_pdf", args=[filing.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    log = AccessLog.objects.get(action=AccessLog.Action.PRINT)
    assert (log.user, log.object_type, log.object_id) == (town_officer, "review.relativefiling", str(filing.pk))


def test_excel_export_full_ids_for_the_district_and_logged(client, district_officer, filing):
    client.force_login(district_officer)
    response = client.get(reverse("review:relatives:export"), {"status": "待报备"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "工作人员", "工作单位", "职务", "近亲属姓名")
    assert rows[1][4] == "李大" and rows[1][6] == filing.relative_id_number
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=district_officer).exists()


def test_case_page_shows_the_badge(client, case, crew, town_officer, household, everyone_declared):
    declare(
        user=crew.leader,
        relatives=[RelativeIn("父母", household.head_name, household.members.get().id_number)],
        by=crew.leader,
    )
    client.force_login(town_officer)
    body = client.get(reverse("review:case_detail", args=[case.pk])).content.decode()
    assert "近亲属备案" in body and "须先填写近亲属申报" not in body
