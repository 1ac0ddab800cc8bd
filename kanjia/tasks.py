from celery import shared_task


@shared_task(name="kanjia.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check for workers: the real-worker test and ops use it."""
    return value
