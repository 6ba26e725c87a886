"""A resident's applications through the API: the same services and form engine as the
website, idempotent submission, and nobody else's application, document or payment."""

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.functional import Promise

from ecitizen.accounts.models import User
from ecitizen.api.services import api_token_create
from ecitizen.applications import apis as applications_apis
from ecitizen.applications.events import record_event
from ecitizen.applications.models import Application, Document, InfoRequest
from ecitizen.applications.services import application_submit, application_transition
from ecitizen.applications.tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    complete_draft,
    make_resident,
    make_service,
)
from ecitizen.audit.models import AuditEntry
from ecitizen.payments.models import Payment
from ecitizen.payments.providers import ProviderEvent
from ecitizen.payments.services import payment_apply_outcome, payment_start

from .conftest import MakeToken, assert_error_shape, bearer, signed_in

READ_WRITE = ["applications:read", "applications:write", "payments:read"]
WORKS = {
    "floor_area": 120,
    "budget": 125050,
    "start_date": "2099-01-15",
    "use": "home",
    "features": ["solar"],
    "description": "A small extension at the back.",
}


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def service(db):  # type: ignore[no-untyped-def]
    return make_service()


@pytest.fixture
def alice(db) -> User:
    return make_resident()


@pytest.fixture
def bob(db) -> User:
    return make_resident(legal_name="Bob Stone")


@pytest.fixture
def alice_token(alice: User, make_token: MakeToken) -> dict[str, str]:
    return bearer(make_token(alice, scopes=READ_WRITE)[1])


@pytest.fixture
def bob_token(bob: User, make_token: MakeToken) -> dict[str, str]:
    return bearer(make_token(bob, scopes=READ_WRITE)[1])


def send(client: Client, method: str, path: str, headers: dict[str, str], body: Any = None):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        path,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers=headers,
    )


def url(reference: str, suffix: str = "") -> str:
    return f"/api/v1/applications/{reference}{suffix}"


def start(client: Client, headers: dict[str, str], service) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = send(client, "post", "/api/v1/applications", headers, {"service": service.slug})
    assert response.status_code in (200, 201), response.content
    return response.json()


def upload(client: Client, reference: str, headers: dict[str, str], content: bytes, **extra: Any):  # type: ignore[no-untyped-def]
    name = extra.pop("name", "plan.pdf")
    data = {
        "question": extra.pop("question", "drawings"),
        "file": SimpleUploadedFile(name, content, content_type=extra.pop("content_type", "")),
    }
    return client.post(url(reference, "/documents"), data, headers=headers)


def fill_in(client: Client, reference: str, headers: dict[str, str]) -> None:
    for page, answers in (
        ("site", {"parcel": "AB123"}),
        ("works", WORKS),
        ("garage", {"has_garage": False}),
    ):
        response = send(
            client, "put", url(reference, "/answers"), headers, {"page": page, "answers": answers}
        )
        assert response.status_code == 200, response.content
    assert upload(client, reference, headers, PDF_BYTES).status_code == 201


def submit(client: Client, reference: str, headers: dict[str, str], key: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        url(reference, "/submit"), headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    )


def bearer_for(user: User, scopes: list[str]) -> dict[str, str]:
    return bearer(api_token_create(actor=user, name="helper", scopes=scopes)[1])


def details_by_field(body: dict[str, Any]) -> dict[str, str]:
    return {detail["field"]: detail["code"] for detail in body["error"]["details"]}


