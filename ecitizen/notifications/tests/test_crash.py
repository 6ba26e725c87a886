"""Crash test: a real ``manage.py db_worker`` is killed (SIGKILL) in the middle of a batch,
restarted, and the sweep hands on what it left; the SMTP sink must then hold every message
exactly once by Message-ID (nothing lost), and raw duplicates can only be the one message
that was between "handed to SMTP" and "recorded as sent" when the worker died."""

import collections
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.core.mailsink import MailSink
from ecitizen.notifications.models import Channel, Message
from ecitizen.notifications.tasks import enqueue_delivery
from ecitizen.notifications.tests.conftest import PipeliningMailSink, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

MESSAGES = 300


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as output:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.05", "--no-startup-delay"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=output,
        )


def _wait(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _message_ids(folder: Path) -> list[str]:
    ids = []
    for path in folder.glob("*.eml"):
        for line in path.read_bytes().split(b"\r\n\r\n", 1)[0].splitlines():
            if line.lower().startswith(b"message-id:"):
                ids.append(line.split(b":", 1)[1].strip().decode())
    return ids


@pytest.mark.parametrize(
    "sink_class", [MailSink, PipeliningMailSink], ids=["one-by-one", "pipelining"]
)
def test_killed_worker_loses_nothing_and_sends_nothing_twice(
    transactional_db: None, settings: Any, tmp_path: Path, sink_class: type[MailSink]
) -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    sink = sink_class(tmp_path / "sink", port=free_port()).start()
    resident = UserFactory()
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            recipient=resident,
            channel=Channel.EMAIL,
            topic="applications",
            event="application.submitted",
            subject=f"Message {i}",
            body=f"Body {i}",
            to=f"resident{i}@example.org",
            next_attempt_at=now,
        )
        for i in range(MESSAGES)
    )
    messages = list(Message.objects.values_list("pk", "uuid"))
    expected = {f"<{uuid}@ecitizen.example>" for _pk, uuid in messages}
    enqueue_delivery([pk for pk, _uuid in messages])  # tasks of 500: one batch
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ecitizen.notifications.tests.crash_settings",
        "CRASH_DB_NAME": str(connection.settings_dict["NAME"]),
        "CRASH_SMTP_PORT": str(sink.port),
        "CRASH_RATE": "250",
        # The opt-in asynchronous marks on the pipelining run: a killed worker loses none.
        "CRASH_ASYNC_SENT_MARKS": "1" if sink_class is PipeliningMailSink else "0",
    }
    folder = tmp_path / "sink"
    log = tmp_path / "worker.log"
    worker = _worker(env, log)
    try:
        # Kill it (no warning, no clean-up) once part of the batch has gone out.
        assert _wait(lambda: len(list(folder.glob("*.eml"))) >= MESSAGES // 3, 60)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        at_kill = len(list(folder.glob("*.eml")))
        assert at_kill < MESSAGES, "the worker finished before it was killed"
        stuck = Message.objects.exclude(status=Message.Status.SENT).count()
        assert stuck > 0

        # Restart; once the dead worker's leases run out, the sweep (cron) hands the rest on.
        worker = _worker(env, log)
        time.sleep(2.2)  # NOTIFICATIONS_LEASE_SECONDS in the worker's settings
        call_command("notifications_sweep", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert _wait(
            lambda: not Message.objects.exclude(status=Message.Status.SENT).exists(), 60
        ), (
            list(
                Message.objects.exclude(status=Message.Status.SENT).values_list(
                    "status", "attempts", "failed_reason"
                )[:5]
            ),
            log.read_text()[-3000:],
        )
        assert _wait(lambda: set(_message_ids(folder)) >= expected, 10)
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
        sink.stop()

    received = _message_ids(folder)
    counts = collections.Counter(received)
    duplicates = {message_id: n for message_id, n in counts.items() if n > 1}
    # Nothing lost, nothing foreign: the sink, deduplicated by Message-ID, is the expected set.
    assert set(received) == expected
    # At most the one message in flight at the kill reached the sink twice.
    assert sum(n - 1 for n in duplicates.values()) <= 1, duplicates
    print(
        f"\ncrash test: {MESSAGES} messages, killed after {at_kill} reached the sink, "
        f"{stuck} not yet recorded as sent; after restart: {len(set(received))} unique, "
        f"{len(received) - len(set(received))} raw duplicate(s)"
    )
