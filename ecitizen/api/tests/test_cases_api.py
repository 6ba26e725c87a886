"""Staff case work through the API: the same rules as the back office (agency role and a
second factor, 404 for anyone else), the access log, and every decision."""

import datetime
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import staff_role_grant
from ecitizen.accounts.tests.factories import AgencyFactory, UserFactory
from ecitizen.api.services import api_token_create
from ecitizen.applications.casework import case_note_add
from ecitizen.applications.models import Application, Document, IssuedPermit
from ecitizen.applications.tests.case_factories import (
    ISSUES,
    bulk_cases,
    service_of,
    staff,
    submitted_case,
)
from ecitizen.audit.models import PersonalDataAccess

from .conftest import assert_error_shape, bearer

Status = Application.Status
CASES = ["cases:read", "cases:write"]


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def token_for(user: User, scopes: list[str] = CASES) -> dict[str, str]:
    return bearer(api_token_create(actor=user, name="case tool", scopes=scopes)[1])


def post(client: Client, path: str, headers: dict[str, str], body: Any = None):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers=headers,
    )


def case_url(reference: str, suffix: str = "") -> str:
    return f"/api/v1/cases/{reference}{suffix}"


@pytest.fixture
def case(db) -> Application:  # type: ignore[no-untyped-def]
    return submitted_case(issues=ISSUES)


@pytest.fixture
def officer(case: Application) -> User:
    return staff(case.agency, name="Olu Officer")


@pytest.fixture
def officer_token(officer: User) -> dict[str, str]:
    return token_for(officer)


# --- who may ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_staff_of_the_agency_with_a_second_factor(client, case, officer_token):
    resident_token = token_for(case.applicant)
    stranger = token_for(staff(AgencyFactory()))
    no_mfa = UserFactory()
    staff_role_grant(actor=None, user=no_mfa, role=StaffRole.Role.CASE_OFFICER, agency=case.agency)
    for headers in (resident_token, stranger):
        assert_error_shape(client.get(case_url(case.reference), headers=headers), 404, "not_found")
        assert_error_shape(
            post(client, case_url(case.reference, "/claim"), headers), 404, "not_found"
        )
    # Residents have no queue at all; other agencies' staff see their own, never this one.
    assert_error_shape(client.get("/api/v1/cases", headers=resident_token), 404, "not_found")
    assert client.get("/api/v1/cases", headers=stranger).json()["count"] == 0
    body = assert_error_shape(
        client.get(case_url(case.reference), headers=token_for(no_mfa)), 403, "mfa_required"
    )
    assert "two-factor" in body["error"]["message"]
    reader = token_for(staff(case.agency), ["cases:read"])
    assert_error_shape(
        post(client, case_url(case.reference, "/claim"), reader), 403, "insufficient_scope"
    )
    assert_error_shape(
        client.get(
            case_url(case.reference), headers=token_for(staff(case.agency), ["cases:write"])
        ),
        403,
        "insufficient_scope",
    )
    case.refresh_from_db()
    assert case.assignee_id is None
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_a_signed_in_officer_reads_with_the_session_but_writes_with_a_token(client, case, officer):
    client.force_login(officer)
    assert client.get(case_url(case.reference)).status_code == 200
    assert_error_shape(
        post(client, case_url(case.reference, "/claim"), {}), 401, "not_authenticated"
    )


# --- the queue ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_filters_pages_and_summary(client, case, officer, officer_token):
    today = timezone.localdate()
    other_service = service_of(case.agency, code="TR", title="Tree felling")
    late = bulk_cases(other_service, 2, due=today - datetime.timedelta(days=10))
    bulk_cases(case.service, 3, status=Status.REJECTED)
    bulk_cases(other_service, 1, assignee=officer)

    body = client.get("/api/v1/cases", headers=officer_token).json()

    assert body["agency"]["code"] == case.agency.code
    assert body["count"] == 4  # open cases only
    assert body["summary"] == {"open": 4, "overdue": 2, "due_soon": 0, "unassigned": 3}
    # Most urgent first.
    assert [item["reference"] for item in body["items"][:2]] == sorted(
        [c.reference for c in late], key=lambda ref: Application.objects.get(reference=ref).pk
    )
    first = body["items"][0]
    assert first["sla"]["code"] == "overdue" and first["sla"]["working_days"] < 0
    assert first["url"].endswith(case_url(first["reference"]))

    def count(query: str) -> int:
        response = client.get(f"/api/v1/cases?{query}", headers=officer_token)
        assert response.status_code == 200, response.content
        return int(response.json()["count"])

    assert count("status=rejected") == 3
    assert count("status=all") == 7
    assert count("sla=overdue") == 2
    assert count("assignee=me") == 1
    assert count("assignee=none") == 3
    assert count(f"service={other_service.slug}") == 3
    page = client.get("/api/v1/cases?limit=3&offset=3", headers=officer_token).json()
    assert page["count"] == 4 and len(page["items"]) == 1
    assert client.get("/api/v1/cases?limit=3&offset=6", headers=officer_token).json()["items"] == []
    for query, field in (
        ("offset=1&limit=3", "query.offset"),
        ("agency=nope", "query.agency"),
        ("service=nope", "query.service"),
        ("sla=later", "query.sla"),
        ("assignee=someone", "query.assignee"),
    ):
        body = assert_error_shape(
            client.get(f"/api/v1/cases?{query}", headers=officer_token), 422, "validation_error"
        )
        assert body["error"]["details"][0]["field"] == field, query