# --- applying ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_resident_applies_end_to_end_through_the_api(client, alice, service, alice_token):
    created = send(client, "post", "/api/v1/applications", alice_token, {"service": service.slug})
    assert created.status_code == 201, created.content
    body = created.json()
    reference = body["reference"]
    assert body["status"] == "draft" and body["service"]["slug"] == service.slug
    assert body["actions"] == ["answer", "upload", "withdraw"]
    assert body["next_page"] == "site"
    # Pre-filled from the profile (once-only), and said so.
    assert body["answers"]["full_name"] == "Amara Okafor"
    assert "full_name" in body["prefilled"] and "site_address" in body["prefilled"]
    # Starting again resumes the same draft.
    again = send(client, "post", "/api/v1/applications", alice_token, {"service": service.slug})
    assert again.status_code == 200 and again.json()["reference"] == reference

    fill_in(client, reference, alice_token)
    detail = client.get(url(reference), headers=alice_token).json()
    assert detail["missing"] == [] and detail["next_page"] is None
    assert "submit" in detail["actions"]
    assert [doc["name"] for doc in detail["documents"]] == ["plan.pdf"]

    response = submit(client, reference, alice_token)

    assert response.status_code == 200, response.content
    sent = response.json()
    assert sent["status"] == "submitted" and sent["submitted_at"]
    assert sent["due_date"] is not None
    assert "Idempotent-Replayed" not in response
    application = Application.objects.get(reference=reference)
    # Stored exactly as the web form stores them (money in cents, pre-fill frozen in).
    assert application.answers["budget"] == 125050
    assert application.answers["floor_area"] == 120
    assert application.answers["has_garage"] is False
    assert application.answers["full_name"] == "Amara Okafor"
    assert application.answers["drawings"] == [application.documents.get().pk]
    assert [entry["kind"] for entry in sent["timeline"]] == ["started", "submitted"]


@pytest.mark.django_db
def test_answers_are_validated_by_the_form_engine_with_field_details(
    client, alice, service, alice_token
):
    reference = start(client, alice_token, service)["reference"]

    response = send(
        client,
        "put",
        url(reference, "/answers"),
        alice_token,
        {
            "page": "works",
            "answers": {
                "floor_area": 20000,  # over the maximum
                "budget": 125050,
                "start_date": "2000-01-01",  # before today
                "use": "castle",  # not an option
                "features": ["solar", "garden", "pool"],  # more than two
                # description (required) left out
            },
        },
    )

    body = assert_error_shape(response, 422, "validation_error")
    assert details_by_field(body) == {
        "body.payload.answers.floor_area": "max",
        "body.payload.answers.start_date": "min_date",
        "body.payload.answers.use": "invalid_choice",
        "body.payload.answers.features": "invalid",
        "body.payload.answers.description": "required",
    }
    messages = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert messages["body.payload.answers.floor_area"].startswith("“Floor area” must be 10")
    assert messages["body.payload.answers.description"] == "Enter an answer for “Description”."
    assert Application.objects.get(reference=reference).answers == {}

    # The right JSON type for each question type, or a 422 before any rule is checked.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"budget": "1250.50", "floor_area": True, "features": "x"}},
    )
    body = assert_error_shape(response, 422, "validation_error")
    assert details_by_field(body) == {
        "body.payload.answers.budget": "wrong_type",
        "body.payload.answers.floor_area": "wrong_type",
        "body.payload.answers.features": "wrong_type",
    }


@pytest.mark.django_db
def test_patch_changes_only_what_is_sent_and_put_replaces_the_page(
    client, alice, service, alice_token
):
    reference = start(client, alice_token, service)["reference"]
    # PATCH: one answer, valid; other required questions of the page may still be missing.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"floor_area": 80, "budget": 5000000}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["answers"]["floor_area"] == 80 and body["answers"]["budget"] == 5000000
    assert {"page": "works", "question": "description"} in body["missing"]
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"description": "A shed."}},
    )
    assert response.json()["answers"]["floor_area"] == 80  # kept
    # An invalid value sent is refused even with PATCH.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"budget": 50}},
    )
    assert details_by_field(assert_error_shape(response, 422, "validation_error")) == {
        "body.payload.answers.budget": "min"
    }
    # null removes an answer, but a required one needs an answer.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"features": ["pool"]}},
    )
    assert response.json()["answers"]["features"] == ["pool"]
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"features": None}},
    )
    assert "features" not in response.json()["answers"]
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "works", "answers": {"floor_area": None}},
    )
    assert details_by_field(assert_error_shape(response, 422, "validation_error")) == {
        "body.payload.answers.floor_area": "required"
    }
    # PUT: the page becomes exactly what is sent, and must be complete.
    response = send(
        client, "put", url(reference, "/answers"), alice_token, {"page": "works", "answers": WORKS}
    )
    assert response.status_code == 200
    stored = Application.objects.get(reference=reference).answers
    assert {key: stored[key] for key in WORKS} == WORKS


