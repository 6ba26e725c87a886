"""Background work for consultations (Django's Tasks API; the worker is ``manage.py
db_worker``). Tasks take ids, call services, and are safe to run twice.

Opinion-map recomputation is debounced per consultation: a vote (once committed) schedules a
run only if none is pending, and that run starts ``CONSULTATIONS_RECOMPUTE_DELAY`` seconds
later (default 10), so a burst of votes costs one computation. The pending mark is a cache
key added atomically (``cache.add``) and removed by the task *before* it reads the votes:

* a vote committed before the task removes the mark is read by that run;
* a vote committed after it finds no mark and schedules the next run.

So every vote reaches a map within about one delay, and at most one run per consultation
waits at any time. (A mark that expires before a slow worker starts the run only costs an
extra, identical run.) Where the task backend cannot defer, the run is queued at once.
"""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.tasks import default_task_backend, task
from django.utils import timezone


def recompute_delay() -> int:
    return int(getattr(settings, "CONSULTATIONS_RECOMPUTE_DELAY", 10))


def pending_key(consultation_id: int) -> str:
    return f"consultations:opinion-map:pending:{consultation_id}"


def schedule_recompute(consultation_id: int) -> bool:
    """Queue a recomputation unless one is pending. Call after the vote commits. Returns
    whether a run was queued."""
    delay = recompute_delay()
    # The mark outlives the delay a little, so the run normally removes it itself.
    if not cache.add(pending_key(consultation_id), 1, timeout=delay + 60):
        return False
    if delay > 0 and default_task_backend.supports_defer:
        run_after = timezone.now() + datetime.timedelta(seconds=delay)
        recompute_opinion_map.using(run_after=run_after).enqueue(consultation_id)
    else:
        recompute_opinion_map.enqueue(consultation_id)
    return True


@task
def recompute_opinion_map(consultation_id: int) -> dict[str, object]:
    from ecitizen.consultations.services import opinion_map_recompute

    cache.delete(pending_key(consultation_id))  # before reading the votes: see above
    stored = opinion_map_recompute(consultation_id=consultation_id)
    if stored is None:
        return {"status": "skipped"}
    return {"status": stored.status, "votes": stored.n_votes, "mapped": stored.n_participants}


@task
def close_consultation(consultation_id: int) -> bool:
    """At the closing time: destroy the key linking people to anonymous responses."""
    from ecitizen.consultations.models import Consultation
    from ecitizen.consultations.services import consultation_close

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None or not consultation.has_closed() or consultation.closed_at:
        return False
    consultation_close(actor=None, consultation=consultation)
    return True


@task
def notify_outcome(consultation_id: int) -> int:
    from ecitizen.consultations.services import consultation_outcome_notify

    return consultation_outcome_notify(consultation_id=consultation_id)


@task
def close_due_consultations() -> int:
    from ecitizen.consultations.services import consultations_close_due

    return consultations_close_due()
