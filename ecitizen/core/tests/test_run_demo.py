"""`make demo`'s last step: the web server, the task worker and the mail sink come up, and
stopping it (Ctrl-C or SIGTERM) stops all three."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from ecitizen.notifications.tests.conftest import free_port


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def _alive(pid: int) -> bool:
    """Running, not gone and not a zombie (the state field of ``/proc/<pid>/stat``)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_demo_serves_pages_and_stops_everything_it_started(tmp_path, stop) -> None:
    database = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "EMAIL_PORT": str(free_port()),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=settings.BASE_DIR, env=env, check=True)
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as output:  # a file, not a pipe: nobody reads it while the demo runs
        demo = subprocess.Popen(
            [*manage, "run_demo", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=output,
        )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert demo.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        workers = _children(demo.pid)
        assert workers, "no task worker"
        with socket.create_connection(("127.0.0.1", int(env["EMAIL_PORT"])), timeout=5) as smtp:
            assert smtp.recv(100).startswith(b"220")  # the mail sink answers

        demo.send_signal(stop)
        assert demo.wait(timeout=30) is not None
        time.sleep(0.5)
        assert not [pid for pid in workers if _alive(pid)], "the task worker was left running"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", int(env["EMAIL_PORT"])), timeout=2)
    finally:
        if demo.poll() is None:
            workers += _children(demo.pid)
            demo.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
