import json
import time
import uuid
from io import BytesIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import AgencyFactory, StaffRoleFactory, UserFactory
from ecitizen.applications.models import Application
from ecitizen.catalogue.models import Service, ServiceVersion
from ecitizen.payments import sandbox
from ecitizen.payments.models import LedgerEntry, OutgoingWebhook, Payment, WebhookEvent
from ecitizen.payments.services import (
    charge_record,
    payment_start,
    refund_create,
    refund_for_rejection,
)
from ecitizen.payments.tasks import deliver_due_webhooks

pytestmark = pytest.mark.django_db
FEE = 12500


@pytest.fixture
def application(db) -> Application:
    agency = AgencyFactory(code="planning")
    service = Service.objects.create(agency=agency, slug="building-permit", code="BP")
    version = ServiceVersion.objects.create(
        service=service,
        number=1,
        status="published",
        title={"en": "Building permit"},
        definition={
            "fee": {"kind": "fixed", "amount": FEE, "currency": "EUR"},
            "sla_working_days": 20,
            "workflow": {"refund_on_rejection": True},
        },
    )
    app = Application.objects.create(
        reference=f"BP-2026-{uuid.uuid4().hex[:4].upper()}",
        service_version=version,
        service=service,
        agency=agency,
        applicant=UserFactory(),
        status=Application.Status.AWAITING_PAYMENT,
        fee_amount=FEE,
        currency="EUR",
    )
    charge_record(actor=app.applicant, application=app)
    return app


def pay_in_sandbox(client, application, *, card: str) -> Payment:
    """Go through the start page and the sandbox hosted page as the resident would."""
    client.force_login(application.applicant)
    start_url = reverse("payments:start", args=[application.reference])
    response = client.post(start_url, {"method": "card", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302
    checkout_url = response["Location"]
    response = client.post(
        checkout_url, {"method": "card", "card_number": card, "name_on_card": "A O"}
    )
    assert response.status_code == 302  # back to the platform's return page
    payment = Payment.objects.filter(application=application).latest("created_at")
    client.get(response["Location"])  # the return page asks the provider for the outcome
    payment.refresh_from_db()
    return payment


def signed_webhook(
    client, payment: Payment, outcome: str = "succeeded", event_id: str = "evt_1", **overrides
):
    body = json.dumps(
        {
            "id": event_id,
            "payment_reference": payment.reference,
            "outcome": outcome,
            "provider_reference": "sbx_test",
            "method": "card",
            "amount": payment.amount,
            "currency": payment.currency,
            **overrides,
        }
    ).encode()
    headers = {"HTTP_SANDBOX_SIGNATURE": sandbox.sign(body)}
    return client.post(
        "/payments/webhooks/sandbox/", body, content_type="application/json", **headers
    )


def test_a_declined_card_then_an_approved_one_pays_once(client, application):
    declined = pay_in_sandbox(client, application, card=sandbox.DECLINED_CARD)
    assert declined.status == Payment.Status.DECLINED
    assert declined.failure_reason == "card_declined"
    approved = pay_in_sandbox(client, application, card=sandbox.APPROVED_CARD)
    assert approved.status == Payment.Status.SUCCEEDED
    assert approved.pk != declined.pk

    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    kinds = list(LedgerEntry.objects.filter(application=application).values_list("kind", "amount"))
    assert kinds == [("charge", FEE), ("payment", FEE)]
    # The provider's notifications were queued in the outbox (delivery is retried later).
    assert OutgoingWebhook.objects.filter(payment__application=application).count() == 2


def test_a_retried_start_request_creates_one_payment(application):
    key = str(uuid.uuid4())
    first = payment_start(actor=application.applicant, application=application, idempotency_key=key)
    again = payment_start(actor=application.applicant, application=application, idempotency_key=key)
    assert first == again
    assert Payment.objects.count() == 1


def test_a_signed_webhook_applies_once_and_a_replay_changes_nothing(client, application):
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key="k1"
    )
    assert signed_webhook(client, payment).content == b"ok"
    assert signed_webhook(client, payment).content == b"duplicate"
    # a second, different event after success changes nothing either
    signed_webhook(client, payment, outcome="declined", event_id="evt_2")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert WebhookEvent.objects.count() == 2


def test_a_forged_webhook_is_refused_and_logged(client, application, caplog):
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key="k1"
    )
    body = json.dumps({"id": "evt_x", "payment_reference": payment.reference}).encode()
    forged = f"t={int(time.time())},v1={'0' * 64}"
    response = client.post(
        "/payments/webhooks/sandbox/",
        body,
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE=forged,
    )
    assert response.status_code == 400
    assert "refused sandbox webhook" in caplog.text
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert not WebhookEvent.objects.exists()


def test_a_stale_webhook_is_refused(client, application):
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key="k1"
    )
    body = json.dumps({"id": "evt_old", "payment_reference": payment.reference}).encode()
    stale = sandbox.sign(body, timestamp=int(time.time()) - 3600)
    response = client.post(
        "/payments/webhooks/sandbox/",
        body,
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE=stale,
    )
    assert response.status_code == 400


