"""Notice PDFs read back: Chinese title, rows, paging, and the privacy check."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from households.models import Household, IncomeItem, Member
from publicity import notices
from publicity.models import NoticeFile, PublicityRound
from review.cases.workflow import stage_save
from review.models import Case, DistrictApproval, Status
from tests.factories import HouseholdFactory, MemberFactory, VillageGroupFactory
from tests.publicity.conftest import at_appraisal, at_stage, open_round
from tests.review_cases.conftest import town_data

pytestmark = pytest.mark.django_db

ID_NUMBER = re.compile(r"\d{17}[\dXx]")
MASKED_ID = re.compile(r"\d{2,}[*＊]{2,}|[*＊]{4,}\d{2,}")
MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
LANDLINE = re.compile(r"0\d{2,3}-\d{7,8}")
ILLNESS = ("尿毒症", "重病", "慢性病", "白血病", "病种")
DISABILITY = ("残疾", "肢体", "智力", "精神", "视力", "残疾证")
PRIVATE = ("幸福路", "砖厂务工", "6222", "开户", "银行", "身份证", "收入")


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def assert_public(text: str, *, policy: bool = False) -> None:
    """No ID number (full or masked), no phone but the office's, no health, disability or income detail."""
    from django.conf import settings

    assert not ID_NUMBER.search(text), ID_NUMBER.search(text)
    assert not MASKED_ID.search(text)
    assert not MOBILE.search(text), MOBILE.search(text)
    assert set(LANDLINE.findall(text)) <= {settings.OFFICE["phone"]}
    for word in ILLNESS + DISABILITY + (PRIVATE if not policy else PRIVATE[:-1]):
        assert word not in text, word


def sensitive_household(village, group, name: str, **over) -> Household:
    """A household with every sensitive field filled."""
    household = HouseholdFactory(
        village=village,
        group=group,
        head_name=name,
        phone="13912345678",
        address="幸福路99号",
        bank_name="农村信用社开户行",
        bank_account="6222021234567890123",
        base_amount=Decimal("480.00"),
        extra_amount=Decimal("60.00"),
        covered_persons=2,
        **over,
    )
    head = MemberFactory(
        household=household,
        name=name,
        health=Member.Health.SERIOUS,
        illness="尿毒症",
        disability=Member.Disability.PHYSICAL,
        disability_grade=2,
        disability_cert="51200219600315123X42",
    )
    MemberFactory(
        household=household,
        name=f"{name}之妻",
        relation=Member.Relation.SPOUSE,
        male=False,
        health=Member.Health.CHRONIC,
        illness="慢性肾病",
        disability=Member.Disability.INTELLECTUAL,
        disability_grade=3,
    )
    IncomeItem.objects.create(
        household=household,
        member=head,
        kind=IncomeItem.Kind.WAGE,
        monthly_amount=Decimal("1234.56"),
        source="砖厂务工",
    )
    IncomeItem.objects.create(
        household=household, kind=IncomeItem.Kind.PENSION, monthly_amount=Decimal("150"), source="养老金 0832-6123456"
    )
    household.head = head
    household.save()
    return household


@pytest.fixture
def sensitive_cases(campaign, crew, town_officer, village_a):
    from review.cases import campaigns

    group = VillageGroupFactory(village=village_a, number=2, name="二组")
    for name in ("刘一", "陈二", "张三", "李四"):
        sensitive_household(village_a, group, name)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    return list(Case.objects.filter(campaign=campaign).order_by("household__head_name"))


def test_every_public_document_is_free_of_private_data(
    sensitive_cases, crew, campaign, village_a, town_officer, district_officer
):
    first, second, third, _ = sensitive_cases
    at_appraisal(first, crew)
    second = at_stage(second, Status.TOWN_REVIEW, crew, town=town_officer)
    stage_save(case=second, by=town_officer, data=town_data(proposed_outcome="调整", proposed_amount=Decimal("600")))
    at_stage(third, Status.DONE, crew, town=town_officer, district=district_officer)
    documents = {}
    for number in (1, 2, 3):
        publicity_round = open_round(campaign=campaign, village=village_a, number=number, by=town_officer)
        documents[f"round{number}"] = notices.render_round(round=publicity_round).pdf
    documents["board"] = notices.render_board(village=village_a).pdf
    for name, pdf in documents.items():
        text = "\n".join(pdf_pages(pdf))
        assert_public(text)
        assert "二组" in text, name
    policy = "\n".join(pdf_pages(notices.render_policy().pdf))
    assert_public(policy, policy=True)
    # The rows are there: names, persons, amounts, changes.
    round2 = "\n".join(pdf_pages(documents["round2"]))
    assert second.household.head_name in round2 and "600.00" in round2 and "调整" in round2
    board = "\n".join(pdf_pages(documents["board"]))
    assert all(name in board for name in ("刘一", "陈二", "张三", "李四")) and "540.00" in board


