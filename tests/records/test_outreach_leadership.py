"""Policy outreach per village (summed on the campaign summary) and the leadership group with roles."""

from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from archives.models import RecordDocument
from review.dynamic.summary import campaign_summary
from review.leadership.services import leadership_remove, leadership_set
from review.models import LeadershipMember, Outreach
from review.outreach import services as outreach
from review.outreach.selectors import outreach_totals
from tests.archives.conftest import png_bytes, upload
from tests.conftest import make_user
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def record(by, village, kind, count, campaign=None, **over):
    return outreach.outreach_create(
        by=by, village=village, held_on=timezone.localdate(), kind=kind, count=count, campaign=campaign, **over
    )


@pytest.fixture
def activities(town_officer, team_member_a, team_a, village_a, village_b, campaign):
    record(team_member_a, village_a, "宣传单发放", 300, campaign)
    record(town_officer, village_a, "宣传单发放", 200, campaign)
    record(town_officer, village_a, "院坝会", 2, campaign, audience=85)
    record(town_officer, village_b, "标语", 12, campaign)
    record(town_officer, village_b, "广播", 4)  # not this campaign's


def test_outreach_is_summed_per_village_and_kind(town_officer, activities, campaign, village_a, village_b):
    totals = outreach_totals(user=town_officer, campaign_id=campaign.pk)
    rows = {
        line.name: (line.counts["宣传单发放"], line.counts["院坝会"], line.counts["标语"], line.activities)
        for line in totals.villages
    }
    assert rows == {"甲村": (500, 2, 0, 3), "乙村": (0, 0, 12, 1)}
    assert (totals.total.counts["宣传单发放"], totals.total.activities, totals.total.audience) == (500, 4, 85)
    assert outreach_totals(user=town_officer).total.activities == 5


def test_a_team_records_and_sees_its_own_villages_only(
    client, team_member_a, team_a, village_a, village_b, activities, campaign
):
    with pytest.raises(PermissionDenied):
        record(team_member_a, village_b, "标语", 3)
    assert [line.name for line in outreach_totals(user=team_member_a).villages] == ["甲村"]
    client.force_login(team_member_a)
    other = Outreach.objects.filter(village=village_b).first()
    assert client.get(reverse("review:outreach_detail", args=[other.pk])).status_code == 404
    page = client.get(reverse("review:outreach")).content.decode()
    assert "乙村" not in page.split('data-testid="outreach-totals"')[1].split("</table>")[0]


def test_outreach_input_is_checked(town_officer, village_a, inspector):
    with pytest.raises(ValidationError) as error:
        record(town_officer, village_a, "其他", 0)
    assert set(error.value.message_dict) == {"count", "note"}
    with pytest.raises(PermissionDenied):
        record(inspector, village_a, "标语", 1)


def test_an_outreach_photo_is_filed_in_the_campaign_file(client, town_officer, village_a, campaign, record_kinds):
    client.force_login(town_officer)
    response = client.post(
        reverse("review:outreach_new"),
        {
            "campaign": campaign.pk,
            "village": village_a.pk,
            "held_on": timezone.localdate().isoformat(),
            "kind": "标语",
            "count": "8",
            "photo": upload("标语.png", png_bytes(), "image/png"),
        },
    )
    assert response.status_code == 302
    photo = RecordDocument.objects.get()
    assert (photo.kind.name, photo.campaign, photo.village, photo.outreach.count) == (
        "政策宣传记录",
        campaign,
        village_a,
        8,
    )
    page = client.get(reverse("review:outreach_detail", args=[photo.outreach_id])).content.decode()
    assert reverse("archives:record_download", args=[photo.pk]) in page


def test_the_summary_sums_outreach_per_village_on_the_page_the_pdf_and_the_excel(
    client, town_officer, activities, campaign
):
    client.force_login(town_officer)
    page = client.get(reverse("review:dynamic:summary", args=[campaign.pk])).content.decode()
    table = page.split('data-testid="summary-outreach"')[1].split("</table>")[0]
    assert "甲村" in table and "乙村" in table and ">500<" in table
    total_row = table.split('data-testid="summary-outreach-total"')[1].split("</tr>")[0]
    assert ">500<" in total_row and ">12<" in total_row and ">4<" in total_row
    pdf = client.get(reverse("review:dynamic:summary_pdf", args=[campaign.pk])).content
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "政策宣传" in text and "500" in text
    book = load_workbook(BytesIO(client.get(reverse("review:dynamic:summary_xlsx", args=[campaign.pk])).content))
    sheet = book["政策宣传"]
    assert [c.value for c in sheet[1]][:2] == ["村(社区)", "宣传单发放(份)"]
    assert [c.value for c in sheet[sheet.max_row]][0:2] == ["合计", 500]