@pytest.mark.django_db
def test_conditions_pages_prefill_overrides_and_addresses(client, alice, service, alice_token):
    reference = start(client, alice_token, service)["reference"]
    # A same-page condition: the garage area is needed only with a garage.
    response = send(
        client,
        "put",
        url(reference, "/answers"),
        alice_token,
        {"page": "garage", "answers": {"has_garage": True}},
    )
    assert details_by_field(assert_error_shape(response, 422, "validation_error")) == {
        "body.payload.answers.garage_area": "required"
    }
    response = send(
        client,
        "put",
        url(reference, "/answers"),
        alice_token,
        {"page": "garage", "answers": {"has_garage": True, "garage_area": 18}},
    )
    assert response.json()["answers"]["garage_area"] == 18
    # The shop page is asked only for a shop or an office.
    response = send(
        client, "put", url(reference, "/answers"), alice_token, {"page": "works", "answers": WORKS}
    )
    response = send(
        client,
        "put",
        url(reference, "/answers"),
        alice_token,
        {"page": "shop", "answers": {"opening_hours": "9-5"}},
    )
    body = assert_error_shape(response, 422, "validation_error")
    assert body["error"]["details"][0]["code"] == "page_not_asked"
    for payload, field, code in (
        ({"page": "nowhere", "answers": {}}, "body.payload.page", "unknown_page"),
        (
            {"page": "site", "answers": {"floor_area": 3}},
            "body.payload.answers.floor_area",
            "unknown_question",
        ),
    ):
        response = send(client, "put", url(reference, "/answers"), alice_token, payload)
        body = assert_error_shape(response, 422, "validation_error")
        assert body["error"]["details"][0]["code"] == code
        assert body["error"]["details"][0]["field"] == field
    # A pre-filled answer can be overridden for this application only, address parts checked.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "site", "answers": {"site_address": {"line1": "2 Hill Road", "town": ""}}},
    )
    assert details_by_field(assert_error_shape(response, 422, "validation_error")) == {
        "body.payload.answers.site_address.town": "required",
        "body.payload.answers.site_address.area": "required",
    }
    address = {
        "line1": "2 Hill Road",
        "line2": "",
        "town": "Metropolis",
        "postcode": "75002",
        "area": "riverside",
    }
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "site", "answers": {"site_address": address, "parcel": "CD9"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["answers"]["site_address"] == address and "site_address" not in body["prefilled"]
    assert Application.objects.get(reference=reference).answers["parcel"] == "CD9"


@pytest.mark.django_db
def test_uploads_are_checked_by_their_bytes_size_and_count(client, alice, service, alice_token):
    reference = start(client, alice_token, service)["reference"]

    # A PDF named and declared as a PNG is stored as what its bytes are.
    response = upload(
        client, reference, alice_token, PDF_BYTES, name="scan.png", content_type="image/png"
    )
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["content_type"] == "application/pdf" and first["name"] == "scan.png"
    assert first["question"] == "drawings" and first["size"] == len(PDF_BYTES)
    # The download is the same bytes, for the owner.
    download = client.get(first["url"], headers=alice_token)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"

    body = assert_error_shape(
        upload(client, reference, alice_token, EXE_BYTES, name="x.pdf"), 422, "validation_error"
    )
    assert body["error"]["details"][0]["field"] == "file.file"
    assert "must be a PDF or PNG file" in body["error"]["details"][0]["message"]
    body = assert_error_shape(
        upload(client, reference, alice_token, PDF_BYTES + b"x" * 2000), 413, "payload_too_large"
    )
    assert body["error"]["details"][0]["code"] == "too_large"
    assert upload(client, reference, alice_token, PNG_BYTES, name="b.png").status_code == 201
    body = assert_error_shape(
        upload(client, reference, alice_token, PDF_BYTES), 422, "validation_error"
    )
    assert "up to 2 files" in body["error"]["details"][0]["message"]
    body = assert_error_shape(
        upload(client, reference, alice_token, PDF_BYTES, question="parcel"),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0] == {
        "code": "not_a_file_question",
        "message": "This question does not take files.",
        "field": "form.question",
    }
    assert Document.objects.filter(application__reference=reference).count() == 2

    # Keeping only one file through the answers removes the other.
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "plans", "answers": {"drawings": [first["id"]]}},
    )
    assert [doc["id"] for doc in response.json()["documents"]] == [first["id"]]
    response = send(
        client,
        "patch",
        url(reference, "/answers"),
        alice_token,
        {"page": "plans", "answers": {"drawings": [first["id"] + 999]}},
    )
    assert details_by_field(assert_error_shape(response, 422, "validation_error")) == {
        "body.payload.answers.drawings": "wrong_type"
    }


