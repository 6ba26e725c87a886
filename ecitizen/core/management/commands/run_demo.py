import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ecitizen.core import demo
from ecitizen.core.mailsink import MailSink


class Command(BaseCommand):
    help = "Run the demo: web server, task worker and local mail sink, and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        sink_dir = Path(settings.BASE_DIR) / "var" / "mailsink"
        sink = MailSink(sink_dir, port=settings.EMAIL_PORT).start()
        # Links in emails, permit QR codes and sandbox payment webhooks follow the demo's port.
        base_url = f"http://{host}:{port}"
        urls = {
            "PUBLIC_BASE_URL": base_url,
            "PAYMENTS_SANDBOX_WEBHOOK_URL": f"{base_url}/payments/webhooks/sandbox/",
        }
        for name, value in urls.items():
            setattr(settings, name, os.environ.setdefault(name, value))
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.5"],
            cwd=settings.BASE_DIR,
            env=os.environ.copy(),
        )
        self.print_logins(host, port, sink_dir)
        # Stopped by a process manager or `timeout` (SIGTERM) as by Ctrl-C: stop what it started.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
            sink.stop()

    def print_logins(self, host: str, port: int, sink_dir: Path) -> None:
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"eCitizen demo: http://{host}:{port}/"))
        out(f"Password for every demo account: {demo.demo_password()}")
        out(f"Staff second factor (TOTP secret for any authenticator app): {demo.DEMO_TOTP_SECRET}")
        for account in demo.DEMO_ACCOUNTS:
            out(f"  {account.label:<45} {account.email}")
        out(
            f"Emails sent by the platform are kept in {sink_dir}"
            f" (SMTP on port {settings.EMAIL_PORT})."
        )
        out("")