@pytest.mark.django_db
def test_queue_runs_a_fixed_number_of_queries(
    client, case, officer_token, django_assert_num_queries
):
    client.get("/api/v1/cases", headers=officer_token)  # last_used_at written once a minute
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/cases", headers=officer_token).json()["count"] == 1
    bulk_cases(case.service, 20, assignee=staff(case.agency))
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/cases", headers=officer_token).json()["count"] == 21
    with django_assert_num_queries(len(few.captured_queries)):  # the filter reads nothing more
        filtered = client.get(f"/api/v1/cases?service={case.service.slug}", headers=officer_token)
        assert filtered.json()["count"] == 21


# --- one case -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_case_is_logged_for_the_applicant(client, case, officer, officer_token):
    case_note_add(actor=officer, application=case, text="Check the boundary.")

    response = client.get(case_url(case.reference), headers=officer_token)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applicant"]["legal_name"] == "Amara Okafor"
    assert body["applicant"]["email"] == case.applicant.email
    assert body["answers"]["parcel"] == "AB123"
    works = next(section for section in body["sections"] if section["page"] == "works")
    budget = next(row for row in works["rows"] if row["question"] == "budget")
    assert budget["label"] == "Budget" and budget["lines"]
    assert [note["text"] for note in body["notes"]] == ["Check the boundary."]
    assert any(entry["internal"] for entry in body["timeline"])  # staff see internal events
    assert body["actions"]["claim"] is True and body["actions"]["approve"] is False
    assert body["documents"][0]["question"] == "Drawings"
    access = PersonalDataAccess.objects.get()
    assert access.accessor == officer and access.subject == case.applicant
    assert access.purpose == PersonalDataAccess.Purpose.CASE_HANDLING
    assert case.reference in access.what
    # The applicant's national ID is never part of it.
    assert "national" not in response.content.decode()

    # A document download is logged too.
    download = client.get(body["documents"][0]["url"], headers=officer_token)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert PersonalDataAccess.objects.count() == 2
    # A document of another agency's case is not reachable through this one.
    other = submitted_case()
    foreign = Document.objects.filter(application=other).first()
    assert_error_shape(
        client.get(case_url(other.reference, f"/documents/{foreign.pk}"), headers=officer_token),
        404,
        "not_found",
    )
    assert_error_shape(
        client.get(case_url(case.reference, f"/documents/{foreign.pk}"), headers=officer_token),
        404,
        "not_found",
    )


@pytest.mark.django_db
def test_case_detail_runs_a_fixed_number_of_queries(
    client, case, officer_token, django_assert_num_queries
):
    client.get(case_url(case.reference), headers=officer_token)
    with CaptureQueriesContext(connection) as first:
        client.get(case_url(case.reference), headers=officer_token)
    for text in ("one", "two", "three"):
        case_note_add(actor=staff(case.agency), application=case, text=text)
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(client.get(case_url(case.reference), headers=officer_token).json()["notes"]) == 3


