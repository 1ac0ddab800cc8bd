from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from kanjia.models import AccessLog
from kanjia.net import client_ip


def log_access(
    *,
    request: HttpRequest | None,
    user: AbstractBaseUser,
    action: str,
    obj: models.Model | None = None,
    village_id: int | None = None,
    detail: str = "",
) -> AccessLog:
    """Record one sensitive read. Never put the sensitive value itself in `detail`."""
    return AccessLog.objects.create(
        user=user,
        ip=client_ip(request) if request is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        village_id=village_id,
        detail=detail[:255],
    )
