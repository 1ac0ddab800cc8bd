"""Demo data: Kanjia town's 14 units from the customer's 2021 plan, demo logins.

Every person here is fictional. The real names in the plan's attachment are
never used (a test checks this). Demo accounts exist only through this loader.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Q

from households.models import Area, Category, Standard, Town, Village, VillageGroup
from households.policy.services import category_map
from households.towns.services import town_assign
from kanjia import roles

DEMO_PASSWORD = "Kanjia@2021"  # noqa: S105 - demo accounts only, printed by `make run`

# The 14 units in the plan's attachment (附件1), in its order, with a demo
# number of villager groups each.
UNITS: list[tuple[str, str, int]] = [
    ("陡岩村", "村", 6),
    ("中心村", "村", 8),
    ("大桐庙村", "村", 5),
    ("弥陀寺村", "村", 6),
    ("孝义桥村", "村", 7),
    ("树林村", "村", 5),
    ("胡石桥村", "村", 6),
    ("居委会", "社区", 3),
    ("雨佳村", "村", 5),
    ("胡家坝村", "村", 6),
    ("元觉寺村", "村", 7),
    ("凤凰嘴村", "村", 5),
    ("红莲村", "村", 6),
    ("中牛桥村", "村", 5),
]

# (username, full name, role). Fictional people.
ACCOUNTS: list[tuple[str, str, str]] = [
    ("town", "王民政", roles.TOWN_OFFICE),
    ("team1", "赵驻村", roles.VILLAGE_TEAM),
    ("team2", "钱驻村", roles.VILLAGE_TEAM),
    ("district", "孙区局", roles.DISTRICT),
    ("inspector", "李纪检", roles.INSPECTOR),
    ("district_inspector", "郑区纪委", roles.DISTRICT_INSPECTOR),
    ("sysadmin", "周管理", roles.SYSADMIN),
]
# Town-level demo accounts act for 堪嘉镇 (households.towns); district ones for every town.
KANJIA = "512002110"

# Two more towns of the district (issue 19), with synthetic villages, one team and households each,
# so the district's pages have several towns to group and total. Names of villages and people are fictional.
OTHER_TOWNS: list[tuple[str, str, list[str], int]] = [
    ("丰裕镇", "512002111", ["青杠村", "石桥村", "新华社区"], 120),
    ("伍隍镇", "512002112", ["柏树村", "双河村", "白云村", "伍隍社区"], 150),
]
# (username, full name, role, town code): each other town's office and 镇纪委.
OTHER_TOWN_ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("town_fengyu", "吴丰裕", roles.TOWN_OFFICE, "512002111"),
    ("inspector_fengyu", "丁丰纪", roles.INSPECTOR, "512002111"),
    ("town_wuhuang", "易伍隍", roles.TOWN_OFFICE, "512002112"),
    ("inspector_wuhuang", "凌伍纪", roles.INSPECTOR, "512002112"),
]

# Staff profile (unit, post) of each demo login; team members' posts are set by load_teams.
ACCOUNT_PROFILES: dict[str, tuple[str, str]] = {
    "town": ("镇政府", "民政办工作人员"),
    "team1": ("镇政府", "驻村干部"),
    "team2": ("镇政府", "驻村干部"),
    "district": ("区民政局", "社会救助科工作人员"),
    "inspector": ("纪委", "镇纪委纪检监察员"),
    "district_inspector": ("纪委", "区纪委监委纪检监察员"),
    "sysadmin": ("镇政府", "系统管理员"),
}

# Demo standards and classes: the real local figures are configured by the office.
STANDARDS = [
    (Area.RURAL, Decimal("470.00"), date(2021, 1, 1)),
    (Area.URBAN, Decimal("655.00"), date(2021, 1, 1)),
]
CATEGORIES = [
    ("一类(特困重病重残)", Decimal("80.00"), "重病、重度残疾、无劳动能力的老年人"),
    ("二类(老年未成年)", Decimal("50.00"), "70 岁以上老年人、未成年人"),
    ("三类(一般)", Decimal("0.00"), "其他保障对象"),
]

# The demo's three categories come mapped to their criteria (issue 14): a person qualifies
# for the first by a grade 1–2 disability or serious illness, for the second at 70 or under 18.
CATEGORY_CRITERIA = {
    "一类(特困重病重残)": {
        "age_at_least": None,
        "age_under": None,
        "disability_grades": "1,2",
        "serious_illness": True,
        "manual": False,
    },
    "二类(老年未成年)": {
        "age_at_least": 70,
        "age_under": 18,
        "disability_grades": "",
        "serious_illness": False,
        "manual": False,
    },
    "三类(一般)": {
        "age_at_least": None,
        "age_under": None,
        "disability_grades": "",
        "serious_illness": False,
        "manual": False,
        "nobody": True,
    },
}


@transaction.atomic
def load_places() -> Town:
    town, _ = Town.objects.get_or_create(code="512002110", defaults={"name": "堪嘉镇"})
    for order, (name, kind, groups) in enumerate(UNITS, start=1):
        village, _ = Village.objects.get_or_create(
            town=town, name=name, defaults={"kind": kind, "code": f"{order:03d}", "order": order}
        )
        for number in range(1, groups + 1):
            VillageGroup.objects.get_or_create(village=village, number=number)
    for area, amount, since in STANDARDS:
        Standard.objects.get_or_create(
            town=town,
            area=area,
            effective_from=since,
            defaults={"monthly_amount": amount, "note": "演示数据"},
        )
    for name, extra, description in CATEGORIES:
        category, _ = Category.objects.get_or_create(
            town=town, name=name, defaults={"extra_amount": extra, "description": description}
        )
        if category.mapped_at is None and name in CATEGORY_CRITERIA:
            category_map(category=category, by=None, **CATEGORY_CRITERIA[name])
    return town


@transaction.atomic
def load_accounts() -> list[tuple[str, str, str]]:
    for username, full_name, role in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": full_name, "is_staff": role == roles.SYSADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        if role in roles.TOWN_LEVEL:
            town_assign(user=user, town=Town.objects.get(code=KANJIA))
    _account_profiles()
    return ACCOUNTS


def _account_profiles() -> None:
    """A staff profile for every demo login (through the service, with history); existing ones are left alone."""
    from review.models import Staff
    from review.teams.services import staff_upsert

    by = User.objects.get(username="town")
    for username, full_name, _role in ACCOUNTS:
        user = User.objects.get(username=username)
        if not Staff.objects.filter(user=user).exists():
            unit, post = ACCOUNT_PROFILES[username]
            staff_upsert(user=user, name=full_name, unit=unit, post=post, by=by)


# Seven 清理小组 covering the 14 units two by two, as in the plan (附件1). Every
# name is fictional. Per team: (驻村领导, 驻村干部, 村干部 of each of its two units);
# `team1` / `team2` (demo logins above) are the 驻村干部 of the first two teams.
TEAMS: list[tuple[str, tuple[str, str], tuple[str, str], tuple[tuple[str, str], ...], tuple[str, str]]] = [
    (
        "第一组",
        ("leader1", "冯启航"),
        ("team1", "赵驻村"),
        (("cun01", "韩秋菊"), ("cun02", "蒋志远")),
        ("陡岩村", "中心村"),
    ),
    (
        "第二组",
        ("leader2", "褚明远"),
        ("team2", "钱驻村"),
        (("cun03", "卫晓岚"), ("cun04", "沈德厚")),
        ("大桐庙村", "弥陀寺村"),
    ),
    (
        "第三组",
        ("leader3", "何书恒"),
        ("cadre3", "吕青禾"),
        (("cun05", "施雨桐"), ("cun06", "张一帆")),
        ("孝义桥村", "树林村"),
    ),
    (
        "第四组",
        ("leader4", "孔令哲"),
        ("cadre4", "曹慕白"),
        (("cun07", "严若溪"), ("cun08", "华子墨")),
        ("胡石桥村", "居委会"),
    ),
    (
        "第五组",
        ("leader5", "金振宇"),
        ("cadre5", "魏语嫣"),
        (("cun09", "陶知秋"), ("cun10", "姜远山")),
        ("雨佳村", "胡家坝村"),
    ),
    (
        "第六组",
        ("leader6", "戚鸿飞"),
        ("cadre6", "谢晚晴"),
        (("cun11", "邹明澈"), ("cun12", "喻清和")),
        ("元觉寺村", "凤凰嘴村"),
    ),
    (
        "第七组",
        ("leader7", "柏文渊"),
        ("cadre7", "水映月"),
        (("cun13", "窦安然"), ("cun14", "章可心")),
        ("红莲村", "中牛桥村"),
    ),
]


def _demo_user(username: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def load_teams() -> list[str]:
    """The 7 teams with their villages and fictional members, through the team services (grants included).

    The teams work from today (the demo campaign's phases start today, see
    `load_campaign`) with no end date: a team only reaches its villages within
    its active dates, and the plan's own 2021 dates would leave the demo empty.

    Idempotent: existing teams, members, staff profiles and village assignments
    are left as they are (a village already covered by some team is not moved),
    except that a demo team whose period has ended (loaded with the old 2021
    dates) is reopened from today.
    """
    from django.utils import timezone

    from review.models import ReviewTeam, Staff, TeamMembership, TeamVillage
    from review.teams import services as team_services

    by = User.objects.get(username="town")
    town = Town.objects.get(code="512002110")
    today = timezone.localdate()
    names = []
    for name, (leader, leader_name), (cadre, cadre_name), village_cadres, units in TEAMS:
        team = ReviewTeam.objects.filter(name=name).first()
        if team is None:
            team = team_services.team_create(name=name, by=by, active_from=today, town=town)
        elif team.active_to is not None and team.active_to < today:
            team = team_services.team_update(
                team=team, by=by, name=team.name, leader=None, active_from=today, active_to=None
            )
        people = [(leader, leader_name, TeamMembership.Role.LEADER, Staff.Unit.TOWN, "驻村领导")]
        people.append((cadre, cadre_name, TeamMembership.Role.CADRE, Staff.Unit.TOWN, "驻村干部"))
        people += [(u, n, TeamMembership.Role.VILLAGE_CADRE, Staff.Unit.VILLAGE, "村干部") for u, n in village_cadres]
        for username, full_name, role, unit, post in people:
            user = _demo_user(username, full_name)
            if not Staff.objects.filter(user=user).exists():
                team_services.staff_upsert(user=user, name=full_name, unit=unit, post=post, by=by)
            if not team.memberships.filter(user=user).exists():
                team_services.team_add_member(team=team, user=user, role=role, by=by)
        for unit_name in units:
            village = Village.objects.get(town=town, name=unit_name)
            if not TeamVillage.objects.filter(village=village, active=True).exists():
                team_services.team_assign_village(team=team, village=village, by=by)
        names.append(name)
    return names


# Demo property limits (the real ones are the office's to configure) and the
# number of synthetic households spread over the 14 units.
DEMO_PROPERTY_RULES = [("住房不超过1套", "住房", 1), ("无营业用房", "营业用房", 0)]
DEMO_HOUSEHOLDS = 300


def load_declarations() -> int:
    """Demo staff who handle cases have declared "无近亲属享受低保", so the demo pipeline
    can be walked through at once; a real account must declare before acting (the gate)."""
    from review.relatives.services import declare_none, has_declaration

    acting = User.objects.filter(
        Q(groups__name__in=(roles.TOWN_OFFICE, roles.VILLAGE_TEAM, roles.DISTRICT)) | Q(team_memberships__isnull=False)
    ).distinct()
    by = User.objects.get(username="town")
    declared = 0
    for user in acting.order_by("pk"):
        if not has_declaration(user=user):
            declare_none(user=user, by=by)
            declared += 1
    return declared


def load_households() -> int:
    """A few hundred synthetic households (households.synthetic), only while there are none."""
    from households.models import Household, PropertyRule
    from households.synthetic import generate

    town = Town.objects.get(code=KANJIA)
    for name, kind, limit in DEMO_PROPERTY_RULES:
        PropertyRule.objects.get_or_create(town=town, name=name, defaults={"kind": kind, "max_quantity": limit})
    if Household.objects.filter(village__town=town).exists():
        return 0
    user = User.objects.filter(username="town").first()
    return generate(households=DEMO_HOUSEHOLDS, seed=20210518, user=user, towns=[KANJIA], use_copy=False)


@transaction.atomic
def load_other_towns() -> list[Town]:
    """Two more towns (issue 19): villages, the same demo standards and categories, an office and a
    镇纪委 account, one team over all their villages, and synthetic households (only while they
    have none). Idempotent."""
    from django.utils import timezone

    from households.models import Household, PropertyRule
    from households.synthetic import generate
    from review.models import ReviewTeam, Staff, TeamMembership, TeamVillage
    from review.relatives.services import declare_none, has_declaration
    from review.teams import services as team_services

    today = timezone.localdate()
    towns = []
    for index, (name, code, units, count) in enumerate(OTHER_TOWNS, start=2):
        town, _ = Town.objects.get_or_create(code=code, defaults={"name": name})
        for order, unit in enumerate(units, start=1):
            kind = Village.Kind.COMMUNITY if unit.endswith("社区") else Village.Kind.VILLAGE
            village, _ = Village.objects.get_or_create(
                town=town, name=unit, defaults={"kind": kind, "code": f"{order:03d}", "order": order}
            )
            for number in range(1, 4):
                VillageGroup.objects.get_or_create(village=village, number=number)
        for area, amount, since in STANDARDS:
            Standard.objects.get_or_create(
                town=town, area=area, effective_from=since, defaults={"monthly_amount": amount, "note": "演示数据"}
            )
        for cat_name, extra, description in CATEGORIES:
            category, _ = Category.objects.get_or_create(
                town=town, name=cat_name, defaults={"extra_amount": extra, "description": description}
            )
            if category.mapped_at is None and cat_name in CATEGORY_CRITERIA:
                category_map(category=category, by=None, **CATEGORY_CRITERIA[cat_name])
        for rule_name, kind, limit in DEMO_PROPERTY_RULES:
            PropertyRule.objects.get_or_create(
                town=town, name=rule_name, defaults={"kind": kind, "max_quantity": limit}
            )
        office = None
        for username, full_name, role, town_code in OTHER_TOWN_ACCOUNTS:
            if town_code != code:
                continue
            user = _demo_user(username, full_name)
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            town_assign(user=user, town=town)
            if role == roles.TOWN_OFFICE:
                office = user
            if not Staff.objects.filter(user=user).exists():
                unit, post = (
                    (Staff.Unit.TOWN, "民政办工作人员")
                    if role == roles.TOWN_OFFICE
                    else (Staff.Unit.DISCIPLINE, "镇纪委纪检监察员")
                )
                team_services.staff_upsert(user=user, name=full_name, unit=unit, post=post, by=office or user)
        team_name = f"{name}第一组"
        team = ReviewTeam.objects.filter(name=team_name).first() or team_services.team_create(
            name=team_name, by=office, active_from=today, town=town
        )
        cadre = _demo_user(f"team{index}_{code[-1]}", f"{name[:2]}驻村")
        if not Staff.objects.filter(user=cadre).exists():
            team_services.staff_upsert(
                user=cadre, name=cadre.first_name, unit=Staff.Unit.TOWN, post="驻村干部", by=office
            )
        if not team.memberships.filter(user=cadre).exists():
            team_services.team_add_member(team=team, user=cadre, role=TeamMembership.Role.CADRE, by=office)
        for village in town.villages.all():
            if not TeamVillage.objects.filter(village=village, active=True).exists():
                team_services.team_assign_village(team=team, village=village, by=office)
        for person in (office, cadre):
            if not has_declaration(user=person):
                declare_none(user=person, by=office)
        if not Household.objects.filter(village__town=town).exists():
            generate(households=count, seed=20210518 + index, user=office, towns=[code], use_copy=False)
        towns.append(town)
    return towns


def load_campaign() -> int:
    """A campaign like the 2021 plan, launched, so the demo has cases to open.

    Its phases start today (the plan's own 2021 dates would make every case
    overdue). Created only while no campaign exists; returns the cases launched.
    The demo teams serve it (set on those that serve no campaign yet).
    """
    from datetime import timedelta

    from django.utils import timezone

    from review.cases.campaigns import PhaseInput, campaign_create, campaign_launch
    from review.models import Campaign, CampaignPhase

    town = User.objects.get(username="town")
    if Campaign.objects.filter(town__code=KANJIA).exists():
        demo_campaign = Campaign.objects.filter(town__code=KANJIA, name__endswith="（演示）").order_by("id").first()
        if demo_campaign is not None:
            _teams_serve(demo_campaign, by=town)
        return 0
    today = timezone.localdate()
    spans = [
        (CampaignPhase.Kind.PREPARE, 0, 14),
        (CampaignPhase.Kind.IMPLEMENT, 15, 45),
        (CampaignPhase.Kind.APPROVE, 46, 75),
        (CampaignPhase.Kind.SUMMARY, 76, 106),
    ]
    campaign = campaign_create(
        name=f"堪嘉镇{today.year}年城乡低保精准兜底专项提升行动（演示）",
        kind=Campaign.Kind.SPECIAL,
        scope_date=today,
        by=town,
        phases=[PhaseInput(kind, today + timedelta(days=a), today + timedelta(days=b)) for kind, a, b in spans],
    )
    _teams_serve(campaign, by=town)
    return campaign_launch(campaign=campaign, by=town)


def _teams_serve(campaign, *, by: User) -> None:
    """Set `campaign` on the demo teams that serve no campaign yet (through the team service, with history)."""
    from review.models import ReviewTeam
    from review.teams import services as team_services

    for team in ReviewTeam.objects.filter(name__in=[t[0] for t in TEAMS], campaign__isnull=True):
        team_services.team_update(
            team=team,
            by=by,
            name=team.name,
            leader=None,
            active_from=team.active_from,
            active_to=team.active_to,
            campaign=campaign,
        )


# The campaign's leadership group (领导小组) as the plan sets it up (三(一)): fictional town leaders
# (staff profiles, no login), the 民政办 and the seven 驻村领导 as members.
LEADERS = [("zhenzhang", "陆守正", "组长", "镇长"), ("fuzhenzhang", "温若海", "副组长", "分管副镇长")]
# Demo outreach (五(一)2): (village, kind, count, audience, note).
OUTREACH = [
    ("陡岩村", "宣传单发放", 300, None, "低保政策宣传单"),
    ("陡岩村", "院坝会", 2, 85, ""),
    ("中心村", "标语", 12, None, "主干道及村委会"),
    ("中心村", "宣传单发放", 450, None, "低保政策宣传单"),
    ("孝义桥村", "广播", 6, None, "村广播每日一次"),
]


def load_campaign_records() -> int:
    """The demo campaign's leadership group with roles, its 动员大会 and some outreach; only while it has none.

    Returns the number of records made. No files: the campaign file's checklist shows what is missing.
    """
    from django.utils import timezone

    from review.leadership.services import leadership_set
    from review.meetings.services import meeting_create
    from review.models import Campaign, LeadershipMember, Staff
    from review.outreach.services import outreach_create
    from review.teams.services import staff_upsert

    campaign = Campaign.objects.filter(name__endswith="（演示）").order_by("id").first()
    if campaign is None or LeadershipMember.objects.filter(campaign=campaign).exists():
        return 0
    by = User.objects.get(username="town")
    made = 0
    for username, full_name, role, duty in LEADERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_unusable_password()  # shown in the group, never logs in
            user.save(update_fields=["password"])
        if not Staff.objects.filter(user=user).exists():
            staff_upsert(user=user, name=full_name, unit=Staff.Unit.TOWN, post=duty, by=by)
        leadership_set(campaign=campaign, user=user, role=role, duty=duty, by=by)
        made += 1
    members = [("town", "民政办工作人员")] + [(team[1][0], "驻村领导") for team in TEAMS]
    for username, duty in members:
        leadership_set(campaign=campaign, user=User.objects.get(username=username), role="成员", duty=duty, by=by)
        made += 1
    today = timezone.localdate()
    meeting_create(
        by=by,
        campaign=campaign,
        kind="动员大会",
        held_on=today,
        place="镇政府三楼会议室",
        chair="陆守正",
        attendees="镇领导班子成员、民政办全体人员、各村(社区)驻村领导、驻村干部和村干部",
        attendee_count=48,
        summary="部署城乡低保精准兜底专项提升行动，培训复核程序和九类重点复核对象。",
    )
    made += 1
    town = Town.objects.get(code="512002110")
    for village_name, kind, count, audience, note in OUTREACH:
        outreach_create(
            by=by,
            campaign=campaign,
            village=Village.objects.get(town=town, name=village_name),
            held_on=today,
            kind=kind,
            count=count,
            audience=audience,
            note=note,
        )
        made += 1
    return made
