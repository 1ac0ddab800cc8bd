from django.conf import settings
from django.http import HttpRequest

from households.towns.selectors import letterhead_of
from kanjia import roles
from kanjia.navigation import nav_for


def office(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    names = roles.role_names(user) if user is not None else set()
    nav = nav_for(user=user, path=request.path) if names else []
    more = [item for item in nav if item["more"]]
    # A deployment serves every town of the district: signed in, the header and footer are the
    # account's own town's (or the district's), not the first town's.
    letterhead = letterhead_of(user=user) if names else None
    return {
        "OFFICE": settings.OFFICE if letterhead is None else letterhead["office"],
        "SYSTEM_TITLE": settings.SYSTEM_TITLE if letterhead is None else letterhead["title"],
        "letterhead": letterhead,
        "user_roles": sorted(names),
        "nav": nav,
        "nav_more": more,
        "nav_more_active": any(item["active"] for item in more),
        "can_see_audit": bool(names & {roles.TOWN_OFFICE, *roles.INSPECTORS}),
        "is_sysadmin": roles.SYSADMIN in names or bool(user and user.is_superuser),
    }
