"""Background work (Django's Tasks API; the worker is ``manage.py db_worker``). Tasks take ids,
read fresh state and are safe to run twice."""

import datetime
from collections.abc import Iterable

from django.tasks import default_task_backend, task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ecitizen.notifications import conf, delivery


def enqueue_delivery(ids: Iterable[int], run_after: datetime.datetime | None = None) -> int:
    """Queue delivery tasks for ``ids`` in batches; returns how many tasks were queued.
    ``run_after`` is honoured where the backend can defer (the sweep catches the rest)."""
    ids = list(ids)
    size = int(conf.get("NOTIFICATIONS_TASK_BATCH"))
    defer = run_after is not None and run_after > timezone.now()
    if defer and not default_task_backend.supports_defer:
        return 0
    queued = 0
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        if defer:
            deliver_messages.using(run_after=run_after).enqueue(chunk)
        else:
            deliver_messages.enqueue(chunk)
        queued += 1
    return queued


@task
def deliver_messages(message_ids: list[int]) -> dict[str, object]:
    result = delivery.deliver(message_ids)
    retry_at = result.get("retry_at")
    if retry_at:
        enqueue_delivery(result["retry_ids"], run_after=parse_datetime(str(retry_at)))  # type: ignore[arg-type]
    return result


@task
def alert_fanout(alert_id: int) -> int:
    """Split an alert's residents into id ranges, one task each (so several workers share
    the work). Returns the number of range tasks queued."""
    from ecitizen.notifications.services import alert_fanout_ranges

    ranges = alert_fanout_ranges(alert_id=alert_id)
    for start, end in ranges:
        alert_fanout_range.enqueue(alert_id, start, end)
    return len(ranges)


@task
def alert_fanout_range(alert_id: int, start: int, end: int) -> int:
    """Write the email/SMS messages of an alert for residents with ids in [start, end), then
    queue their delivery. Returns how many messages were queued."""
    from ecitizen.notifications.services import alert_fanout_batch

    due, deferred = alert_fanout_batch(alert_id=alert_id, start=start, end=end)
    enqueue_delivery(due)
    for at, ids in deferred.items():
        enqueue_delivery(ids, run_after=at)
    return len(due)


@task
def sweep_outbox() -> int:
    """Re-queue messages whose task was lost or whose worker died (run it every minute)."""
    ids = delivery.sweep_ids()
    enqueue_delivery(ids)
    return len(ids)
