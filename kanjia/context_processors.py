from django.conf import settings
from django.http import HttpRequest

from kanjia import roles
from kanjia.navigation import nav_for


def office(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    names = roles.role_names(user) if user is not None else set()
    return {
        "OFFICE": settings.OFFICE,
        "SYSTEM_TITLE": settings.SYSTEM_TITLE,
        "user_roles": sorted(names),
        "nav": nav_for(user=user, path=request.path) if names else [],
        "can_see_audit": bool(names & {roles.TOWN_OFFICE, roles.INSPECTOR}),
        "is_sysadmin": roles.SYSADMIN in names or bool(user and user.is_superuser),
    }