# --- decisions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_request_info_approve_issue_revoke(client, case, officer, officer_token):
    reference = case.reference
    body = assert_error_shape(
        post(client, case_url(reference, "/approve"), officer_token), 409, "conflict"
    )
    assert body["error"]["message"] == "Claim this case before deciding on it."

    claimed = post(client, case_url(reference, "/claim"), officer_token)
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["assignee"] == {"id": officer.pk, "name": "Olu Officer"}
    assert claimed.json()["actions"]["request_info"] is True
    assert "applicant" not in claimed.json()  # decisions answer without personal data
    # Claiming one's own case again changes nothing.
    assert post(client, case_url(reference, "/claim"), officer_token).status_code == 200
    # Another officer is told who has it.
    rival = token_for(staff(case.agency))
    body = assert_error_shape(
        post(client, case_url(reference, "/claim"), rival), 409, "already_claimed"
    )
    assert "Olu Officer" in body["error"]["message"]

    body = assert_error_shape(
        post(client, case_url(reference, "/request-info"), officer_token, {"message": " "}),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0]["field"] == "body.payload.message"
    response = post(
        client,
        case_url(reference, "/request-info"),
        officer_token,
        {"message": "Send the side view."},
    )
    assert response.json()["status"] == "info_requested"
    # The resident answers through their own API.
    resident = bearer(
        api_token_create(actor=case.applicant, name="app", scopes=["applications:write"])[1]
    )
    answered = client.post(
        f"/api/v1/applications/{reference}/info-response", {"answer": "Attached."}, headers=resident
    )
    assert answered.json()["status"] == "submitted"

    response = post(client, case_url(reference, "/approve"), officer_token, {"reason": "Fine."})
    assert response.json()["status"] == "approved"
    assert response.json()["actions"]["issue"] is True
    response = post(client, case_url(reference, "/issue"), officer_token)
    assert response.status_code == 200 and response.json()["status"] == "issued"
    assert IssuedPermit.objects.filter(application__reference=reference).exists()
    assert_error_shape(post(client, case_url(reference, "/issue"), officer_token), 409, "conflict")

    body = assert_error_shape(
        post(client, case_url(reference, "/revoke"), officer_token, {"reason": ""}),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0]["field"] == "body.payload.reason"
    response = post(
        client, case_url(reference, "/revoke"), officer_token, {"reason": "Built too high."}
    )
    assert response.json()["status"] == "revoked"
    assert response.json()["decision_reason"] == "Built too high."
    assert IssuedPermit.objects.get(application__reference=reference).status == "revoked"


@pytest.mark.django_db
def test_reject_needs_a_reason_and_a_second_approval_needs_another_officer(client, db):
    case = submitted_case(workflow={"second_approval": True})
    first = staff(case.agency)
    first_token, second_token = token_for(first), token_for(staff(case.agency))
    post(client, case_url(case.reference, "/claim"), first_token)
    response = post(client, case_url(case.reference, "/approve"), first_token)
    assert response.json()["status"] == "awaiting_second_approval"
    body = assert_error_shape(
        post(client, case_url(case.reference, "/approve"), first_token), 409, "conflict"
    )
    assert "different officer" in body["error"]["message"]
    body = assert_error_shape(
        post(client, case_url(case.reference, "/reject"), second_token, {"reason": "  "}),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0]["field"] == "body.payload.reason"
    too_long = post(
        client, case_url(case.reference, "/reject"), second_token, {"reason": "x" * 2001}
    )
    assert_error_shape(too_long, 422, "validation_error")
    response = post(
        client, case_url(case.reference, "/reject"), second_token, {"reason": "Too close."}
    )
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_reason"] == "Too close."


@pytest.mark.django_db(transaction=True)
def test_two_officers_claiming_at_once_one_wins() -> None:
    case = submitted_case()
    tokens = [token_for(staff(case.agency)) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            response = post(Client(), case_url(case.reference, "/claim"), tokens[index])
            results[index] = (response.status_code, response.json().get("error", {}).get("code"))
        except Exception as exc:  # reported below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results, key=str) == [(200, None), (409, "already_claimed")], results
    case.refresh_from_db()
    assert case.assignee_id is not None
    assert case.events.filter(kind="assigned").count() == 1


# --- the contract ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/cases", "get"): "cases:read",
        ("/api/v1/cases/{reference}", "get"): "cases:read",
        ("/api/v1/cases/{reference}/documents/{document_id}", "get"): "cases:read",
        ("/api/v1/cases/{reference}/claim", "post"): "cases:write",
        ("/api/v1/cases/{reference}/request-info", "post"): "cases:write",
        ("/api/v1/cases/{reference}/approve", "post"): "cases:write",
        ("/api/v1/cases/{reference}/reject", "post"): "cases:write",
        ("/api/v1/cases/{reference}/issue", "post"): "cases:write",
        ("/api/v1/cases/{reference}/revoke", "post"): "cases:write",
    }
    for (path, method), scope in expected.items():
        operation = paths[path][method]
        assert {"TokenAuth": []} in operation["security"], path
        assert ({"SessionReadAuth": []} in operation["security"]) == (method == "get")
        assert operation["x-required-scopes"] == [scope]
        assert "cases" in operation["tags"]
        assert {"401", "403", "404", "429"} <= set(operation["responses"]), path
    assert "409" in paths["/api/v1/cases/{reference}/claim"]["post"]["responses"]