# --- The leadership group --------------------------------------------------------------------------


def test_the_leadership_group_has_roles_and_one_head(town_officer, campaign):
    head = make_user("zz", None, full_name="陆镇长")
    deputy = make_user("fz", None, full_name="温副镇长")
    leadership_set(campaign=campaign, user=head, role="组长", duty="镇长", by=town_officer)
    leadership_set(campaign=campaign, user=deputy, role="副组长", duty="分管副镇长", by=town_officer)
    leadership_set(campaign=campaign, user=town_officer, role="成员", by=town_officer)
    with pytest.raises(ValidationError, match="已有组长"):
        leadership_set(campaign=campaign, user=deputy, role="组长", by=town_officer)
    # Changing a role is the same call; no second row.
    leadership_set(campaign=campaign, user=town_officer, role="副组长", duty="民政办主任", by=town_officer)
    assert LeadershipMember.objects.filter(campaign=campaign).count() == 3
    member = LeadershipMember.objects.get(user=town_officer)
    assert (member.role, member.duty, member.history.count()) == ("副组长", "民政办主任", 2)
    member_id = member.pk
    leadership_remove(member=member, by=town_officer)
    assert LeadershipMember.history.filter(id=member_id).latest().history_type == "-"


def test_only_the_town_office_sets_the_group(client, campaign, district_officer, inspector, team_member_a):
    for user in (district_officer, team_member_a):
        with pytest.raises(PermissionDenied):
            leadership_set(campaign=campaign, user=user, role="成员", by=user)
    client.force_login(inspector)
    response = client.post(reverse("review:leadership_set", args=[campaign.pk]), {"user": inspector.pk, "role": "成员"})
    assert response.status_code == 403 and not LeadershipMember.objects.exists()


def test_a_campaign_created_with_members_puts_them_in_the_group(town_officer, team_member_a):
    from review.cases import campaigns

    made = campaigns.campaign_create(
        name="带领导小组的行动",
        kind="专项清理",
        scope_date=timezone.localdate(),
        by=town_officer,
        leadership=[team_member_a],
    )
    assert list(LeadershipMember.objects.filter(campaign=made).values_list("user", "role")) == [
        (team_member_a.pk, "成员")
    ]


def test_the_group_is_shown_on_the_campaign_page_and_printed_on_the_summary(
    client, town_officer, team_member_a, team_a, campaign, village_a
):
    HouseholdFactory(village=village_a)
    head = make_user("zz", None, full_name="陆镇长")
    client.force_login(town_officer)
    response = client.post(
        reverse("review:leadership_set", args=[campaign.pk]),
        {"user": town_officer.pk, "role": "副组长", "duty": "民政办主任"},
    )
    assert response.status_code == 302
    leadership_set(campaign=campaign, user=head, role="组长", duty="镇长", by=town_officer)
    page = client.get(reverse("review:campaign_detail", args=[campaign.pk])).content.decode()
    table = page.split('data-testid="leadership"')[1].split("</table>")[0]
    assert table.index("组长") < table.index("陆镇长") < table.index("副组长") < table.index("测试民政")
    # Every role sees the group (it is not personal data); only the office gets the form.
    client.force_login(team_member_a)
    page = client.get(reverse("review:campaign_detail", args=[campaign.pk])).content.decode()
    assert "陆镇长" in page and 'data-testid="leadership-form"' not in page
    summary = campaign_summary(campaign=campaign, user=team_member_a)
    assert summary["leadership"] == [("组长", "陆镇长", "镇长"), ("副组长", "测试民政", "民政办主任")]
    pdf = client.get(reverse("review:dynamic:summary_pdf", args=[campaign.pk])).content
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "工作领导小组" in text and "陆镇长" in text and "民政办主任" in text
