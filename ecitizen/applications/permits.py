"""Issued permits that anyone can verify: Ed25519-signed facts as a compact JWS (RFC 7515,
``alg`` EdDSA per RFC 8037), public keys as a JWKS, a PDF with a QR code to the
verification page. The payload format is documented in ``docs/permits.md``.
"""

import base64
import datetime
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecitizen.applications.events import record_event
from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.applications.references import unique_reference
from ecitizen.audit.services import audit_record
from ecitizen.core.i18n import tr

JWS_TYPE = "permit+jws"
JWS_PATTERN = re.compile(rb"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _signing_keys(spec: str) -> list[tuple[str, Ed25519PrivateKey]]:
    keys = []
    for item in spec.split(","):
        kid, _sep, seed = item.strip().partition(":")
        keys.append((kid, Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(seed))))
    return keys


def signing_keys() -> list[tuple[str, Ed25519PrivateKey]]:
    return _signing_keys(settings.PERMIT_SIGNING_KEYS)


def jwks() -> dict[str, list[dict[str, str]]]:
    """The public keys as a JSON Web Key Set (RFC 7517; OKP/Ed25519 per RFC 8037)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
                "kid": kid,
                "use": "sig",
                "alg": "EdDSA",
            }
            for kid, key in signing_keys()
        ]
    }


def sign_facts(facts: dict[str, Any]) -> tuple[str, str]:
    """A compact JWS over the canonical JSON of ``facts``; returns (jws, kid)."""
    kid, key = signing_keys()[0]
    header = {"alg": "EdDSA", "kid": kid, "typ": JWS_TYPE}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(facts, sort_keys=True, separators=(",", ":")).encode())
    )
    signature = key.sign(signing_input.encode())
    return f"{signing_input}.{_b64(signature)}", kid


class InvalidPermit(Exception):
    pass


def verify_jws(jws: str, keyset: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check the signature against the JWKS (ours by default); return the signed facts."""
    try:
        header_b64, payload_b64, signature_b64 = jws.strip().split(".")
        header = json.loads(_unb64(header_b64))
        payload = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except ValueError as exc:
        raise InvalidPermit("Not a compact JWS") from exc
    if header.get("alg") != "EdDSA" or header.get("typ") != JWS_TYPE:
        raise InvalidPermit("Unexpected JWS header")
    keys = {key["kid"]: key for key in (keyset or jwks())["keys"]}
    jwk = keys.get(header.get("kid"))
    if jwk is None or jwk.get("crv") != "Ed25519":
        raise InvalidPermit("Unknown signing key")
    public_key = Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))
    try:
        public_key.verify(signature, f"{header_b64}.{payload_b64}".encode())
    except InvalidSignature as exc:
        raise InvalidPermit("Signature does not match") from exc
    return dict(payload)


def extract_jws(data: bytes) -> str:
    """The JWS embedded in a permit PDF (document metadata), or in a plain text file."""
    match = JWS_PATTERN.search(data)
    if not match:
        raise InvalidPermit("No signed permit found in this file")
    return match.group(0).decode()


@dataclass(frozen=True)
class PermitCheck:
    state: str  # "valid" | "expired" | "revoked" | "not_yet_valid"
    label: str


def permit_state(permit: IssuedPermit, today: datetime.date | None = None) -> PermitCheck:
    today = today or timezone.localdate()
    if permit.status == IssuedPermit.Status.REVOKED:
        return PermitCheck("revoked", _("Revoked"))
    if permit.valid_until and today > permit.valid_until:
        return PermitCheck("expired", _("Expired"))
    if today < permit.valid_from:
        return PermitCheck("not_yet_valid", _("Not yet valid"))
    return PermitCheck("valid", _("Valid"))


def verification_url(permit: IssuedPermit, *, signed: bool = False) -> str:
    """The public verification page; ``signed`` adds the signed token (what the QR code
    carries), so the page checks the signature as well as the live status."""
    path = reverse("permit_verify", args=[permit.number])
    url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
    return f"{url}?t={permit.jws}" if signed else url


