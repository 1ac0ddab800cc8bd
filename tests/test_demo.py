import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from households.models import Village

pytestmark = pytest.mark.django_db

UNITS = [
    "陡岩村",
    "中心村",
    "大桐庙村",
    "弥陀寺村",
    "孝义桥村",
    "树林村",
    "胡石桥村",
    "居委会",
    "雨佳村",
    "胡家坝村",
    "元觉寺村",
    "凤凰嘴村",
    "红莲村",
    "中牛桥村",
]


def snapshot() -> dict:
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        counts[model._meta.label] = model._default_manager.count()
    return counts


def test_load_demo_creates_the_14_units_and_role_logins(capsys):
    call_command("load_demo")
    kanjia = Village.objects.filter(town__code="512002110").order_by("order")
    assert list(kanjia.values_list("name", flat=True)) == UNITS
    out = capsys.readouterr().out
    for username in ("town", "team1", "team2", "district", "inspector", "district_inspector", "sysadmin"):
        assert username in out
        assert User.objects.get(username=username).groups.exists()


def test_the_demo_has_three_towns_each_with_its_office_and_inspector():
    """Issue 19: 堪嘉镇 plus two synthetic towns; the district account sees all three."""
    from households.models import Household, Town
    from households.selectors import households_visible_to, towns_visible_to

    call_command("load_demo")
    towns = list(Town.objects.order_by("code").values_list("name", flat=True))
    assert towns == ["堪嘉镇", "丰裕镇", "伍隍镇"]
    district = User.objects.get(username="district")
    assert towns_visible_to(user=district).count() == 3
    for username, town in (("town", "堪嘉镇"), ("town_fengyu", "丰裕镇"), ("inspector_wuhuang", "伍隍镇")):
        user = User.objects.get(username=username)
        assert list(towns_visible_to(user=user).values_list("name", flat=True)) == [town]
        seen = households_visible_to(user=user)
        assert seen.exists() and not seen.exclude(village__town__name=town).exists()
    # 堪嘉镇 exactly as before: its 300 households.
    assert Household.objects.filter(village__town__name="堪嘉镇").count() == 300


def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    before = snapshot()
    call_command("load_demo")
    assert snapshot() == before


def test_demo_never_uses_the_real_names_in_the_plan():
    seed = next((settings.BASE_DIR.parent / "shared" / "seed").glob("*.txt"), None)
    if seed is None:
        pytest.skip("../shared/seed 不在本机，无法比对真实姓名")
    text = Path(seed).read_text()
    attachment = text[text.index("附件1") :]
    real_names = set(re.findall(r"[\u4e00-\u9fff]{2,3}(?=[、\s])", attachment)) - set(UNITS)
    call_command("load_demo")
    demo_names = {u.first_name for u in User.objects.all()}
    assert real_names  # the attachment does list people
    assert not (demo_names & real_names)


def test_demo_has_a_launched_campaign_with_cases_for_the_teams():
    from review.models import Campaign, Case

    call_command("load_demo")
    campaign = Campaign.objects.get()
    cases = Case.objects.filter(campaign=campaign)
    assert cases.exists()
    assert not cases.filter(team__isnull=True).exists()  # every village has a team
    assert cases.count() == cases.values("household").distinct().count()


def test_demo_staff_who_handle_cases_have_declared_so_the_pipeline_can_be_tried():
    from review.relatives.services import has_declaration

    call_command("load_demo")
    for username in ("town", "team1", "team2", "district"):
        assert has_declaration(user=User.objects.get(username=username))
    assert not has_declaration(user=User.objects.get(username="inspector"))  # reads only
