"""Every write about money: charges, payments, provider outcomes, refunds (audited, atomic).

A payment is recorded once: outcomes from webhooks and from polling the provider go through
``payment_apply_outcome``, which is idempotent; webhooks are also deduplicated by event id.
"""

import logging
import secrets
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.applications.models import Application
from ecitizen.audit.services import audit_record
from ecitizen.payments.models import LedgerEntry, Payment, WebhookEvent
from ecitizen.payments.providers import ProviderEvent, get_provider

log = logging.getLogger("ecitizen.payments")


def _payment_reference() -> str:
    return f"PAY-{secrets.token_hex(5).upper()}"


@transaction.atomic
def charge_record(*, actor: Any, application: Application) -> LedgerEntry:
    """Record what the applicant owes for this application (once)."""
    existing = LedgerEntry.objects.filter(
        application=application, kind=LedgerEntry.Kind.CHARGE
    ).first()
    if existing:
        return existing
    entry = LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.CHARGE,
        application=application,
        agency_id=application.agency_id,
        amount=application.fee_amount,
        currency=application.currency,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="payments.charge.recorded",
        obj=entry,
        data={"application": application.reference, "amount": entry.amount},
    )
    return entry


def amount_due(application: Application) -> int:
    """Charges minus successful payments (refunds do not make a fee due again)."""
    totals = dict(
        LedgerEntry.objects.filter(application=application)
        .values_list("kind")
        .annotate(total=Sum("amount"))
    )
    return max(totals.get("charge", 0) - totals.get("payment", 0), 0)


@transaction.atomic
def payment_start(*, actor: Any, application: Application, idempotency_key: str) -> Payment:
    """Start paying what is due for an application; a retried request returns the same payment."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        if existing.application_id != application.pk:
            raise PermissionDenied
        return existing
    due = amount_due(application)
    if due <= 0:
        raise ValidationError(_("There is nothing to pay for this application."))
    provider = get_provider()
    payment = Payment.objects.create(
        reference=_payment_reference(),
        application=application,
        payer=application.applicant,
        agency_id=application.agency_id,
        amount=due,
        currency=application.currency,
        provider=provider.name,
        status=Payment.Status.PENDING,
        idempotency_key=idempotency_key,
    )
    audit_record(
        actor=actor,
        action="payments.payment.started",
        obj=payment,
        data={"application": application.reference, "amount": due},
        on_behalf_of=application.applicant if actor != application.applicant else None,
    )
    return payment


@transaction.atomic
def payment_apply_outcome(*, event: ProviderEvent, provider: str) -> Payment:
    """Apply a provider's outcome to the payment. Idempotent: an outcome already applied, or
    any outcome after success, changes nothing; amounts must match what was asked."""
    payment = Payment.objects.select_for_update().get(
        reference=event.payment_reference, provider=provider
    )
    if payment.status != Payment.Status.PENDING:
        return payment
    if (event.amount, event.currency) != (payment.amount, payment.currency):
        log.error("payment %s: provider amount mismatch", payment.reference)
        raise ValidationError("Amount mismatch")
    payment.provider_reference = event.provider_reference
    payment.method = event.method
    if event.outcome == "succeeded":
        payment.status = Payment.Status.SUCCEEDED
        payment.paid_at = timezone.now()
    elif event.outcome == "declined":
        payment.status = Payment.Status.DECLINED
        payment.failure_reason = event.reason
    elif event.outcome == "abandoned":
        payment.status = Payment.Status.ABANDONED
    else:
        raise ValidationError("Unknown outcome")
    payment.save()
    audit_record(
        actor=None,
        action=f"payments.payment.{payment.status}",
        obj=payment,
        data={"provider_reference": event.provider_reference, "event": event.event_id},
    )
    if payment.status == Payment.Status.SUCCEEDED:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.PAYMENT,
            application=payment.application,
            payment=payment,
            agency_id=payment.agency_id,
            amount=payment.amount,
            currency=payment.currency,
        )
        application = payment.application
        if application is not None:
            from ecitizen.applications.notify import application_status_changed_on_commit

            application_status_changed_on_commit(application, "payment_receipt")
        if application is not None and amount_due(application) == 0:
            from ecitizen.applications.services import application_mark_paid

            application_mark_paid(application_id=application.pk, payment_id=payment.pk)
    return payment


def webhook_receive(*, provider: str, headers: dict[str, str], body: bytes) -> bool:
    """Verify, deduplicate and apply a provider notification. Returns False for a replay of an
    event already received. Raises WebhookRejected for a forged or stale notification."""
    event = get_provider(provider).parse_webhook(headers, body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    provider=provider, event_id=event.event_id, payload={"body": body.decode()}
                )
        except IntegrityError:
            log.info("duplicate %s webhook %s ignored", provider, event.event_id)
            return False
        payment_apply_outcome(event=event, provider=provider)
        record.processed_at = timezone.now()
        record.save(update_fields=["processed_at"])
    return True


def payment_refresh(*, payment: Payment) -> Payment:
    """Ask the provider for the outcome (when the payer comes back before the webhook)."""
    if payment.status != Payment.Status.PENDING:
        return payment
    event = get_provider(payment.provider).fetch_outcome(payment)
    if event is None:
        return payment
    return payment_apply_outcome(event=event, provider=payment.provider)


def refunded_amount(payment: Payment) -> int:
    total = LedgerEntry.objects.filter(payment=payment, kind=LedgerEntry.Kind.REFUND).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


@transaction.atomic
def refund_create(*, actor: Any, payment: Payment, amount: int, reason: str) -> LedgerEntry:
    """Refund part or all of a successful payment, with a reason."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the refund.")})
    if payment.status not in (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED):
        raise ValidationError(_("Only a successful payment can be refunded."))
    remaining = payment.amount - refunded_amount(payment)
    if not 0 < amount <= remaining:
        raise ValidationError(
            {"amount": _("The refund must be more than zero and at most what is left.")}
        )
    try:
        provider_reference = get_provider(payment.provider).refund(payment, amount)
    except (ValueError, ObjectDoesNotExist) as exc:
        log.error("refund of %s refused by %s: %s", payment.reference, payment.provider, exc)
        raise ValidationError(_("The payment provider refused the refund.")) from exc
    entry = LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.REFUND,
        application=payment.application,
        payment=payment,
        agency_id=payment.agency_id,
        amount=amount,
        currency=payment.currency,
        reason=reason.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    payment.status = (
        Payment.Status.REFUNDED if amount == remaining else Payment.Status.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="payments.refund.created",
        obj=entry,
        data={"payment": payment.reference, "amount": amount, "provider": provider_reference},
    )
    return entry


def refund_for_rejection(*, actor: Any, application: Application) -> list[LedgerEntry]:
    """When a service refunds rejected applications, refund whatever was paid for it."""
    workflow = application.service_version.definition.get("workflow", {})
    if not workflow.get("refund_on_rejection"):
        return []
    entries = []
    for payment in Payment.objects.filter(
        application=application,
        status__in=[Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED],
    ):
        remaining = payment.amount - refunded_amount(payment)
        if remaining <= 0:
            continue
        try:
            entries.append(
                refund_create(
                    actor=actor,
                    payment=payment,
                    amount=remaining,
                    reason=_("Automatic refund: the application was rejected."),
                )
            )
        except ValidationError:
            # A refused refund must not block the decision: staff see the payment as still
            # paid on the rejected application and refund it by hand.
            log.error("automatic refund of %s failed; refund it manually", payment.reference)
    return entries
