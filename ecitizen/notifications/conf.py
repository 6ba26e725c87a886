"""Settings of the notifications app, each with a default (override in config/settings)."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Deliveries: attempts before a message is marked failed, and the first retry delay
    # (doubled at each attempt, with jitter), in seconds.
    "NOTIFICATIONS_MAX_ATTEMPTS": 6,
    "NOTIFICATIONS_RETRY_BASE_SECONDS": 30,
    # A claimed message is leased to one worker this long; after that the sweep hands it to
    # another worker (the at-least-once window: see docs/notifications.md).
    "NOTIFICATIONS_LEASE_SECONDS": 120,
    # Messages claimed (leased) at once by a delivery task; one claim per task by default
    # (claiming 500 rows in one statement costs half as much per message as 50 at a time).
    "NOTIFICATIONS_CLAIM_CHUNK": 500,
    # PostgreSQL, opt-in: commit each "sent" mark without waiting for the WAL flush (SET
    # LOCAL synchronous_commit TO OFF in that transaction only). A killed worker loses
    # nothing; a crash of the database server can lose the last marks (up to 3 x
    # wal_writer_delay, 600 ms by default), and those messages are sent again with the same
    # Message-ID (at-least-once). Off by default: with durable commits the hand-off already
    # meets its target (docs/performance.md); see docs/notifications.md before turning it on.
    "NOTIFICATIONS_ASYNC_SENT_MARKS": False,
    # Message ids per delivery task.
    "NOTIFICATIONS_TASK_BATCH": 500,
    # Residents per fan-out task of an area alert.
    "NOTIFICATIONS_FANOUT_BATCH": 5000,
    # Messages per second per provider, across all workers (0 = unlimited).
    "NOTIFICATIONS_RATE_LIMITS": {"smtp": 2000, "sms": 50},
    # A "created" message untouched this long is re-dispatched by the sweep.
    "NOTIFICATIONS_SWEEP_GRACE_SECONDS": 60,
    # Severities whose alerts a second person must approve before they go out.
    "NOTIFICATIONS_APPROVAL_SEVERITIES": ["emergency"],
    # SMS provider: "sink" (files in NOTIFICATIONS_SMS_SINK_DIR) or "http" (JSON gateway).
    "NOTIFICATIONS_SMS_PROVIDER": "sink",
    "NOTIFICATIONS_SMS_SINK_DIR": None,  # default: var/smssink
    "NOTIFICATIONS_SMS_HTTP_URL": "",
    "NOTIFICATIONS_SMS_HTTP_TOKEN": "",
    "NOTIFICATIONS_SMS_HTTP_SENDER": "eCitizen",
    "NOTIFICATIONS_SMS_WEBHOOK_SECRET": "sms-webhook-secret-for-development-only",
    "NOTIFICATIONS_SMS_WEBHOOK_TOLERANCE_SECONDS": 300,
    "NOTIFICATIONS_MAIL_SINK_DIR": None,  # default: var/mailsink (what `make demo` writes)
    # The staff page showing the development mail and SMS sinks (off unless DEBUG).
    "NOTIFICATIONS_DEV_SINK_PAGE": None,
    # Permit expiry reminders: days before ``valid_until``.
    "NOTIFICATIONS_PERMIT_REMINDER_DAYS": [30, 7],
    # CAP sender (an email-like identifier of the alerting authority).
    "NOTIFICATIONS_CAP_SENDER": "alerts@ecitizen.example",
}


def get(name: str) -> Any:
    value = getattr(settings, name, DEFAULTS[name])
    if value is None:
        if name == "NOTIFICATIONS_SMS_SINK_DIR":
            return settings.BASE_DIR / "var" / "smssink"
        if name == "NOTIFICATIONS_MAIL_SINK_DIR":
            return settings.BASE_DIR / "var" / "mailsink"
        if name == "NOTIFICATIONS_DEV_SINK_PAGE":
            return settings.DEBUG
    return value
