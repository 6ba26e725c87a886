"""Channels against real servers: SMTP (aiosmtpd) and an HTTP SMS gateway that behaves like
a provider (accepts, rejects, rate-limits with 429, sends receipts later)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pypdf import PdfReader

from ecitizen.notifications import delivery, sms
from ecitizen.notifications.models import Channel, Message, Preferences
from ecitizen.notifications.services import notification_send, preferences_save

VALUES = {"name": "Lucie Martin", "reference": "BP-9", "service": "Permis", "url": "http://x/"}


def test_email_over_real_smtp_has_both_parts_headers_and_a_working_unsubscribe(
    make_resident: Any, smtp_sink: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_resident(language="es")
    with django_capture_on_commit_callbacks(execute=True):
        created = notification_send(
            actor=None,
            recipient=user,
            event="application.info_requested",
            values=VALUES,
            idempotency_key="smtp-1",
        )
    email_message = next(m for m in created if m.channel == Channel.EMAIL)
    received = smtp_sink.messages()
    assert len(received) == 1
    mail = received[0]
    assert mail["To"] == user.email and "BP-9" in mail["Subject"]
    assert mail["Message-ID"] == f"<{email_message.uuid}@ecitizen.example>"
    assert mail["Content-Language"] == "es"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "BP-9" in text and "BP-9" in html and '<html lang="es">' in html
    # RFC 8058 one-click: the header URL takes a POST with this exact body, no session.
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    assert url in text
    path = url.removeprefix("http://testserver")
    assert client.get(path).status_code == 200  # a confirmation page, changes nothing
    assert not Preferences.objects.filter(user=user).exists()
    response = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Preferences.objects.get(user=user).channels == {"applications": []}
    assert client.post(path[:-5] + "xxxx/").status_code == 404  # a forged token


def test_payment_receipt_email_attaches_the_pdf(
    make_resident: Any, smtp_sink: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ecitizen.applications.notify import application_status_changed
    from ecitizen.applications.tests.factories import complete_draft, make_service
    from ecitizen.payments.models import Payment

    user = make_resident(language="fr")
    application = complete_draft(user, make_service())
    Payment.objects.create(
        reference="PAY-TEST1",
        application=application,
        payer=user,
        agency=application.agency,
        amount=12000,
        currency="EUR",
        provider="sandbox",
        idempotency_key="pay-1",
        status=Payment.Status.SUCCEEDED,
        method=Payment.Method.CARD,
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_status_changed(application.pk, "payment_receipt")
        application_status_changed(application.pk, "payment_receipt")  # told once
    (mail,) = smtp_sink.messages()
    assert "PAY-TEST1" in mail["Subject"]
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "receipt-PAY-TEST1.pdf"
    assert attachment.get_content_type() == "application/pdf"
    import io

    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert "PAY-TEST1" in pdf.pages[0].extract_text()


class Gateway:
    """A local SMS gateway: bearer auth, accepts, rejects bad numbers, answers 429 to every
    other request while ``throttle`` is set, and queues receipts to send later."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.accepted: dict[str, str] = {}  # idempotency key -> provider id
        self.throttle = False
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append({"headers": dict(self.headers), "body": body})
                if self.headers.get("Authorization") != "Bearer secret-token":
                    return self.answer(401, {"error": "unauthorised"})
                if gateway.throttle:
                    gateway.throttle = False
                    return self.answer(429, {"error": "slow down"}, {"Retry-After": "1"})
                if not body["to"].startswith("+"):
                    return self.answer(400, {"error": "invalid number"})
                key = self.headers["Idempotency-Key"]
                provider_id = gateway.accepted.setdefault(key, f"gw-{len(gateway.accepted) + 1}")
                return self.answer(202, {"id": provider_id, "status": "accepted"})

            def answer(self, code: int, data: dict, headers: dict | None = None) -> None:
                payload = json.dumps(data).encode()
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"

    def receipts(self, status: str = "delivered") -> bytes:
        return json.dumps(
            [
                {"id": provider_id, "reference": key, "status": status}
                for key, provider_id in self.accepted.items()
            ]
        ).encode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any) -> Any:
    gw = Gateway()
    settings.NOTIFICATIONS_SMS_PROVIDER = "http"
    settings.NOTIFICATIONS_SMS_HTTP_URL = gw.url
    settings.NOTIFICATIONS_SMS_HTTP_TOKEN = "secret-token"
    yield gw
    gw.stop()


def _sms_for(user: Any, key: str) -> Message:
    preferences_save(
        actor=user, user=user, channels={"applications": ["sms"]}, quiet_start=None, quiet_end=None
    )
    created = notification_send(
        actor=None,
        recipient=user,
        event="application.approved",
        values=VALUES,
        idempotency_key=key,
    )
    return next(m for m in created if m.channel == Channel.SMS)


def test_sms_gateway_accepts_rate_limits_rejects_and_sends_receipts(
    gateway: Any, make_resident: Any, client: Any, settings: Any
) -> None:
    good = _sms_for(make_resident(phone="+33611111111"), "sms-1")
    bad = _sms_for(make_resident(phone="0611"), "sms-2")
    gateway.throttle = True  # the first request is rate-limited
    result = delivery.deliver([good.pk, bad.pk])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert result["retry"] == 1 and good.status == Message.Status.CREATED
    assert "429" in good.failed_reason
    assert bad.status == Message.Status.FAILED and "invalid number" in bad.failed_reason
    request = gateway.requests[0]
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["body"]["reference"] == str(good.uuid)
    assert request["headers"]["Idempotency-Key"] == str(good.uuid)

    Message.objects.filter(pk=good.pk).update(next_attempt_at=good.created_at)
    assert delivery.deliver([good.pk])["sent"] == 1
    good.refresh_from_db()
    assert good.status == Message.Status.SENT and good.provider_ref == "gw-1"

    # Receipts come later, signed; unsigned or stale ones are refused; replays change nothing.
    body = gateway.receipts()
    url = "/notifications/webhooks/sms/"
    assert client.post(url, body, content_type="application/json").status_code == 401
    stale = sms.sign(body, at=1_000_000)
    assert (
        client.post(url, body, content_type="application/json", HTTP_X_SIGNATURE=stale).status_code
        == 401
    )
    response = client.post(
        url, body, content_type="application/json", HTTP_X_SIGNATURE=sms.sign(body)
    )
    assert response.status_code == 200 and response.json() == {"accepted": 1, "changed": 1}
    good.refresh_from_db()
    assert good.status == Message.Status.DELIVERED and good.delivered_at is not None
    again = client.post(url, body, content_type="application/json", HTTP_X_SIGNATURE=sms.sign(body))
    assert again.json()["changed"] == 0


def test_a_failed_receipt_records_the_reason(gateway: Any, make_resident: Any) -> None:
    from ecitizen.notifications.services import sms_receipts_apply

    message = _sms_for(make_resident(phone="+33622222222"), "sms-3")
    delivery.deliver([message.pk])
    receipts = sms.parse_receipts(
        json.dumps({"id": "gw-1", "status": "failed", "error": "Handset unreachable"}).encode()
    )
    assert sms_receipts_apply(provider="sms-http", receipts=receipts) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.failed_reason == "Handset unreachable"
