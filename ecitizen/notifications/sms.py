"""SMS providers: an interface, a real HTTP adapter for the common JSON gateway style, and a
local sink (files) for development and tests.

The HTTP adapter speaks the style most gateways share:

* ``POST {NOTIFICATIONS_SMS_HTTP_URL}`` with ``Authorization: Bearer <token>``, a JSON body
  ``{"to", "from", "body", "reference"}`` and ``Idempotency-Key: <reference>``
  (the platform's message id, so a retried request never sends a second text);
* ``2xx`` with ``{"id": "<provider id>"}``: accepted; ``429`` (with ``Retry-After``) and
  ``5xx``: try again later; other ``4xx``: rejected for good (bad number, no credit...);
* delivery receipts come later as ``POST /notifications/webhooks/sms/`` with a JSON body
  ``{"id", "reference", "status": "delivered" | "failed", "error"}`` signed with HMAC-SHA256
  in the header ``X-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>.<body>")>``.
"""

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.utils import timezone

from ecitizen.notifications import conf

SIGNATURE_HEADER = "X-Signature"


class TransientError(Exception):
    """Try again later (``retry_after`` seconds, if the provider said)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(Exception):
    """The provider refused this message for good."""


@dataclass(frozen=True)
class Accepted:
    provider_ref: str
    delivered: bool = False  # the sink "delivers" at once


@dataclass(frozen=True)
class Receipt:
    provider_ref: str
    reference: str
    status: str  # "delivered" | "failed"
    error: str = ""


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str, reference: str) -> Accepted: ...


class SinkSmsProvider:
    """Writes each text to ``<dir>/<reference>.json``: a message id is written once, however
    often it is sent (the development sink page and the tests read these files)."""

    name = "sms-sink"

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or conf.get("NOTIFICATIONS_SMS_SINK_DIR"))

    def send(self, *, to: str, body: str, reference: str) -> Accepted:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"to": to, "body": body, "reference": reference, "at": timezone.now().isoformat()}
        tmp = self.folder / f".{reference}.tmp"
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / f"{reference}.json")
        return Accepted(provider_ref=f"sink-{reference}", delivered=True)

    def messages(self) -> list[dict[str, str]]:
        if not self.folder.exists():
            return []
        files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        return [json.loads(path.read_text(encoding="utf-8")) for path in files]


class HttpSmsProvider:
    name = "sms-http"

    def __init__(
        self, url: str | None = None, token: str | None = None, sender: str | None = None
    ) -> None:
        self.url = url or conf.get("NOTIFICATIONS_SMS_HTTP_URL")
        self.token = token or conf.get("NOTIFICATIONS_SMS_HTTP_TOKEN")
        self.sender = sender or conf.get("NOTIFICATIONS_SMS_HTTP_SENDER")

    def send(self, *, to: str, body: str, reference: str) -> Accepted:
        payload = json.dumps(
            {"to": to, "from": self.sender, "body": body, "reference": reference}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the configured gateway)
            self.url,
            data=payload,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode(errors="replace")
            if exc.code == 429 or exc.code >= 500:
                retry_after = exc.headers.get("Retry-After")
                raise TransientError(
                    f"HTTP {exc.code} {detail}".strip(),
                    float(retry_after) if retry_after and retry_after.isdigit() else None,
                ) from exc
            raise PermanentError(f"HTTP {exc.code} {detail}".strip()) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TransientError(str(exc)[:200]) from exc
        provider_ref = str(answer.get("id") or "")
        if not provider_ref:
            raise TransientError("the gateway accepted the message without an id")
        return Accepted(provider_ref=provider_ref)


def provider() -> SmsProvider:
    kind = conf.get("NOTIFICATIONS_SMS_PROVIDER")
    if kind == "http":
        return HttpSmsProvider()
    if kind == "sink":
        return SinkSmsProvider()
    raise ValueError(f"Unknown SMS provider {kind!r}")


def sign(body: bytes, secret: str | None = None, at: int | None = None) -> str:
    secret = secret or conf.get("NOTIFICATIONS_SMS_WEBHOOK_SECRET")
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(body: bytes, header: str, secret: str | None = None) -> bool:
    """The receipt really comes from the gateway, recently (replays are refused)."""
    secret = secret or conf.get("NOTIFICATIONS_SMS_WEBHOOK_SECRET")
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        at = int(parts["t"])
    except (ValueError, KeyError):
        return False
    tolerance = conf.get("NOTIFICATIONS_SMS_WEBHOOK_TOLERANCE_SECONDS")
    if abs(time.time() - at) > tolerance:
        return False
    expected = sign(body, secret, at).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def parse_receipts(body: bytes) -> list[Receipt]:
    data = json.loads(body)
    items = data if isinstance(data, list) else [data]
    return [
        Receipt(
            provider_ref=str(item.get("id", "")),
            reference=str(item.get("reference", "")),
            status=str(item.get("status", "")),
            error=str(item.get("error", ""))[:200],
        )
        for item in items
    ]
