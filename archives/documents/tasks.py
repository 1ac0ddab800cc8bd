"""Archive tasks: keep locations and retention dates in step with the registry.

Idempotent (locations_sync creates only what is missing), so a periodic run and a
run triggered after an import may overlap harmlessly. Send with
`locations_sync_task.delay_on_commit(household_ids=[...])` from code that has
just changed households.
"""

from celery import shared_task

# Nightly run scheduled in settings.CELERY_BEAT_SCHEDULE; also sent after every
# registry change through households.hooks (see on_households_changed below).


@shared_task(name="archives.tasks.locations_sync")
def locations_sync_task(household_ids: list[int] | None = None) -> dict:
    from archives.documents.locations import locations_sync
    from archives.documents.services import documents_refresh_retention

    result = locations_sync(household_ids=household_ids)
    refreshed = documents_refresh_retention(household_ids=household_ids)
    return {"created": result.created, "moved": result.moved, "renamed": result.renamed, "retention": refreshed}


def on_households_changed(*, household_ids: frozenset[int] | None, by=None) -> None:
    """households.hooks listener (runs after commit): bring the bags of these households in step.

    A few households (an edit, an approval) are synced at once: a handful of
    queries. "Any household" (an import) is a whole-town sync: a background task.
    """
    if household_ids is None:
        locations_sync_task.delay()
        return
    from archives.documents.locations import locations_sync

    locations_sync(household_ids=sorted(household_ids), by=by)
