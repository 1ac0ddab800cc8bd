"""The main navigation: which entries a user's roles show, and which one is active.

Kept in Python (not template conditionals) so that each role's menu is one
readable table and can be tested.
"""

from dataclasses import dataclass

from django.urls import reverse

from kanjia import roles

ANY = None  # every signed-in user
TOWN_WIDE = roles.TOWN_WIDE_READERS
STAFF = (roles.TOWN_OFFICE, roles.VILLAGE_TEAM, roles.DISTRICT)


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    prefixes: tuple[str, ...]
    roles: tuple[str, ...] | None = ANY
    # Seldom used: under 更多 when a role has two or more such entries (the town office's
    # thirteen entries wrapped the bar onto two rows at 1366 px).
    secondary: bool = False


ENTRIES = (
    Entry("首页", "dashboard", ("/",)),
    Entry("低保户", "households:list", ("/households/",)),
    Entry("台账导入导出", "households:ledger:index", ("/households/ledger/",), (roles.TOWN_OFFICE, roles.VILLAGE_TEAM)),
    Entry("专项行动", "review:campaigns", ("/review/campaigns/", "/review/cases/", "/review/worklist/")),
    Entry("我的小组", "review:my_team", ("/review/my-team/",), (roles.VILLAGE_TEAM,)),
    Entry("手机走访", "review:visit_app", ("/review/visits/",), (roles.VILLAGE_TEAM, roles.DISTRICT)),
    Entry("清理小组", "review:team_list", ("/review/teams/",), TOWN_WIDE),
    Entry("公示", "publicity:rounds", ("/publicity/",)),
    Entry("通知与申诉", "review:notices", ("/review/notices/", "/review/complaints/"), TOWN_WIDE),
    Entry("档案", "archives:index", ("/archives/",)),
    Entry("近亲属备案", "review:relatives:register", ("/review/relatives/register/",), TOWN_WIDE),
    Entry("近亲属申报", "review:relatives:mine", ("/review/relatives/mine/",), STAFF, secondary=True),
    Entry("审计", "audit:index", ("/audit/",), (roles.TOWN_OFFICE, *roles.INSPECTORS)),
    Entry("节假日", "calendar", ("/calendar/",), (roles.TOWN_OFFICE,), secondary=True),
    Entry("账号与角色", "accounts:list", ("/accounts/manage/",), (roles.SYSADMIN,)),
    Entry("角色确认", "accounts:roles", ("/accounts/manage/roles/",), (roles.TOWN_OFFICE,), secondary=True),
)


def nav_for(*, user, path: str) -> list[dict]:
    names = roles.role_names(user)
    shown = [e for e in ENTRIES if e.roles is ANY or names & set(e.roles)]

    # The longest matching prefix is the active entry ("/" only matches the home page).
    def match(entry: Entry) -> int:
        return max((len(p) for p in entry.prefixes if (path == p if p == "/" else path.startswith(p))), default=0)

    best = max(shown, key=match, default=None)
    active = best if best is not None and match(best) else None
    more = [e for e in shown if e.secondary]
    folded = len(more) >= 2
    return [
        {"label": e.label, "url": reverse(e.url_name), "active": e is active, "more": folded and e.secondary}
        for e in shown
    ]
