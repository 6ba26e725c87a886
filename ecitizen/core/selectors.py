import datetime

from django.db import connection
from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.utils import timezone


def health_report() -> dict[str, object]:
    """Database reachability and task-queue backlog, for load balancers and monitoring."""
    report: dict[str, object] = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # health checks report, never raise
        report["status"] = "error"
        report["database"] = {"status": "error", "error": exc.__class__.__name__}
        return report

    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    # A task is due from when it was enqueued, or from its run_after if it was deferred
    # (django_tasks_db stores the maximum date as run_after for "run as soon as possible").
    due_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest(F("enqueued_at"), F("run_after")),
    )
    oldest = ready.aggregate(oldest=Min(due_since))["oldest"]
    lag = (now - oldest).total_seconds() if oldest else 0.0
    failed = DBTaskResult.objects.failed().filter(
        finished_at__gte=now - datetime.timedelta(hours=1)
    )
    queue_status = "ok" if lag < 300 else "degraded"
    report["tasks"] = {
        "status": queue_status,
        "ready": ready.count(),
        "running": DBTaskResult.objects.running().count(),
        "failed_last_hour": failed.count(),
        "oldest_ready_seconds": round(max(lag, 0.0), 1),
    }
    if queue_status != "ok":
        report["status"] = "degraded"
    return report
