"""/healthz: database reachability and task-queue backlog for load balancers and monitoring."""

import datetime
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

pytestmark = pytest.mark.django_db


def _task(*, age: datetime.timedelta, run_after: datetime.datetime | None = None, **fields):
    """A queued task row as the django_tasks_db backend writes it, enqueued ``age`` ago.
    ``run_after=None`` is what ``task.enqueue()`` stores for "as soon as possible"."""
    result = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="ecitizen.example.tasks.noop",
        backend_name="default",
        run_after=run_after,
        **fields,
    )
    DBTaskResult.objects.filter(pk=result.pk).update(enqueued_at=timezone.now() - age)
    return result


def test_healthy_platform(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body == {
        "status": "ok",
        "database": {"status": "ok", "vendor": body["database"]["vendor"]},
        "tasks": {
            "status": "ok",
            "ready": 0,
            "running": 0,
            "failed_last_hour": 0,
            "oldest_ready_seconds": 0.0,
        },
    }
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}


def test_needs_no_sign_in_and_reveals_no_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "database", "tasks"}


def test_a_fresh_backlog_is_ok(client):
    _task(age=datetime.timedelta(seconds=5))
    _task(
        age=datetime.timedelta(seconds=5), run_after=timezone.now() - datetime.timedelta(seconds=5)
    )

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert body["tasks"]["ready"] == 2 and body["tasks"]["status"] == "ok"


def test_a_task_due_long_ago_and_still_ready_is_degraded(client):
    _task(
        age=datetime.timedelta(minutes=20),
        run_after=timezone.now() - datetime.timedelta(minutes=10),
    )

    response = client.get("/healthz")

    assert response.status_code == 200  # degraded still serves traffic
    body = response.json()
    assert body["status"] == "degraded"
    assert body["tasks"]["status"] == "degraded"
    assert body["tasks"]["ready"] == 1
    assert body["tasks"]["oldest_ready_seconds"] >= 600


def test_an_ordinary_task_waiting_for_ten_minutes_is_degraded(client):
    stale = _task(age=datetime.timedelta(minutes=10))
    assert stale.run_after == get_date_max()  # what enqueue() stores for "now"

    body = client.get("/healthz").json()

    assert body["tasks"]["ready"] == 1
    assert body["status"] == "degraded"
    assert body["tasks"]["oldest_ready_seconds"] >= 600


def test_a_task_scheduled_for_later_is_not_backlog(client):
    _task(age=datetime.timedelta(hours=1), run_after=timezone.now() + datetime.timedelta(hours=1))

    body = client.get("/healthz").json()

    assert body["status"] == "ok" and body["tasks"]["ready"] == 0


def test_running_and_recently_failed_tasks_are_counted(client):
    now = timezone.now()
    _task(age=datetime.timedelta(minutes=1), status="RUNNING", started_at=now)
    _task(
        age=datetime.timedelta(minutes=5),
        status="FAILED",
        finished_at=now - datetime.timedelta(minutes=5),
    )
    _task(
        age=datetime.timedelta(hours=3),
        status="FAILED",
        finished_at=now - datetime.timedelta(hours=2),
    )

    body = client.get("/healthz").json()

    assert body["tasks"]["running"] == 1
    assert body["tasks"]["failed_last_hour"] == 1
    assert body["status"] == "ok"


def test_an_unreachable_database_answers_503(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("ecitizen.core.selectors.connection", broken):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": {"status": "error", "error": "OperationalError"},
    }
