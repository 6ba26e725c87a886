"""Delivering messages from the outbox: claim, send, record — at least once, never lost.

How a message goes out (and why it is not sent twice in practice)
-----------------------------------------------------------------
1. **Claim** (one short transaction): a few due messages (``created`` and due, or ``sending``
   whose lease has run out) become ``sending`` with a lease and one more attempt. A second
   worker given the same ids skips them while the lease runs.
2. **Send**: each message is handed to SMTP (one connection per task) or the SMS provider,
   with its message id (``Message-ID: <uuid@host>``; the SMS ``reference`` and
   ``Idempotency-Key``).
3. **Record**: right after the server accepts it, the message becomes ``sent`` (one
   autocommitted update per message), before the next message is handed over. On
   PostgreSQL that commit can be made asynchronous (``NOTIFICATIONS_ASYNC_SENT_MARKS``, off
   by default): a killed worker still loses no mark, but a crashed database server can lose
   the last ~0.6 s of them, whose messages are then sent again (see ``_SENT_SQL_ASYNC`` and
   docs/notifications.md).

If the worker dies, at most the one message between 2 and 3 is in doubt: when its lease runs
out the sweep hands it to another worker, which sends it again (at-least-once). Receivers
deduplicate by the message id (the SMS gateway by ``Idempotency-Key``; mail by
``Message-ID``). Every other claimed message was either recorded as sent or never handed
over, so it is sent exactly once.

Failures: a temporary one (connection, 4xx SMTP reply, HTTP 429/5xx) puts the message back to
``created`` with exponential backoff (``Retry-After`` when the provider gives one); after
``NOTIFICATIONS_MAX_ATTEMPTS`` attempts, or at once for a permanent refusal, it is ``failed``
with the reason.
"""

import contextlib
import datetime
import email.policy
import functools
import logging
import random
import re
import smtplib
import time
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ecitizen.notifications import conf, rendering, sms
from ecitizen.notifications.models import Alert, Channel, Message
from ecitizen.notifications.preferences import MANDATORY

log = logging.getLogger("ecitizen.notifications")

Status = Message.Status


class RateLimiter:
    """Messages per second per provider, shared by the workers through the cache (a fixed
    one-second window; tokens are taken a chunk at a time)."""

    def wait(self, provider: str, count: int) -> float:
        limit = int(conf.get("NOTIFICATIONS_RATE_LIMITS").get(provider, 0) or 0)
        waited = 0.0
        if limit <= 0:
            return waited
        while True:
            now = time.time()
            key = f"notifications:rate:{provider}:{int(now)}"
            cache.add(key, 0, timeout=5)
            try:
                used = cache.incr(key, count)
            except ValueError:  # expired between add and incr
                cache.set(key, count, timeout=5)
                used = count
            if used <= limit or used == count:  # a chunk larger than the limit still goes
                return waited
            pause = int(now) + 1 - now
            time.sleep(pause)
            waited += pause


rate_limiter = RateLimiter()


def due_filter(now: datetime.datetime) -> Q:
    return Q(status=Status.CREATED, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lt=now
    )


# PostgreSQL claims in one statement (lock the due rows no other worker holds, lease them,
# return them); other databases select then update inside one transaction (SQLite's
# IMMEDIATE transactions serialise writers).
_CLAIM_SQL = """
    UPDATE notifications_message
       SET status = 'sending', lease_until = %s, attempts = attempts + 1
     WHERE id IN (
        SELECT id FROM notifications_message
         WHERE id = ANY(%s)
           AND ((status = 'created' AND next_attempt_at <= %s)
                OR (status = 'sending' AND lease_until < %s))
         ORDER BY id
           FOR UPDATE SKIP LOCKED)
    RETURNING *
"""


