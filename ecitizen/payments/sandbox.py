"""The sandbox payment provider: a hosted payment page on the platform that simulates card
and mobile-money payments and notifies the platform by signed webhooks, with retries, the
way a real provider does. Test cards: 4242 4242 4242 4242 is approved, 4000 0000 0000 0002
is declined. Mobile money: numbers ending in 0 are declined, others approved.

Signature header ``Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``;
notifications older than ``PAYMENTS_WEBHOOK_TOLERANCE_SECONDS`` are refused (replay).
"""

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ecitizen.payments.models import OutgoingWebhook, Payment, SandboxTransaction
from ecitizen.payments.providers import ProviderEvent, WebhookRejected

log = logging.getLogger("ecitizen.payments")
SIGNATURE_HEADER = "Sandbox-Signature"
APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
MAX_DELIVERY_ATTEMPTS = 8


def sign(body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(
        settings.PAYMENTS_SANDBOX_WEBHOOK_SECRET.encode(),
        f"{timestamp}.".encode() + body,
        hashlib.sha256,
    ).hexdigest()
    return f"t={timestamp},v1={mac}"


class SandboxProvider:
    name = "sandbox"

    def checkout_url(self, payment: Payment) -> str:
        transaction_ = self._open(payment)
        return reverse("payments:sandbox_checkout", args=[transaction_.provider_reference])

    def _open(self, payment: Payment) -> SandboxTransaction:
        existing = SandboxTransaction.objects.filter(payment_reference=payment.reference).first()
        if existing:
            return existing
        return SandboxTransaction.objects.create(
            provider_reference=f"sbx_{secrets.token_hex(12)}",
            payment_reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
        )

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> ProviderEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            timestamp = int(parts["t"])
            signature = parts["v1"]
        except (ValueError, KeyError) as exc:
            raise WebhookRejected("missing or malformed signature") from exc
        expected = sign(body, timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, signature):
            raise WebhookRejected("signature mismatch")
        if abs(time.time() - timestamp) > settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("stale timestamp")
        try:
            data = json.loads(body)
            return ProviderEvent(
                event_id=str(data["id"]),
                payment_reference=str(data["payment_reference"]),
                outcome=str(data["outcome"]),
                provider_reference=str(data["provider_reference"]),
                method=str(data.get("method", "")),
                amount=int(data["amount"]),
                currency=str(data["currency"]),
                reason=str(data.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed body") from exc

    def fetch_outcome(self, payment: Payment) -> ProviderEvent | None:
        record = SandboxTransaction.objects.filter(payment_reference=payment.reference).first()
        if record is None or record.status == SandboxTransaction.Status.OPEN:
            return None
        return _event_for(record, event_id=f"poll_{record.provider_reference}")

    def refund(self, payment: Payment, amount: int) -> str:
        record = SandboxTransaction.objects.select_for_update().get(
            payment_reference=payment.reference
        )
        if record.refunded + amount > record.amount:
            raise ValueError("refund exceeds the amount paid")
        record.refunded += amount
        record.save(update_fields=["refunded"])
        return f"sbx_re_{secrets.token_hex(8)}"


def _event_for(record: SandboxTransaction, event_id: str) -> ProviderEvent:
    return ProviderEvent(
        event_id=event_id,
        payment_reference=record.payment_reference,
        outcome=record.status,
        provider_reference=record.provider_reference,
        method=record.method,
        amount=record.amount,
        currency=record.currency,
        reason=record.decline_reason,
    )


def card_outcome(card_number: str) -> tuple[str, str]:
    digits = "".join(ch for ch in card_number if ch.isdigit())
    if digits == APPROVED_CARD:
        return SandboxTransaction.Status.SUCCEEDED, ""
    if digits == DECLINED_CARD:
        return SandboxTransaction.Status.DECLINED, "card_declined"
    return SandboxTransaction.Status.DECLINED, "invalid_card"


def mobile_money_outcome(phone: str) -> tuple[str, str]:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return SandboxTransaction.Status.DECLINED, "invalid_number"
    if digits.endswith("0"):
        return SandboxTransaction.Status.DECLINED, "insufficient_funds"
    return SandboxTransaction.Status.SUCCEEDED, ""


@transaction.atomic
def sandbox_complete(
    *, provider_reference: str, status: str, method: str, reason: str = ""
) -> None:
    """The payer acted on the hosted page. Like a real provider, record the outcome and queue
    the notification in the same transaction (outbox), to be delivered with retries."""
    record = SandboxTransaction.objects.select_for_update().get(
        provider_reference=provider_reference
    )
    if record.status != SandboxTransaction.Status.OPEN:
        return  # already completed: the page was submitted twice
    record.status, record.method, record.decline_reason = status, method, reason
    record.save(update_fields=["status", "method", "decline_reason"])
    event = _event_for(record, event_id=f"evt_{secrets.token_hex(12)}")
    body = json.dumps(
        {
            "id": event.event_id,
            "payment_reference": event.payment_reference,
            "outcome": event.outcome,
            "provider_reference": event.provider_reference,
            "method": event.method,
            "amount": event.amount,
            "currency": event.currency,
            "reason": event.reason,
        }
    )
    payment = Payment.objects.get(reference=record.payment_reference)
    outgoing = OutgoingWebhook.objects.create(
        payment=payment, event_id=event.event_id, body=body, next_attempt_at=timezone.now()
    )
    from ecitizen.payments.tasks import deliver_sandbox_webhook

    transaction.on_commit(lambda: deliver_sandbox_webhook.enqueue(outgoing.pk))


def deliver(outgoing_id: int) -> bool:
    """POST one queued notification to the platform's webhook endpoint. Returns whether it was
    accepted; on failure the next attempt is scheduled with exponential backoff."""
    with transaction.atomic():
        outgoing = OutgoingWebhook.objects.select_for_update().get(pk=outgoing_id)
        if outgoing.delivered_at or outgoing.attempts >= MAX_DELIVERY_ATTEMPTS:
            return outgoing.delivered_at is not None
        outgoing.attempts += 1
        outgoing.save(update_fields=["attempts"])
    body = outgoing.body.encode()
    request = urllib.request.Request(  # noqa: S310 (our own configured endpoint)
        settings.PAYMENTS_SANDBOX_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
    )
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            accepted = 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        accepted, error = False, str(exc)[:300]
    now = timezone.now()
    if accepted:
        OutgoingWebhook.objects.filter(pk=outgoing_id).update(delivered_at=now, last_error="")
    else:
        delay = datetime.timedelta(seconds=5 * 2 ** (outgoing.attempts - 1))
        OutgoingWebhook.objects.filter(pk=outgoing_id).update(
            next_attempt_at=now + delay, last_error=error or "rejected"
        )
        log.warning(
            "sandbox webhook %s not delivered (attempt %s): %s",
            outgoing.event_id,
            outgoing.attempts,
            error or "rejected",
        )
    return accepted