@transaction.atomic
def permit_issue(*, actor: Any, application: Application) -> IssuedPermit:
    """Issue the permit of an approved application: sign its facts; status → issued."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if hasattr(application, "permit"):
        return application.permit  # issuing twice returns the same permit
    if application.status != Application.Status.APPROVED:
        raise ValidationError(_("Only an approved application can be issued."))
    issues = application.service_version.definition.get("issues")
    if not issues:
        raise ValidationError(_("This service does not issue a document."))
    profile = application.applicant.profile
    valid_from = timezone.localdate()
    validity = issues.get("validity_days")
    valid_until = valid_from + datetime.timedelta(days=validity) if validity else None
    number = unique_reference(
        f"P{application.service.code}"[:4],
        lambda ref: IssuedPermit.objects.filter(number=ref).exists(),
    )
    facts = {
        "ver": 1,
        "iss": settings.PUBLIC_BASE_URL,
        "num": number,
        "ref": application.reference,
        "agency": application.agency.code,
        "type": tr(issues.get("document_type"), "en"),
        "permitted": tr(issues.get("permitted"), "en"),
        "holder": profile.legal_name or application.applicant.email,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "iat": int(timezone.now().timestamp()),
    }
    jws, kid = sign_facts(facts)
    permit = IssuedPermit.objects.create(
        application=application,
        number=number,
        facts=facts,
        jws=jws,
        key_id=kid,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=actor,
    )
    application.status = Application.Status.ISSUED
    application.save(update_fields=["status", "updated_at"])
    record_event(application, "issued", actor=actor, data={"permit": number})
    audit_record(actor=actor, action="applications.permit.issued", obj=permit)
    return permit


@transaction.atomic
def permit_revoke(*, actor: Any, permit: IssuedPermit, reason: str) -> IssuedPermit:
    if not reason.strip():
        raise ValidationError(_("Give the reason for revoking."))
    permit = IssuedPermit.objects.select_for_update().get(pk=permit.pk)
    if permit.status == IssuedPermit.Status.REVOKED:
        return permit
    permit.status = IssuedPermit.Status.REVOKED
    permit.revoked_at = timezone.now()
    permit.revoked_reason = reason.strip()
    permit.save(update_fields=["status", "revoked_at", "revoked_reason"])
    application = permit.application
    application.status = Application.Status.REVOKED
    application.save(update_fields=["status", "updated_at"])
    record_event(application, "revoked", actor=actor, message=permit.revoked_reason)
    audit_record(
        actor=actor, action="applications.permit.revoked", obj=permit, data={"reason": reason}
    )
    return permit


def permit_pdf(permit: IssuedPermit, language: str | None = None) -> bytes:
    """The permit as a PDF in the holder's language, with a QR code to the verification page
    and the signed facts (JWS) in the document metadata for offline verification."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    language = language or permit.application.applicant.profile.preferred_language
    issues = permit.application.service_version.definition.get("issues") or {}
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    height = A4[1]
    with translation.override(language):
        title = tr(issues.get("document_type"), language) or permit.facts["type"]
        pdf.setTitle(f"{title} {permit.number}")
        pdf.setSubject(permit.jws)
        pdf.setAuthor(str(permit.application.agency))
        pdf.setFont("Helvetica-Bold", 20)
        pdf.drawString(20 * mm, height - 30 * mm, title)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(20 * mm, height - 38 * mm, str(permit.application.agency))
        lines = [
            (_("Permit number"), permit.number),
            (_("Holder"), permit.facts["holder"]),
            (_("Permitted"), tr(issues.get("permitted"), language) or permit.facts["permitted"]),
            (_("Valid from"), _date(permit.valid_from)),
            (
                _("Valid until"),
                _date(permit.valid_until) if permit.valid_until else _("No end date"),
            ),
            (_("Application reference"), permit.application.reference),
        ]
        y = height - 55 * mm
        for label, value in lines:
            pdf.setFont("Helvetica-Bold", 11)
            pdf.drawString(20 * mm, y, label)
            pdf.setFont("Helvetica", 11)
            pdf.drawString(75 * mm, y, str(value)[:80])
            y -= 9 * mm
        url = verification_url(permit)
        qr = QrCodeWidget(verification_url(permit, signed=True))
        x0, y0, x1, y1 = qr.getBounds()
        size = 45 * mm
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(qr)
        renderPDF.draw(drawing, pdf, 20 * mm, y - 50 * mm)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(70 * mm, y - 20 * mm, _("Scan the code or visit this address to check it:"))
        pdf.drawString(70 * mm, y - 26 * mm, url)
        pdf.drawString(
            20 * mm,
            15 * mm,
            _("Signed electronically (Ed25519), key %(kid)s.") % {"kid": permit.key_id},
        )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _date(value: datetime.date | None) -> str:
    from django.utils.formats import date_format

    return date_format(value, "DATE_FORMAT") if value else ""
