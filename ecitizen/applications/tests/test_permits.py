import base64
import datetime
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from jwcrypto import jwk, jws

from ecitizen.accounts.tests.factories import AgencyFactory, UserFactory
from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.applications.permits import (
    InvalidPermit,
    extract_jws,
    permit_issue,
    permit_pdf,
    permit_revoke,
    verify_jws,
)
from ecitizen.audit.models import AuditEntry
from ecitizen.catalogue.models import Service, ServiceVersion

pytestmark = pytest.mark.django_db

ISSUES = {
    "document_type": {"en": "Dog licence", "fr": "Licence pour chien", "es": "Licencia canina"},
    "permitted": {"en": "Keep one dog", "fr": "Détenir un chien", "es": "Tener un perro"},
    "validity_days": 365,
}


def approved_application(holder_name: str = "Amara Okafor") -> Application:
    agency = AgencyFactory(code="licensing")
    service = Service.objects.create(agency=agency, slug="dog-licence", code="DL")
    version = ServiceVersion.objects.create(
        service=service, number=1, status="published", definition={"issues": ISSUES}
    )
    applicant = UserFactory()
    applicant.profile.legal_name = holder_name
    applicant.profile.save()
    return Application.objects.create(
        reference="DL-2026-ABCD",
        service_version=version,
        service=service,
        agency=agency,
        applicant=applicant,
        status=Application.Status.APPROVED,
    )


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_issue_signs_facts_that_a_third_party_jose_library_verifies(client):
    application = approved_application()
    permit = permit_issue(actor=None, application=application)

    application.refresh_from_db()
    assert application.status == Application.Status.ISSUED
    assert permit.facts["holder"] == "Amara Okafor"
    assert permit.valid_until == permit.valid_from + datetime.timedelta(days=365)
    assert AuditEntry.objects.filter(action="applications.permit.issued").exists()

    keyset = client.get("/.well-known/permit-keys.json").json()
    assert keyset["keys"][0]["kty"] == "OKP" and keyset["keys"][0]["crv"] == "Ed25519"
    key = jwk.JWK(**keyset["keys"][0])
    token = jws.JWS()
    token.deserialize(permit.jws)
    token.verify(key)  # raises if the signature is wrong
    assert json.loads(token.payload) == permit.facts


def test_issuing_twice_returns_the_same_permit():
    application = approved_application()
    first = permit_issue(actor=None, application=application)
    application.refresh_from_db()
    assert permit_issue(actor=None, application=application) == first
    assert IssuedPermit.objects.count() == 1


def test_tampered_permit_fails_verification():
    permit = permit_issue(actor=None, application=approved_application())
    header, _payload, signature = permit.jws.split(".")
    forged_facts = dict(permit.facts, holder="Somebody Else")
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps(forged_facts).encode()).rstrip(b"=").decode()
    )
    with pytest.raises(InvalidPermit):
        verify_jws(f"{header}.{forged_payload}.{signature}")


def test_pdf_carries_the_facts_and_verifies_offline(tmp_path):
    from io import BytesIO

    from pypdf import PdfReader

    permit = permit_issue(actor=None, application=approved_application())
    pdf = permit_pdf(permit, language="fr")
    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "Licence pour chien" in text and "Amara Okafor" in text and permit.number in text
    assert verify_jws(extract_jws(pdf)) == permit.facts

    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf)
    from io import StringIO

    out = StringIO()
    call_command("verify_permit", str(path), stdout=out)
    assert "Signature valid" in out.getvalue() and "Status: valid" in out.getvalue()

    permit_revoke(actor=None, permit=permit, reason="Dog no longer kept")
    with pytest.raises(CommandError, match="revoked"):
        call_command("verify_permit", str(path), stdout=StringIO())


def test_verify_page_states_valid_then_revoked(client):
    permit = permit_issue(actor=None, application=approved_application())
    page = client.get(f"/verify/{permit.number}/", {"t": permit.jws}).content.decode()
    assert "This permit is valid" in page and "signature is genuine" in page
    assert permit.application.applicant.email not in page  # minimum facts only

    permit_revoke(actor=None, permit=permit, reason="Conditions breached")
    page = client.get(f"/verify/{permit.number}/").content.decode()
    assert "has been revoked" in page
    assert permit.application.reference not in page


def test_verify_page_flags_a_token_that_does_not_match(client):
    permit = permit_issue(actor=None, application=approved_application())
    page = client.get(f"/verify/{permit.number}/", {"t": "eyJhbGciOi.bad.token"}).content.decode()
    assert "may have been altered" in page
    assert client.get("/verify/NOPE-2026-XXXX/").status_code == 404


def test_expired_permit_is_reported_expired(client):
    permit = permit_issue(actor=None, application=approved_application())
    IssuedPermit.objects.filter(pk=permit.pk).update(
        valid_until=datetime.date.today() - datetime.timedelta(days=1)
    )
    assert "has expired" in client.get(f"/verify/{permit.number}/").content.decode()


def test_only_the_holder_and_agency_staff_download_the_pdf(client):
    permit = permit_issue(actor=None, application=approved_application())
    url = f"/permits/{permit.number}.pdf"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(permit.application.applicant)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")


def test_rotated_keys_keep_old_permits_verifiable(settings):
    old_spec = f"old:{new_key()}"
    with override_settings(PERMIT_SIGNING_KEYS=old_spec):
        permit = permit_issue(actor=None, application=approved_application())
    with override_settings(PERMIT_SIGNING_KEYS=f"new:{new_key()},{old_spec}"):
        assert verify_jws(permit.jws) == permit.facts
        assert permit.key_id == "old"
    with (
        override_settings(PERMIT_SIGNING_KEYS=f"other:{new_key()}"),
        pytest.raises(InvalidPermit),
    ):
        verify_jws(permit.jws)
