"""Settings for the worker subprocess of the crash test: the test's own database, the real
task backend, SMTP to the test's sink, and a slow send rate so the worker can be killed in
the middle of a batch."""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["CRASH_DB_NAME"]  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["CRASH_SMTP_PORT"])
NOTIFICATIONS_RATE_LIMITS = {"smtp": int(os.environ.get("CRASH_RATE", "200"))}
NOTIFICATIONS_CLAIM_CHUNK = 10
NOTIFICATIONS_LEASE_SECONDS = 2
NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
# PostgreSQL: "sent" marks committed without waiting for the flush (the pipelining run).
NOTIFICATIONS_ASYNC_SENT_MARKS = os.environ.get("CRASH_ASYNC_SENT_MARKS") == "1"
PUBLIC_BASE_URL = "http://testserver"