# --- submitting ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_is_idempotent_by_key(client, alice, service, alice_token):
    reference = start(client, alice_token, service)["reference"]
    key = str(uuid.uuid4())

    response = client.post(url(reference, "/submit"), headers=alice_token)
    body = assert_error_shape(response, 422, "validation_error")
    assert body["error"]["details"][0]["field"].lower().endswith("idempotency-key")
    body = assert_error_shape(
        submit(client, reference, alice_token, "not-a-uuid"), 422, "validation_error"
    )
    assert body["error"]["details"][0]["code"] == "invalid_idempotency_key"
    # Incomplete: one detail per unanswered question.
    body = assert_error_shape(submit(client, reference, alice_token, key), 422, "incomplete")
    assert {d["field"] for d in body["error"]["details"]} >= {
        "body.payload.answers.parcel",
        "body.payload.answers.drawings",
    }

    fill_in(client, reference, alice_token)
    first = submit(client, reference, alice_token, key)
    again = submit(client, reference, alice_token, key)

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["reference"] == again.json()["reference"] == reference
    application = Application.objects.get(reference=reference)
    assert application.events.filter(kind="submitted").count() == 1
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1
    # Another key for an application already sent.
    assert_error_shape(submit(client, reference, alice_token), 409, "already_submitted")
    # The same key for another application.
    other = make_service(code="OT", slug="other")
    second = start(client, alice_token, other)["reference"]
    assert_error_shape(submit(client, second, alice_token, key), 409, "idempotency_key_reused")
    assert Application.objects.get(reference=second).status == Application.Status.DRAFT


def run_in_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = work(barrier)
        except Exception as exc:  # reported by the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False])
def test_two_parallel_submit_requests_submit_once(same_key: bool, make_token: MakeToken) -> None:
    resident = make_resident()
    application = complete_draft(resident, make_service())
    headers = bearer(make_token(resident, scopes=READ_WRITE)[1])
    shared = str(uuid.uuid4())

    def work(barrier: threading.Barrier) -> tuple[int, str, str]:
        client = Client()
        key = shared if same_key else str(uuid.uuid4())
        barrier.wait()
        response = submit(client, application.reference, headers, key)
        return (
            response.status_code,
            response.get("Idempotent-Replayed", ""),
            response.json().get("reference") or response.json()["error"]["code"],
        )

    results = sorted(run_in_parallel(2, work), key=str)
    if same_key:
        assert results == [
            (200, "", application.reference),
            (200, "true", application.reference),
        ], results
    else:
        assert results == [(200, "", application.reference), (409, "", "already_submitted")], (
            results
        )
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.events.filter(kind="submitted").count() == 1
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1


# --- after sending -------------------------------------------------------------------------


def ask_for_information(application: Application, officer: User | None = None) -> InfoRequest:
    request = InfoRequest.objects.create(
        application=application, message="Send the side view.", requested_by=officer
    )
    application_transition(
        actor=officer,
        application=application,
        to_status=Application.Status.INFO_REQUESTED,
        event="info_requested",
        message=request.message,
    )
    return request


