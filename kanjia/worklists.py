"""Worklists: what waits for a user's next action, gathered from every app.

Each app registers a provider in its `AppConfig.ready()` (`register_worklist`);
a provider returns `WorkItem`s for one user: a count of things waiting for that
user's role, per stage and village, each with the link to the filtered list
where they are done. The home page and 我的待办 show the same items, overdue
first (kanjia imports no app: the apps fill the registry).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class WorkItem:
    section: str  # 案件办理, 三榜公示, 通知与申诉, 抽查
    action: str  # what is to be done, e.g. 待受理登记
    village: str  # "" when the item is town-wide
    count: int
    url: str
    overdue: int = 0
    overdue_url: str = ""
    order: int = 0  # stage order within the pipeline


Provider = Callable[..., list[WorkItem]]
_providers: list[Provider] = []


def register_worklist(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def work_items(*, user: User) -> list[WorkItem]:
    """Every registered app's items for `user`: overdue first, then by stage and village."""
    if not user.is_authenticated or not user.is_active:
        return []
    items = [item for provider in _providers for item in provider(user=user) if item.count]
    return sorted(items, key=lambda i: (i.overdue == 0, i.order, i.action, i.village))
