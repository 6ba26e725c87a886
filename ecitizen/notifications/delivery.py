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
   autocommitted update per message), before the next message is handed over.

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
import smtplib
import time
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ecitizen.notifications import conf, rendering, sms
from ecitizen.notifications.models import Channel, Message
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


def claim(ids: Iterable[int]) -> list[Message]:
    """Lease the due messages among ``ids`` to this worker (see the module docstring)."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=conf.get("NOTIFICATIONS_LEASE_SECONDS"))
    with transaction.atomic():
        due = Message.objects.filter(pk__in=list(ids)).filter(due_filter(now))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due.select_related("alert").order_by("pk"))
        if claimed:
            Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
                status=Status.SENDING, lease_until=lease, attempts=F("attempts") + 1
            )
    for message in claimed:
        message.attempts += 1
        message.status = Status.SENDING
    return claimed


def _mark_sent(message: Message, provider: str, provider_ref: str = "", delivered: bool = False):
    now = timezone.now()
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.DELIVERED if delivered else Status.SENT,
        sent_at=now,
        delivered_at=now if delivered else None,
        lease_until=None,
        provider=provider,
        provider_ref=provider_ref[:100],
        failed_reason="",
    )


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
    alert_id: int, language: str, topic: str, with_unsubscribe: bool, minute: int
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
    if message.alert_id is None or not message.to.isascii() or "@" not in message.to:
        return None
    unsubscribe = None if message.topic in MANDATORY else rendering.unsubscribe_url(message)
    template = _alert_email_template(
        message.alert_id,
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


def _send_emails(messages: list[Message], counts: Counter, retries: list) -> None:
    smtp = get_connection(fail_silently=False)
    pending = list(messages)
    try:
        smtp.open()
    except (OSError, smtplib.SMTPException) as exc:
        for message in pending:
            at = _retry_later(message, f"SMTP: {exc}"[:300])
            counts["retry" if at else "failed"] += 1
            if at:
                retries.append(at)
        return
    wire = getattr(smtp, "connection", None)  # the smtplib connection of the SMTP backend
    sender = smtp.prep_address(settings.DEFAULT_FROM_EMAIL) if wire is not None else ""  # type: ignore[attr-defined]
    try:
        rate_limiter.wait("smtp", len(pending))
        while pending:
            message = pending.pop(0)
            try:
                raw = fast_alert_bytes(message) if wire is not None else None
                built = None if raw is not None else build_email(message, smtp)
            except Exception as exc:  # a bug or missing data: retry later, then fail
                log.exception("message %s could not be built", message.uuid)
                at = _retry_later(message, f"could not be built: {exc!r}"[:300])
                counts["retry" if at else "failed"] += 1
                retries += [at] if at else []
                continue
            try:
                if raw is not None:
                    assert wire is not None
                    wire.sendmail(sender, [message.to], raw)
                else:
                    assert built is not None
                    smtp.send_messages([built])
            except _PERMANENT_SMTP as exc:
                _mark_failed(message, f"SMTP refused: {exc}")
                counts["failed"] += 1
                continue
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    _mark_failed(message, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
                    counts["failed"] += 1
                    continue
                at = _retry_later(message, f"SMTP {exc.smtp_code}")
                counts["retry" if at else "failed"] += 1
                retries += [at] if at else []
                continue
            except (OSError, smtplib.SMTPException) as exc:
                # The connection is gone: this one is in doubt, the rest were not attempted.
                at = _retry_later(message, f"SMTP: {exc}"[:300])
                counts["retry" if at else "failed"] += 1
                retries += [at] if at else []
                _release(pending)
                counts["released"] += len(pending)
                return
            _mark_sent(message, "smtp")
            counts["sent"] += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()


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
    for start in range(0, len(ids), chunk):
        claimed = claim(ids[start : start + chunk])
        by_channel: dict[str, list[Message]] = {}
        for message in claimed:
            by_channel.setdefault(message.channel, []).append(message)
        if by_channel.get(Channel.EMAIL):
            _send_emails(by_channel[Channel.EMAIL], counts, retries)
        if by_channel.get(Channel.SMS):
            _send_sms(by_channel[Channel.SMS], counts, retries)
        for message in by_channel.get(Channel.INBOX, []):
            _mark_sent(message, "inbox", delivered=True)
            counts["sent"] += 1
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