def test_round_notice_has_title_period_channel_issuer_and_landscape_pages(
    cases, crew, launched, village_a, town_officer
):
    for case in cases[:2]:
        at_appraisal(case, crew)
    publicity_round = open_round(campaign=launched, village=village_a, number=1, by=town_officer, started_days_ago=0)
    rendered = notices.render_round(round=publicity_round)
    reader = PdfReader(BytesIO(rendered.pdf))
    text = reader.pages[0].extract_text()
    year = launched.scope_date.year
    assert f"{village_a.town.name}甲村{year}年城乡低保专项清理第一榜公示" in text
    start, end = publicity_round.starts_on, publicity_round.ends_on
    assert f"公示期：{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日" in text
    assert "028-26000000" in text and "便民服务中心" in text and "（盖章）" in text
    for column in notices.WHITELIST:
        assert column in text
    assert "张三" in text and "李四" in text and "维持" in text and "王五" not in text
    assert "第 1 页 / 共 1 页" in text
    box = reader.pages[0].mediabox
    assert box.width > box.height  # A4 landscape: 842 × 595 pt
    assert round(float(box.width)) == 842


def test_a3_option(cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    publicity_round = open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    publicity_round.paper = PublicityRound.Paper.A3
    box = PdfReader(BytesIO(notices.render_round(round=publicity_round).pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (1191, 842)


def test_long_notice_repeats_the_header_and_numbers_pages(campaign, village_a, town_officer):
    group = VillageGroupFactory(village=village_a, number=1)
    for i in range(90):
        household = HouseholdFactory(village=village_a, group=group, head_name=f"户主{i:03d}")
        case = Case.objects.create(
            household=household,
            campaign=campaign,
            kind=Case.Kind.RECHECK,
            status=Status.DONE,
            outcome=Case.Outcome.KEEP,
        )
        DistrictApproval.objects.create(
            case=case,
            decided_on=date(2021, 7, 1),
            outcome="维持",
            base_amount=household.base_amount,
            updated_by=town_officer,
        )
    publicity_round = open_round(campaign=campaign, village=village_a, number=3, by=town_officer)
    rendered = notices.render_round(round=publicity_round)
    pages = pdf_pages(rendered.pdf)
    assert rendered.pages == len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        assert "户主姓名" in text and "变动情况" in text  # the repeated table header
        assert f"第 {n} 页 / 共 {len(pages)} 页" in text
    every = "\n".join(pages)
    assert all(f"户主{i:03d}" in every for i in range(90))
    assert "自" in pages[0] and "长期公示" in pages[0]


def test_stored_files_are_replaced_not_duplicated(cases, crew, launched, village_a, town_officer):
    at_appraisal(cases[0], crew)
    publicity_round = open_round(campaign=launched, village=village_a, number=1, by=town_officer)
    first = notices.store_round(round=publicity_round, by=town_officer)
    again = notices.store_round(round=publicity_round, by=town_officer)
    assert first.pk == again.pk and NoticeFile.objects.count() == 1
    assert again.pages == 1 and again.size > 1000
    notices.store_board(village=village_a, by=town_officer)
    notices.store_board(village=village_a, by=town_officer)
    notices.store_policy(by=town_officer)
    notices.store_policy(by=town_officer)
    assert NoticeFile.objects.count() == 3


def test_notice_rows_carry_only_whitelisted_fields():
    assert [f for f in notices.NoticeRow.__dataclass_fields__] == [
        "seq",
        "place",
        "head_name",
        "persons",
        "amount",
        "change",
    ]
    assert notices.WHITELIST == ("序号", "村组", "户主姓名", "保障人数", "月保障金额", "变动情况")
