import datetime

from django.db import connection
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

    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("run_after").values_list("run_after", flat=True).first()
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