def claim(ids: Iterable[int]) -> list[Message]:
    """Lease the due messages among ``ids`` to this worker (see the module docstring)."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=conf.get("NOTIFICATIONS_LEASE_SECONDS"))
    ids = list(ids)
    if connection.vendor == "postgresql":
        claimed = sorted(
            Message.objects.raw(_CLAIM_SQL, [lease, ids, now, now]), key=lambda m: m.pk
        )
    else:
        with transaction.atomic():
            due = Message.objects.filter(pk__in=ids).filter(due_filter(now))
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            claimed = list(due.order_by("pk"))
            if claimed:
                Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
                    status=Status.SENDING, lease_until=lease, attempts=F("attempts") + 1
                )
        for message in claimed:
            message.attempts += 1
            message.status = Status.SENDING
    alert_ids = {m.alert_id for m in claimed if m.alert_id is not None}
    alerts = Alert.objects.in_bulk(alert_ids) if alert_ids else {}
    for message in claimed:
        if message.alert_id is not None:
            message.alert = alerts[message.alert_id]  # one query per chunk, not a join per row
    return claimed


def _mark_sent(message: Message, provider: str, provider_ref: str = "", delivered: bool = False):
    """Record one message as sent (autocommitted at once). It runs once per message, between
    two hand-overs, so it is one plain ``UPDATE`` (a queryset update costs several times more
    Python per call); on PostgreSQL a prepared statement with server-side parameters."""
    now = timezone.now()
    params = [
        Status.DELIVERED if delivered else Status.SENT,
        now,
        now if delivered else None,
        provider,
        provider_ref[:100],
        message.pk,
        Status.SENDING,
    ]
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        # Its own transaction (autocommit): its commit need not wait for the WAL flush (see
        # _SENT_SQL_ASYNC). Inside a caller's transaction, the caller's commit decides.
        sql = _SENT_SQL
        if not connection.in_atomic_block and conf.get("NOTIFICATIONS_ASYNC_SENT_MARKS"):
            sql = _SENT_SQL_ASYNC
        # Django's own cursors bind parameters on the client (the statement is parsed and
        # planned anew each time); this one is prepared once per connection.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_SENT_SQL, params)


# Message._meta.db_table and its columns (checked by a test).
_SENT_SQL = (
    "UPDATE notifications_message SET status = %s, sent_at = %s, delivered_at = %s,"
    " lease_until = NULL, provider = %s, provider_ref = %s, failed_reason = ''"
    " WHERE id = %s AND status = %s"
)
# PostgreSQL: the same, committed asynchronously. ``set_config(..., true)`` is ``SET LOCAL
# synchronous_commit TO OFF`` for this statement's own (autocommitted) transaction only, in
# the same round trip: the commit returns without waiting for the WAL flush, and the next
# transaction of the connection is synchronous again. The mark is visible to every session
# at once and survives the worker being killed (the server flushes it within
# ``wal_writer_delay``, 200 ms, times three at most); only a crash of the PostgreSQL server
# (or its machine) can lose the last marks, and their messages are then sent again
# (at-least-once, same Message-ID). Any later synchronous commit flushes it too (the WAL is
# written in order). Evaluated only on the matched row: a statement that changes nothing
# writes nothing and has nothing to flush.
_SENT_SQL_ASYNC = _SENT_SQL + " AND set_config('synchronous_commit', 'off', true) = 'off'"


def _mark_failed(message: Message, reason: str) -> None:
    Message.objects.filter(pk=message.pk).exclude(
        status__in=[Status.SENT, Status.DELIVERED]
    ).update(status=Status.FAILED, lease_until=None, failed_reason=reason[:300])
    log.warning("message %s failed: %s", message.uuid, reason)


def retry_delay(attempts: int) -> float:
    base = float(conf.get("NOTIFICATIONS_RETRY_BASE_SECONDS"))
    return base * 2 ** max(attempts - 1, 0) * (1 + random.random() / 4)


def _retry_later(
    message: Message, reason: str, retry_after: float | None = None
) -> datetime.datetime | None:
    """Back to ``created`` for a later attempt; ``failed`` once attempts run out."""
    if message.attempts >= conf.get("NOTIFICATIONS_MAX_ATTEMPTS"):
        _mark_failed(message, reason)
        return None
    delay = max(retry_after or 0, retry_delay(message.attempts))
    at = timezone.now() + datetime.timedelta(seconds=delay)
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.CREATED, lease_until=None, next_attempt_at=at, failed_reason=reason[:300]
    )
    return at


def _release(messages: list[Message]) -> None:
    """Messages claimed but not attempted (the connection went away): due again at once,
    without counting the attempt."""
    if messages:
        Message.objects.filter(pk__in=[m.pk for m in messages], status=Status.SENDING).update(
            status=Status.CREATED,
            lease_until=None,
            next_attempt_at=timezone.now(),
            attempts=F("attempts") - 1,
        )


# --- Email ----------------------------------------------------------------------------------


def message_id_header(message: Message) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "ecitizen.example"
    return f"<{message.uuid}@{domain}>"


_UNSET = object()


def build_email(
    message: Message, connection: object | None = None, unsubscribe: object = _UNSET
) -> EmailMultiAlternatives:
    if unsubscribe is _UNSET:
        unsubscribe = None if message.topic in MANDATORY else rendering.unsubscribe_url(message)
    assert unsubscribe is None or isinstance(unsubscribe, str)
    subject, text, html = rendering.email_parts(message, unsubscribe)
    headers = {"Message-ID": message_id_header(message), "Content-Language": message.language}
    if unsubscribe:
        # RFC 2369 + RFC 8058: mail clients offer "unsubscribe" and POST to it in one click.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if message.alert is not None:
        headers["X-Alert-Identifier"] = message.alert.identifier
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    for attachment in message.data.get("attachments", []):
        if attachment.get("kind") == "receipt":
            from ecitizen.payments.models import Payment
            from ecitizen.payments.receipts import receipt_pdf

            payment = Payment.objects.select_related(
                "payer__profile", "agency", "application__service_version"
            ).get(pk=attachment["payment_id"])
            email.attach(
                f"receipt-{payment.reference}.pdf",
                receipt_pdf(payment, message.language),
                "application/pdf",
            )
    return email


# Alert emails are the same for every resident of a language except a few slots, so a worker
# serialises one per alert, language and minute and fills in the slots (about 500 times
# cheaper than building each message with the email package).
_TO_SLOT = "recipient@slot.invalid"
_ID_SLOT = "<message-id@slot.invalid>"
_UNSUBSCRIBE_SLOT = "https://slot.invalid/unsubscribe/"


@functools.lru_cache(maxsize=32)
def _alert_email_template(
    alert_id: int, identifier: str, language: str, topic: str, with_unsubscribe: bool, minute: int
) -> bytes | None:
    from ecitizen.notifications.models import Alert

    probe = Message(
        alert=Alert.objects.get(pk=alert_id), language=language, topic=topic, to=_TO_SLOT
    )
    built = build_email(probe, unsubscribe=_UNSUBSCRIBE_SLOT if with_unsubscribe else None)
    built.extra_headers["Message-ID"] = _ID_SLOT
    raw = built.message(policy=email.policy.SMTP).as_bytes()
    # Only if every slot survived as plain bytes (a body in quoted-printable or base64, say
    # for accented text, would hide the unsubscribe link: then build each message).
    wanted = 3 if with_unsubscribe else 0
    if raw.count(_UNSUBSCRIBE_SLOT.encode()) != wanted or raw.count(_ID_SLOT.encode()) != 1:
        return None
    return raw


def fast_alert_bytes(message: Message) -> bytes | None:
    """The wire bytes of an alert email from the per-alert template, or None to build it."""
    to = message.to
    if message.alert_id is None or not to.isascii() or "@" not in to or not to.isprintable():
        return None
    unsubscribe = None if message.topic in MANDATORY else rendering.unsubscribe_url(message)
    assert message.alert is not None
    template = _alert_email_template(
        message.alert_id,
        message.alert.identifier,  # ids can come back (a rolled-back SQLite transaction)
        message.language,
        message.topic,
        unsubscribe is not None,
        int(time.time() // 60),  # a fresh Date header every minute
    )
    if template is None:
        return None
    raw = template.replace(_TO_SLOT.encode(), message.to.encode()).replace(
        _ID_SLOT.encode(), message_id_header(message).encode()
    )
    if unsubscribe:
        raw = raw.replace(_UNSUBSCRIBE_SLOT.encode(), unsubscribe.encode())
    return raw


_PERMANENT_SMTP = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)
_STUFF = re.compile(rb"(?m)^\.")


def wire_bytes(message: Message) -> tuple[bytes, bool]:
    """The message as handed to SMTP, and whether it is an alert filled in from its template.
    Alert emails come from the per-alert template; other messages are built in full."""
    raw = fast_alert_bytes(message)
    if raw is not None:
        return raw, True
    built = build_email(message)
    return built.message(policy=email.policy.SMTP).as_bytes(), False


class MailSession:
    """One SMTP connection for a whole delivery task, opened at its first email (through
    Django's SMTP backend: TLS and authentication as configured) and closed at the end.

    When the server offers PIPELINING (RFC 2920, as Postfix, Exim and the big providers do),
    a message's envelope (``MAIL``, ``RCPT``, ``DATA``) goes in the same write as the
    previous message's content: one round trip per message instead of four. The guarantee
    is unchanged: a message's content is handed over only after the previous one has been
    answered and recorded as sent, so a killed worker leaves at most one message in doubt.
    Without PIPELINING, messages go one by one with ``smtplib``."""

    def __init__(self) -> None:
        self.backend: Any = None
        self.sender: str | None = None

    def close(self) -> None:
        if self.backend is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.backend.close()
            self.backend = None

    def send(self, messages: list[Message], counts: Counter, retries: list) -> None:
        if self.backend is None:
            backend = get_connection(fail_silently=False)
            try:
                backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                for message in messages:
                    _retry(message, f"SMTP: {exc}", counts, retries)
                return
            self.backend = backend
        rate_limiter.wait("smtp", len(messages))
        wire = getattr(self.backend, "connection", None)  # smtplib.SMTP of Django's backend
        if wire is not None and _offers_pipelining(wire):
            lost = self._send_pipelined(wire, deque(messages), counts, retries)
        else:
            lost = self._send_one_by_one(wire, deque(messages), counts, retries)
        if lost:  # the connection went away: open a new one for the next chunk
            self.close()

    def _build(
        self, pending: deque, counts: Counter, retries: list
    ) -> tuple[Message, bytes, bytes] | None:
        """The next message that can be built: its envelope (``MAIL``, ``RCPT``, ``DATA``)
        and its content, dot-stuffed and ending with the end-of-data line."""
        while pending:
            message = pending.popleft()
            try:
                raw, _fast = wire_bytes(message)
                if self.sender is None:
                    self.sender = addr_spec(self.backend, settings.DEFAULT_FROM_EMAIL)
                sender, to = self.sender, addr_spec(self.backend, message.to)
            except Exception as exc:  # a bug, missing data, a bad address: retry, then fail
                log.exception("message %s could not be built", message.uuid)
                _retry(message, f"could not be built: {exc!r}", counts, retries)
                continue
            data = _STUFF.sub(b"..", raw)
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            envelope = f"MAIL FROM:<{sender}>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode()
            return message, envelope, data + b".\r\n"
        return None

    def _send_pipelined(
        self, wire: smtplib.SMTP, pending: deque, counts: Counter, retries: list
    ) -> bool:
        """Returns True if the connection was lost (the messages not handed over are
        released, the one in doubt is retried)."""
        in_flight: list[Message] = []  # built, envelope perhaps sent, content not sent

        def lost(doubt: Message | None, exc: Exception) -> bool:
            if doubt is not None:
                _retry(doubt, f"SMTP: {exc}", counts, retries)
            untouched = in_flight + list(pending)
            _release(untouched)
            counts["released"] += len(untouched)
            return True

        current = self._build(pending, counts, retries)
        if current is None:
            return False
        in_flight.append(current[0])
        try:
            wire.send(current[1])
        except (OSError, smtplib.SMTPException) as exc:
            return lost(None, exc)
        while current is not None:
            message, _envelope, data = current
            try:
                replies = [wire.getreply() for _ in range(3)]  # MAIL, RCPT, DATA
            except (OSError, smtplib.SMTPException) as exc:
                return lost(None, exc)  # its content was never sent
            in_flight.remove(message)
            if replies[2][0] != 354:
                # Refused before the content: failed (5xx) or later (4xx); reset and go on.
                code, text = next((r for r in replies if r[0] >= 400), replies[2])
                if code >= 500:
                    _mark_failed(message, f"SMTP refused: {code} {text!r}")
                    counts["failed"] += 1
                else:
                    _retry(message, f"SMTP {code}: {text!r}", counts, retries)
                current = self._build(pending, counts, retries)
                if current is not None:
                    in_flight.append(current[0])
                try:
                    wire.send(b"RSET\r\n" + (current[1] if current else b""))
                    wire.getreply()
                except (OSError, smtplib.SMTPException) as exc:
                    return lost(None, exc)
                continue
            # Hand over the content, with the next envelope in the same write.
            following = self._build(pending, counts, retries)
            if following is not None:
                in_flight.append(following[0])
            try:
                wire.send(data + (following[1] if following else b""))
                code, text = wire.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                return lost(message, exc)  # in doubt: it may have arrived
            if code == 250:
                _mark_sent(message, "smtp")  # before the next content is handed over
                counts["sent"] += 1
            elif code >= 500:
                _mark_failed(message, f"SMTP {code}: {text!r}")
                counts["failed"] += 1
            else:
                _retry(message, f"SMTP {code}: {text!r}", counts, retries)
            current = following
        return False

    def _send_one_by_one(
        self, wire: smtplib.SMTP | None, pending: deque, counts: Counter, retries: list
    ) -> bool:
        sender = self.backend.prep_address(settings.DEFAULT_FROM_EMAIL) if wire else ""
        while pending:
            message = pending.popleft()
            try:
                raw = fast_alert_bytes(message) if wire is not None else None
                built = None if raw is not None else build_email(message, self.backend)
            except Exception as exc:  # a bug or missing data: retry later, then fail
                log.exception("message %s could not be built", message.uuid)
                _retry(message, f"could not be built: {exc!r}", counts, retries)
                continue
            try:
                if raw is not None:
                    assert wire is not None
                    wire.sendmail(sender, [message.to], raw)
                else:
                    assert built is not None
                    self.backend.send_messages([built])
            except _PERMANENT_SMTP as exc:
                _mark_failed(message, f"SMTP refused: {exc}")
                counts["failed"] += 1
                continue
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    _mark_failed(message, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
                    counts["failed"] += 1
                else:
                    _retry(message, f"SMTP {exc.smtp_code}", counts, retries)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # The connection is gone: this one is in doubt, the rest were not attempted.
                _retry(message, f"SMTP: {exc}", counts, retries)
                _release(list(pending))
                counts["released"] += len(pending)
                return True
            _mark_sent(message, "smtp")
            counts["sent"] += 1
        return False


# A plain ASCII addr-spec (dot-atom local part, LDH domain) is used as it is; anything else
# goes through the backend's full parser (display names, IDNA domains, injection checks),
# which costs about a tenth of a millisecond per call.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def addr_spec(backend: Any, address: str) -> str:
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return str(backend.prep_address(address))


def _offers_pipelining(wire: smtplib.SMTP) -> bool:
    try:
        wire.ehlo_or_helo_if_needed()  # Django's backend says EHLO only for STARTTLS
    except (OSError, smtplib.SMTPException):
        return False
    return bool(wire.does_esmtp and wire.has_extn("pipelining"))


def _retry(message: Message, reason: str, counts: Counter, retries: list) -> None:
    at = _retry_later(message, reason[:300])
    counts["retry" if at else "failed"] += 1
    if at:
        retries.append(at)


# --- SMS --------------------------------------------------------------------------------------


def _send_sms(messages: list[Message], counts: Counter, retries: list) -> None:
    provider = sms.provider()
    rate_limiter.wait("sms", len(messages))
    for message in messages:
        try:
            _, body = rendering.message_text(message)
        except Exception as exc:  # a bug or missing data: retry later, then fail
            log.exception("message %s could not be built", message.uuid)
            at = _retry_later(message, f"could not be built: {exc!r}"[:300])
            counts["retry" if at else "failed"] += 1
            retries += [at] if at else []
            continue
        try:
            accepted = provider.send(to=message.to, body=body, reference=str(message.uuid))
        except sms.PermanentError as exc:
            _mark_failed(message, str(exc))
            counts["failed"] += 1
            continue
        except sms.TransientError as exc:
            at = _retry_later(message, str(exc), exc.retry_after)
            counts["retry" if at else "failed"] += 1
            retries += [at] if at else []
            continue
        _mark_sent(message, provider.name, accepted.provider_ref, delivered=accepted.delivered)
        counts["sent"] += 1


def deliver(message_ids: list[int]) -> dict[str, object]:
    """Deliver the due messages among ``message_ids``. Safe to run twice, or concurrently.
    Returns counts, and when the earliest retry is due (``retry_at``, ISO) if any."""
    counts: Counter = Counter()
    retries: list[datetime.datetime] = []
    chunk = int(conf.get("NOTIFICATIONS_CLAIM_CHUNK"))
    ids = sorted(set(message_ids))
    mail = MailSession()
    try:
        for start in range(0, len(ids), chunk):
            claimed = claim(ids[start : start + chunk])
            by_channel: dict[str, list[Message]] = {}
            for message in claimed:
                by_channel.setdefault(message.channel, []).append(message)
            if by_channel.get(Channel.EMAIL):
                mail.send(by_channel[Channel.EMAIL], counts, retries)
            if by_channel.get(Channel.SMS):
                _send_sms(by_channel[Channel.SMS], counts, retries)
            for message in by_channel.get(Channel.INBOX, []):
                _mark_sent(message, "inbox", delivered=True)
                counts["sent"] += 1
    finally:
        mail.close()
    result: dict[str, object] = dict(counts)
    if retries:
        result["retry_ids"] = [
            pk
            for pk in Message.objects.filter(
                pk__in=ids, status=Status.CREATED, next_attempt_at__isnull=False
            ).values_list("pk", flat=True)
        ]
        result["retry_at"] = min(retries).isoformat()
    return result


def sweep_ids(now: datetime.datetime | None = None, limit: int = 200_000) -> list[int]:
    """Messages due but probably without a task: ``created`` and overdue by the grace period
    (their task was lost, e.g. with a killed worker, or was a retry on a backend that cannot
    defer), or ``sending`` past their lease (their worker died)."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=conf.get("NOTIFICATIONS_SWEEP_GRACE_SECONDS"))
    query = Q(status=Status.CREATED, next_attempt_at__lte=now - grace) | Q(
        status=Status.SENDING, lease_until__lt=now
    )
    return list(
        Message.objects.filter(query)
        .exclude(channel=Channel.INBOX)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