def test_a_webhook_with_the_wrong_amount_is_refused(client, application):
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key="k1"
    )
    assert signed_webhook(client, payment, amount=1).status_code == 422
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_webhooks_are_delivered_over_http_with_retries(live_server, settings, application):
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key="k1"
    )
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/payments/webhooks/sandbox/"
    sandbox.SandboxProvider().checkout_url(payment)
    record = sandbox.SandboxTransaction.objects.get(payment_reference=payment.reference)
    sandbox.sandbox_complete(
        provider_reference=record.provider_reference, status="succeeded", method="card"
    )
    outgoing = OutgoingWebhook.objects.get(payment=payment)
    assert outgoing.attempts == 1 and outgoing.delivered_at is None and outgoing.last_error

    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = f"{live_server.url}/payments/webhooks/sandbox/"
    OutgoingWebhook.objects.filter(pk=outgoing.pk).update(next_attempt_at=timezone.now())
    assert deliver_due_webhooks() == 1
    outgoing.refresh_from_db()
    payment.refresh_from_db()
    assert outgoing.delivered_at is not None and outgoing.attempts == 2
    assert payment.status == Payment.Status.SUCCEEDED
    assert deliver_due_webhooks() == 0  # nothing delivered twice


def succeeded_payment(client, application) -> Payment:
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key=str(uuid.uuid4())
    )
    sandbox.SandboxProvider().checkout_url(payment)
    signed_webhook(client, payment, event_id=f"evt_{payment.pk}")
    payment.refresh_from_db()
    return payment


def test_staff_refund_with_reason_partially_then_fully(client, application):
    payment = succeeded_payment(client, application)
    officer = StaffRoleFactory(agency=application.agency).user
    with pytest.raises(Exception, match="reason"):
        refund_create(actor=officer, payment=payment, amount=100, reason=" ")
    refund_create(actor=officer, payment=payment, amount=2500, reason="Overcharged")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    with pytest.raises(Exception, match="at most"):
        refund_create(actor=officer, payment=payment, amount=FEE, reason="Too much")
    refund_create(actor=officer, payment=payment, amount=FEE - 2500, reason="Rest")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    refunds = LedgerEntry.objects.filter(kind="refund").values_list("amount", flat=True)
    assert sorted(refunds) == [2500, FEE - 2500]


def test_rejection_refunds_automatically_when_the_service_says_so(client, application):
    payment = succeeded_payment(client, application)
    entries = refund_for_rejection(actor=None, application=application)
    assert [entry.amount for entry in entries] == [FEE]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert refund_for_rejection(actor=None, application=application) == []


def test_receipt_is_a_pdf_for_the_payer_only(client, application):
    from pypdf import PdfReader

    payment = succeeded_payment(client, application)
    url = reverse("payments:receipt", args=[payment.reference])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("payments:return", args=[payment.reference])).status_code == 404
    assert client.get(reverse("payments:start", args=[application.reference])).status_code == 404
    client.force_login(application.applicant)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert payment.reference in text and "125.00" in text


def mfa_staff(agency, role=StaffRole.Role.AGENCY_ADMIN):
    staff = StaffRoleFactory(agency=agency, role=role).user
    TOTP.activate(staff, "JBSWY3DPEHPK3PXP")
    return staff


def test_report_csv_and_reconciliation(client, application):
    payment = succeeded_payment(client, application)
    orphan = Payment.objects.create(
        reference="PAY-ORPHAN",
        payer=application.applicant,
        agency=application.agency,
        amount=999,
        currency="EUR",
        provider="sandbox",
        status="succeeded",
        idempotency_key="orphan",
        paid_at=payment.paid_at,
    )
    unpaid = Application.objects.create(
        reference="BP-2026-UNPD",
        service_version=application.service_version,
        service=application.service,
        agency=application.agency,
        applicant=application.applicant,
        status=Application.Status.SUBMITTED,
        fee_amount=FEE,
        currency="EUR",
    )
    charge_record(actor=None, application=unpaid)

    client.force_login(mfa_staff(application.agency))
    csv_text = client.get("/staff/payments/", {"format": "csv"}).content.decode()
    assert payment.reference in csv_text and "125.00" in csv_text
    page = client.get("/staff/payments/reconciliation/").content.decode()
    assert orphan.reference in page and unpaid.reference in page
    assert application.reference not in page.split("Applications without a payment")[1]


def test_staff_of_another_agency_cannot_refund(client, application):
    payment = succeeded_payment(client, application)
    client.force_login(mfa_staff(AgencyFactory(code="other")))
    url = f"/staff/payments/{payment.reference}/refund/"
    assert client.get(url).status_code == 404
    client.force_login(mfa_staff(application.agency))
    response = client.post(url, {"amount": "10.00", "reason": "Goodwill"})
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(kind="refund", amount=1000).exists()


def test_a_refund_the_provider_refuses_does_not_block_a_rejection(client, application, caplog):
    payment = succeeded_payment(client, application)
    sandbox.SandboxTransaction.objects.filter(payment_reference=payment.reference).delete()
    with pytest.raises(Exception, match="refused the refund"):
        refund_create(actor=None, payment=payment, amount=100, reason="Goodwill")
    assert refund_for_rejection(actor=None, application=application) == []
    assert "refund it manually" in caplog.text
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_the_payer_gets_the_receipt_by_email_with_the_pdf(
    client, application, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = succeeded_payment(client, application)
    receipts = [m for m in mailoutbox if payment.reference in m.body]
    assert len(receipts) == 1
    assert receipts[0].to == [application.applicant.email]
    names = [attachment[0] for attachment in receipts[0].attachments]
    assert any(name.endswith(".pdf") for name in names)
