"""The audit pages and export speak the office's language (issue 17): objects by name, actions and
field names in Chinese, structured data as labelled lines, foreign keys by name, never `#75`,
`households.member #81`, `accept`, `member:83:moved` or a Python dict."""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.flags import dispose_flag, evaluate_flags
from households.models import ReviewFlag
from kanjia import labels
from kanjia.access import log_access
from kanjia.models import AccessLog
from review.cases import campaigns
from review.dynamic import monthly
from review.models import Case
from tests.factories import HouseholdFactory, MemberFactory, VillageGroupFactory
from tests.review_cases.conftest import drive

pytestmark = pytest.mark.django_db

RAW = [
    (r"#\d+", "a bare #id"),
    (r"(^|\s)#(\s|$)", "an entry with only #"),
    (r"\b(accept|investigate|submit|town_review|approve|terminate)\b", "an action code"),
    (r"\b[a-z_]+\.[a-z_]+ ", "an app.model name"),
    (r"member:\d+", "a source key"),
    (r"\{'", "a Python dict"),
]


@pytest.fixture
def trail(campaign, crew, town_officer, district_officer, village_a):
    """A re-check case driven to 办结, a moved-out member's flag, a reveal, an export, a 月上报."""
    group = VillageGroupFactory(village=village_a, number=3)
    household = HouseholdFactory(village=village_a, group=group, head_name="张三")
    member = MemberFactory(household=household, name="张三")
    son = MemberFactory(household=household, name="张小明", relation="子女", moved_out_on=date(2026, 1, 2))
    evaluate_flags(household=household, by=town_officer)
    for flag in ReviewFlag.objects.filter(household=household):
        dispose_flag(flag=flag, disposition=ReviewFlag.Disposition.CONFIRMED_OK, note="已核实迁出", by=town_officer)
    campaigns.campaign_launch(campaign=campaign, by=town_officer)
    case = Case.objects.get(household=household)
    drive(case, "办结", crew, town=town_officer, district=district_officer)
    log_access(request=None, user=town_officer, action=AccessLog.Action.REVEAL_ID, obj=member, detail="查看")
    log_access(request=None, user=town_officer, action=AccessLog.Action.REVEAL_ID, obj=campaign)
    log_access(request=None, user=town_officer, action=AccessLog.Action.EXPORT)  # names no object
    monthly.report_generate(town=village_a.town, month=timezone.localdate(), by=town_officer)
    return {"household": household, "member": member, "son": son, "case": case}


def _entries_text(html: str) -> str:
    table = re.search(r'<table[^>]*data-testid="audit-entries".*?</table>', html, re.S).group(0)
    return re.sub(r"<[^>]+>", " ", table)


def _assert_plain(text: str, where: str) -> None:
    for pattern, what in RAW:
        found = re.search(pattern, text, re.M)
        assert found is None, f"{where}: {what}: …{text[max(found.start() - 60, 0) : found.end() + 60]}…"


def _field_names(html: str) -> list[str]:
    return re.findall(r'<li><span class="text-muted">([^<]*)</span>', html)


def test_timeline_names_objects_actions_and_fields_in_chinese(client, town_officer, trail, village_a, campaign):
    client.force_login(town_officer)
    pages = [reverse("audit:index"), reverse("audit:household", args=[trail["household"].pk])]
    seen = ""
    for url in pages:
        html = client.get(url).content.decode()
        text = _entries_text(html)
        _assert_plain(text, url)
        for name in _field_names(html):
            # In Chinese (a raw field name such as `sample` or `investigation` has no Chinese in it).
            assert re.search(r"[\u4e00-\u9fff]", name) and "_" not in name, f"{url}: field name {name!r}"
        seen += text
    seen = re.sub(r"\s*：\s*", "：", re.sub(r"\s+", " ", seen))
    case = trail["case"]
    assert f"成员 张三（{village_a.name} 3组）" in seen
    assert f"专项行动《{campaign.name}》" in seen
    assert f"复核案件 {case.pk}号（{village_a.name} 3组 张三户）" in seen
    for action in ("受理", "完成入户调查", "镇审核通过，报区民政局审批", "区民政局审批"):
        assert f"操作：{action} " in seen, action
    assert "家庭成员登记的迁出日期" in seen  # the flag's source key, in words
    assert f"相关成员：成员 张小明（{village_a.name} 3组）" in seen
    assert "数据·合计：在保 " in seen  # 月上报 as labelled lines
    assert f"查看完整身份证号：成员 张三（{village_a.name} 3组）" in seen
    assert "导出" in seen


def test_export_uses_the_same_words(client, town_officer, trail):
    client.force_login(town_officer)
    book = load_workbook(io.BytesIO(client.get(reverse("audit:export")).content), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    text = "\n".join(" ".join(str(c) for c in row if c is not None) for row in rows[1:])
    _assert_plain(text, "export")
    assert "成员 张三（" in text and "专项行动《" in text


def test_a_new_model_gets_a_label_without_registering(trail, village_a):
    # Nobody registered the stage records or the economic checks: they are named through their case.
    from review.models import EconomicCheck

    check = EconomicCheck.objects.filter(investigation__case=trail["case"]).first()
    text = labels.labels_for(EconomicCheck, [check.pk])[check.pk]
    assert text.startswith("经济状况核对结果 · 入户调查 · 复核案件") and "张三户" in text
    assert labels.field_name(EconomicCheck, "investigation") == "入户调查"  # no verbose_name on the field
