from django.conf import settings
from django.http import HttpRequest

from kanjia import roles


def office(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    names = roles.role_names(user) if user is not None else set()
    return {
        "OFFICE": settings.OFFICE,
        "SYSTEM_TITLE": settings.SYSTEM_TITLE,
        "user_roles": sorted(names),
        "can_see_audit": bool(names & {roles.TOWN_OFFICE, roles.INSPECTOR}),
        "is_sysadmin": roles.SYSADMIN in names or bool(user and user.is_superuser),
    }