@pytest.mark.django_db
def test_answering_a_request_for_information(client, alice, service, alice_token):
    application = complete_draft(alice, service)
    application_submit(actor=alice, application=application, idempotency_key=str(uuid.uuid4()))
    path = url(application.reference, "/info-response")
    assert_error_shape(client.post(path, {"answer": "x"}, headers=alice_token), 409, "conflict")
    ask_for_information(application)
    detail = client.get(url(application.reference), headers=alice_token).json()
    assert detail["status"] == "info_requested" and "respond" in detail["actions"]
    assert detail["info_requests"][0]["message"] == "Send the side view."

    body = assert_error_shape(
        client.post(path, {"answer": " "}, headers=alice_token), 422, "validation_error"
    )
    assert body["error"]["details"][0] == {
        "code": "required",
        "message": "Enter your answer.",
        "field": "form.answer",
    }
    body = assert_error_shape(
        client.post(
            path,
            {"answer": "Here", "files": [SimpleUploadedFile("a.pdf", EXE_BYTES)]},
            headers=alice_token,
        ),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0]["field"] == "file.files"
    response = client.post(
        path,
        {"answer": "Here it is.", "files": [SimpleUploadedFile("side.pdf", PDF_BYTES)]},
        headers=alice_token,
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["info_requests"][0]["answer"] == "Here it is."
    assert "side.pdf" in [doc["name"] for doc in body["documents"]]
    assert_error_shape(client.post(path, {"answer": "again"}, headers=alice_token), 409, "conflict")


@pytest.mark.django_db
def test_withdrawing_is_idempotent_and_refused_once_decided(client, alice, service, alice_token):
    application = complete_draft(alice, service)
    application_submit(actor=alice, application=application, idempotency_key=str(uuid.uuid4()))
    path = url(application.reference, "/withdraw")
    body = assert_error_shape(
        send(client, "post", path, alice_token, {"reason": "x" * 1001}), 422, "validation_error"
    )
    assert body["error"]["details"][0]["field"] == "body.payload.reason"

    response = send(client, "post", path, alice_token, {"reason": "Moved away"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    # Again, even without a body: unchanged.
    again = client.post(path, content_type="application/json", headers=alice_token)
    assert again.status_code == 200 and again.json()["status"] == "withdrawn"
    assert application.events.filter(kind="withdrawn").count() == 1

    decided = complete_draft(alice, make_service(code="DC", slug="decided"))
    application_submit(actor=alice, application=decided, idempotency_key=str(uuid.uuid4()))
    application_transition(
        actor=None, application=decided, to_status=Application.Status.APPROVED, event="approved"
    )
    response = send(client, "post", url(decided.reference, "/withdraw"), alice_token, {})
    body = assert_error_shape(response, 409, "conflict")
    assert body["error"]["message"] == "This application can no longer be withdrawn."


@pytest.mark.django_db
def test_a_sent_application_cannot_be_changed(client, alice, service, alice_token):
    application = complete_draft(alice, service)
    application_submit(actor=alice, application=application, idempotency_key=str(uuid.uuid4()))
    response = send(
        client,
        "patch",
        url(application.reference, "/answers"),
        alice_token,
        {"page": "site", "answers": {"parcel": "ZZ1"}},
    )
    assert_error_shape(response, 409, "conflict")
    assert_error_shape(
        upload(client, application.reference, alice_token, PDF_BYTES), 409, "conflict"
    )


# --- reading -------------------------------------------------------------------------------


def paid_application(resident: User) -> tuple[Application, Payment]:
    service = make_service(
        code="FE",
        slug=f"fee-{uuid.uuid4().hex[:6]}",
        fee={"kind": "fixed", "amount": 5000, "currency": "EUR"},
    )
    application = complete_draft(resident, service)
    application_submit(actor=resident, application=application, idempotency_key=str(uuid.uuid4()))
    assert application.status == Application.Status.AWAITING_PAYMENT
    payment = payment_start(
        actor=resident, application=application, idempotency_key=str(uuid.uuid4())
    )
    payment_apply_outcome(
        event=ProviderEvent(
            event_id=f"evt-{payment.pk}",
            payment_reference=payment.reference,
            outcome="succeeded",
            provider_reference=f"sbx-{payment.pk}",
            method="card",
            amount=payment.amount,
            currency=payment.currency,
        ),
        provider=payment.provider,
    )
    payment.refresh_from_db()
    application.refresh_from_db()
    return application, payment


@pytest.mark.django_db
def test_detail_shows_timeline_without_internal_events_documents_and_payments(
    client, alice, alice_token
):
    application, payment = paid_application(alice)
    record_event(application, "note_added", message="Staff only: looks odd", internal=True)

    response = client.get(url(application.reference), headers=alice_token)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["fee"] == {"amount": 5000, "currency": "EUR", "formatted": "€50.00"}
    assert "Staff only" not in response.content.decode()
    assert [entry["kind"] for entry in body["timeline"]] == [
        "started",
        "payment_requested",
        "paid",
        "submitted",
    ]
    assert body["payments"][0]["reference"] == payment.reference
    assert body["payments"][0]["status"] == "succeeded"
    receipt = client.get(body["payments"][0]["receipt_url"], headers=alice_token)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    payment_body = client.get(body["payments"][0]["url"], headers=alice_token).json()
    assert payment_body["application"] == application.reference
    assert payment_body["amount"]["amount"] == 5000 and payment_body["method"] == "card"
    assert payment_body["receipt_web_url"].endswith(f"/payments/{payment.reference}/receipt.pdf")
    assert len(body["documents"]) == 1 and body["documents"][0]["url"].startswith("http")


@pytest.mark.django_db
def test_list_shows_only_ones_own_and_reads_with_the_session(
    client, alice, bob, service, alice_token
):
    mine = complete_draft(alice, service)
    complete_draft(bob, service)

    body = client.get("/api/v1/applications", headers=alice_token).json()
    assert body["count"] == 1 and body["items"][0]["reference"] == mine.reference
    assert (
        client.get("/api/v1/applications?status=submitted", headers=alice_token).json()["count"]
        == 0
    )
    signed_in(client, alice)
    assert client.get("/api/v1/applications").json()["items"][0]["reference"] == mine.reference
    assert client.get(url(mine.reference)).status_code == 200
    # The session reads only; writing needs a token.
    assert_error_shape(submit(client, mine.reference, {}), 401, "not_authenticated")


@pytest.mark.django_db
def test_scopes_are_enforced(client, alice, service, make_token):
    application = complete_draft(alice, service)
    reader = bearer(make_token(alice, scopes=["applications:read"])[1])
    writer = bearer(make_token(alice, scopes=["applications:write"], name="w")[1])
    profile = bearer(make_token(alice, scopes=["profile:read"], name="p")[1])

    assert_error_shape(
        client.get(url(application.reference), headers=profile), 403, "insufficient_scope"
    )
    assert client.get(url(application.reference), headers=reader).status_code == 200
    assert_error_shape(submit(client, application.reference, reader), 403, "insufficient_scope")
    assert submit(client, application.reference, writer).status_code == 200
    assert_error_shape(
        client.get("/api/v1/applications", headers=writer), 403, "insufficient_scope"
    )


@pytest.mark.django_db
def test_reads_run_a_fixed_number_of_queries(client, alice, alice_token, django_assert_num_queries):
    application, _payment = paid_application(alice)
    for _ in range(3):
        complete_draft(alice, make_service(code="XX", slug=f"s-{uuid.uuid4().hex[:6]}"))
    client.get("/api/v1/applications", headers=alice_token)  # last_used_at written once a minute
    # token + owner; rate-limit counter; the applications with service, version and agency
    with django_assert_num_queries(3):
        assert client.get("/api/v1/applications", headers=alice_token).json()["count"] == 4
    # token; rate-limit counter; application with version, service, agency, permit; events;
    # documents; information requests; payments
    with django_assert_num_queries(7):
        assert client.get(url(application.reference), headers=alice_token).status_code == 200


# --- nobody else's -------------------------------------------------------------------------


@pytest.mark.django_db
def test_resident_b_gets_404_for_everything_of_resident_a(client, alice, bob, bob_token):
    application, payment = paid_application(alice)
    document = application.documents.get()
    reference = application.reference
    draft = start(
        Client(),
        bearer_for(alice, ["applications:write"]),
        make_service(code="DR", slug="draft-svc"),
    )
    ask_for_information(application)
    attempts = [
        ("get", url(reference), None),
        ("get", url(reference, f"/documents/{document.pk}"), None),
        ("get", f"/api/v1/payments/{payment.reference}", None),
        ("get", f"/api/v1/payments/{payment.reference}/receipt", None),
        (
            "patch",
            url(draft["reference"], "/answers"),
            {"page": "site", "answers": {"parcel": "AB1"}},
        ),
        (
            "put",
            url(draft["reference"], "/answers"),
            {"page": "site", "answers": {"parcel": "AB1"}},
        ),
        ("post", url(draft["reference"], "/withdraw"), {}),
        ("post", url(reference, "/withdraw"), {}),
    ]
    for method, path, body in attempts:
        assert_error_shape(send(client, method, path, bob_token, body), 404, "not_found")
    assert_error_shape(upload(client, draft["reference"], bob_token, PDF_BYTES), 404, "not_found")
    assert_error_shape(submit(client, draft["reference"], bob_token), 404, "not_found")
    response = client.post(
        url(reference, "/info-response"), {"answer": "mine now"}, headers=bob_token
    )
    assert_error_shape(response, 404, "not_found")
    # Alice's document id under Bob's own application is not Bob's either.
    bobs = start(client, bob_token, make_service(code="BB", slug="bob-svc"))["reference"]
    assert_error_shape(
        client.get(url(bobs, f"/documents/{document.pk}"), headers=bob_token), 404, "not_found"
    )
    # Through the session and the website, too.
    signed_in(client, bob)
    assert_error_shape(client.get(url(reference)), 404, "not_found")
    assert_error_shape(client.get(url(reference, f"/documents/{document.pk}")), 404, "not_found")
    assert_error_shape(client.get(f"/api/v1/payments/{payment.reference}"), 404, "not_found")
    for web in (
        reverse("applications:detail", args=[reference]),
        reverse("applications:document", args=[reference, document.pk]),
        reverse("payments:receipt", args=[payment.reference]),
        reverse("payments:return", args=[payment.reference]),
    ):
        assert client.get(web).status_code == 404, web
    # Nothing changed.
    application.refresh_from_db()
    assert application.status == Application.Status.INFO_REQUESTED
    assert Application.objects.get(reference=draft["reference"]).status == Application.Status.DRAFT


# --- the contract --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_endpoints_are_in_the_openapi_document_with_their_security(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/applications", "get"): ["applications:read"],
        ("/api/v1/applications", "post"): ["applications:write"],
        ("/api/v1/applications/{reference}", "get"): ["applications:read"],
        ("/api/v1/applications/{reference}/answers", "put"): ["applications:write"],
        ("/api/v1/applications/{reference}/answers", "patch"): ["applications:write"],
        ("/api/v1/applications/{reference}/documents", "post"): ["applications:write"],
        ("/api/v1/applications/{reference}/documents/{document_id}", "get"): ["applications:read"],
        ("/api/v1/applications/{reference}/submit", "post"): ["applications:write"],
        ("/api/v1/applications/{reference}/info-response", "post"): ["applications:write"],
        ("/api/v1/applications/{reference}/withdraw", "post"): ["applications:write"],
        ("/api/v1/payments/{reference}", "get"): ["payments:read"],
        ("/api/v1/payments/{reference}/receipt", "get"): ["payments:read"],
    }
    for (path, method), scopes in expected.items():
        operation = paths[path][method]
        assert {"TokenAuth": []} in operation["security"], (path, method)
        assert operation["x-required-scopes"] == scopes
        assert "404" in operation["responses"] or path == "/api/v1/applications"
        for status, response in operation["responses"].items():
            if status >= "400":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (path, method, status)
        # Reads may use the browser session; writes never.
        session = {"SessionReadAuth": []} in operation["security"]
        assert session == (method == "get"), (path, method)
    submit_op = paths["/api/v1/applications/{reference}/submit"]["post"]
    header = next(p for p in submit_op["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    upload_op = paths["/api/v1/applications/{reference}/documents"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert "413" in upload_op["responses"]


def test_api_messages_are_translatable():
    for message in applications_apis._TYPE_MESSAGES.values():
        assert isinstance(message, Promise)
    for error in (
        applications_apis.Conflict,
        applications_apis.PayloadTooLarge,
        applications_apis.Invalid,
    ):
        assert isinstance(error.default_message, Promise)
