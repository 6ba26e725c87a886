"""Applying through the pages a resident (or an agent) uses, "My applications", and the
rules that keep one person's application and documents from another."""

import datetime
import re
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.applications.models import Application, Document, InfoRequest
from ecitizen.applications.services import application_submit, application_transition
from ecitizen.applications.tests.factories import (
    EXE_BYTES,
    PAGE_POSTS,
    PDF_BYTES,
    complete_draft,
    make_resident,
    make_service,
)
from ecitizen.audit.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
Status = Application.Status


def url(name: str, *args: Any) -> str:
    return reverse(f"applications:{name}", args=args)


def page_url(application: Application, page_id: str) -> str:
    return url("page", application.reference, page_id)


@pytest.fixture
def resident() -> Any:
    return make_resident()


@pytest.fixture
def service() -> Any:
    return make_service()


@pytest.fixture
def client_for(client: Client) -> Any:
    def sign_in(user: Any) -> Client:
        client.force_login(user)
        return client

    return sign_in


def start(client: Client, service: Any) -> Application:
    response = client.post(url("start", service.slug))
    assert response.status_code == 302
    return Application.objects.latest("pk")


def pdf(name: str = "plan.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def fill_in(client: Client, application: Application) -> None:
    for page_id, data in PAGE_POSTS.items():
        response = client.post(page_url(application, page_id), data)
        assert response.status_code == 302, response.content.decode()
    response = client.post(page_url(application, "plans"), {"drawings": pdf()})
    assert response["Location"] == url("check", application.reference)


def submit(client: Client, application: Application, key: str | None = None) -> Any:
    return client.post(
        url("submit", application.reference),
        {"declaration": "on", "idempotency_key": key or str(uuid.uuid4())},
    )


def test_the_whole_journey(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    response = client.get(url("start", service.slug))
    assert response.status_code == 200 and "Start now" in response.text
    application = start(client, service)
    # "About you" is all known from the profile: the first page asked is the site.
    assert client.post(url("start", service.slug))["Location"] == page_url(application, "site")
    site = client.get(page_url(application, "site"))
    assert 'name="parcel"' in site.text and "site_address" not in site.text
    assert "Save and come back later" in site.text
    steps = []
    for page_id, data in PAGE_POSTS.items():
        steps.append(client.post(page_url(application, page_id), data)["Location"])
    # The shop page is skipped: the use is a home.
    assert steps == [
        page_url(application, "works"),
        page_url(application, "garage"),
        page_url(application, "plans"),
    ]
    response = client.post(page_url(application, "plans"), {"drawings": pdf()})
    assert response["Location"] == url("check", application.reference)

    check = client.get(url("check", application.reference))
    assert check.status_code == 200
    assert "Amara Okafor" in check.text and "From your profile" in check.text
    assert "€1,250.50" in check.text and "plan.pdf" in check.text
    assert "Opening hours" not in check.text
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', check.text)
    assert key is not None

    response = submit(client, application, key.group(1))
    assert response["Location"] == url("confirmation", application.reference)
    confirmation = client.get(response["Location"])
    assert application.reference in confirmation.text and "Application sent" in confirmation.text
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.answers["full_name"] == "Amara Okafor"
    assert application.answers["budget"] == 125050


def test_change_links_return_to_check_answers(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    fill_in(client, application)
    check = client.get(url("check", application.reference))
    change_you = page_url(application, "you") + "?return=check"
    assert change_you in check.text
    # A pre-filled answer can be changed for this application only.
    you = client.get(change_you)
    assert 'value="Amara Okafor"' in you.text
    response = client.post(
        change_you,
        {"full_name": "Amara N. Okafor", "contact_email": resident.email, "contact_phone": ""},
    )
    assert response["Location"] == url("check", application.reference)
    assert "Amara N. Okafor" in client.get(url("check", application.reference)).text
    # A change that opens a new page asks it, then returns to check answers.
    change_works = page_url(application, "works") + "?return=check"
    response = client.post(change_works, {**PAGE_POSTS["works"], "use": "shop"})
    assert response["Location"] == page_url(application, "shop") + "?return=check"
    response = client.post(response["Location"], {"opening_hours": "9-17"})
    assert response["Location"] == url("check", application.reference)


def test_save_and_come_back_later_then_resume(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    client.post(page_url(application, "site"), PAGE_POSTS["site"])
    response = client.post(
        page_url(application, "works"),
        {**PAGE_POSTS["works"], "floor_area": "lots", "action": "save"},
    )
    assert response["Location"] == url("mine")
    mine = client.get(url("mine"))
    assert "Your answers are saved" in mine.text and application.reference in mine.text
    application.refresh_from_db()
    assert "floor_area" not in application.answers  # invalid: not kept
    assert application.answers["budget"] == 125050  # valid: kept
    # Resuming goes to the first page with a missing answer.
    assert client.get(url("resume", application.reference))["Location"] == page_url(
        application, "works"
    )
    works = client.get(page_url(application, "works"))
    assert 'value="1250.50"' in works.text


def test_errors_keep_what_was_typed_and_link_from_the_summary(
    client_for: Any, resident: Any, service: Any
) -> None:
    client = client_for(resident)
    application = start(client, service)
    response = client.post(page_url(application, "site"), {"parcel": "ab"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'href="#id_parcel"' in response.text
    assert 'value="ab"' in response.text
    assert response.text.count("“Parcel number”") >= 2  # summary and field
    assert "<title>Error:" in response.text


def test_wrong_type_and_oversized_uploads(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    wrong = client.post(page_url(application, "plans"), {"drawings": pdf("plan.pdf", EXE_BYTES)})
    assert wrong.status_code == 200
    assert "“plan.pdf” must be a PDF or PNG file." in wrong.text
    big = client.post(page_url(application, "plans"), {"drawings": pdf("big.pdf", PDF_BYTES * 40)})
    assert big.status_code == 200 and "must be smaller than 1.0" in big.text
    assert Document.objects.count() == 0


def test_tampered_input_is_refused_or_ignored(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    assert client.get(page_url(application, "no_such_page")).status_code == 404
    # A question from another page and an unknown one are ignored, never stored.
    client.post(page_url(application, "garage"), {"has_garage": "no", "floor_area": "1", "x": "1"})
    application.refresh_from_db()
    assert application.answers == {"has_garage": False}
    # A choice that is not an option is refused.
    response = client.post(page_url(application, "garage"), {"has_garage": "perhaps"})
    assert "Select one of the options" in response.text
    # A tampered idempotency key is refused: nothing is sent.
    fill_in(client, application)
    response = client.post(
        url("submit", application.reference), {"declaration": "on", "idempotency_key": "1 OR 1=1"}
    )
    assert response.status_code == 200 and "Something went wrong" in response.text
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.idempotency_key == ""
    # Without the declaration, nothing is sent either.
    response = client.post(
        url("submit", application.reference), {"idempotency_key": str(uuid.uuid4())}
    )
    assert "Confirm that the information is correct" in response.text
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_a_double_click_or_refresh_sends_once(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    fill_in(client, application)
    key = str(uuid.uuid4())
    first = submit(client, application, key)
    second = submit(client, application, key)
    third = submit(client, application)  # a refreshed page with a new key
    assert first["Location"] == second["Location"] == third["Location"]
    assert application.events.filter(kind="submitted").count() == 1
    # Going back to a page of a sent application shows the application instead.
    response = client.get(page_url(application, "site"))
    assert response["Location"] == url("detail", application.reference)


def test_check_answers_needs_every_answer(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = start(client, service)
    response = client.get(url("check", application.reference))
    assert response["Location"] == page_url(application, "site") + "?return=check"


def test_fee_on_submission_goes_to_payment(client_for: Any, resident: Any) -> None:
    service = make_service(fee={"kind": "fixed", "amount": 5000, "currency": "EUR"})
    client = client_for(resident)
    application = start(client, service)
    fill_in(client, application)
    check = client.get(url("check", application.reference))
    assert "€50.00" in check.text and "Send and continue to payment" in check.text
    response = submit(client, application)
    assert response["Location"] == reverse("payments:start", args=[application.reference])
    application.refresh_from_db()
    assert application.status == Status.AWAITING_PAYMENT


# --- my applications -------------------------------------------------------------------------


def submitted_for(resident: Any, service: Any) -> Application:
    application = complete_draft(resident, service)
    application_submit(actor=resident, application=application, idempotency_key=str(uuid.uuid4()))
    application.refresh_from_db()
    return application


def test_my_applications_query_count_is_constant(client_for: Any, resident: Any) -> None:
    client = client_for(resident)
    services = [make_service(code="BP", slug=f"s{i}") for i in range(3)]
    submitted_for(resident, services[0])
    client.get(url("mine"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(url("mine"))
    for service in services[1:]:
        submitted_for(resident, service)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url("mine"))
    assert response.text.count("Submitted") >= 3
    # The session with its person (and maybe their roles for the header), then the list.
    assert len(one) == len(three) <= 5
    tables = [re.findall(r'FROM "(\w+)"', q["sql"]) for q in one.captured_queries]
    assert 'FROM "accounts_session"' in one.captured_queries[0]["sql"]
    assert 'JOIN "accounts_user"' in one.captured_queries[0]["sql"]  # the person, same statement
    assert [t[0] for t in tables if t[0].startswith("applications_")] == [
        "applications_application",  # the count
        "applications_application",  # the page
    ]
    page_query = one.captured_queries[-1]["sql"]
    assert '"answers"' not in page_query and '"definition"' not in page_query


def test_my_applications_are_paged_most_recently_changed_first(
    client_for: Any, resident: Any
) -> None:
    service = make_service(code="BP")
    version = service.published_version
    bulk = Application.objects.bulk_create(
        Application(
            reference=f"BP-PAGE-{i:02d}",
            service_version=version,
            service=service,
            agency_id=service.agency_id,
            applicant=resident,
            status=Status.SUBMITTED,
        )
        for i in range(23)
    )
    Application.objects.filter(applicant=resident).update(
        updated_at=timezone.now() - datetime.timedelta(days=1)
    )
    # The oldest one changes now: it comes first.
    Application.objects.filter(pk=bulk[0].pk).update(updated_at=timezone.now())
    client = client_for(resident)
    first = client.get(url("mine"))
    refs = re.findall(r"BP-PAGE-\d\d", first.text)
    assert len(set(refs)) == 20 and refs[0] == "BP-PAGE-00"
    assert "Applications 1 to 20 of 23" in first.text
    assert 'aria-label="Pagination"' in first.text and 'href="?page=2"' in first.text
    second = client.get(url("mine"), {"page": 2})
    assert len(set(re.findall(r"BP-PAGE-\d\d", second.text))) == 3
    assert "Applications 21 to 23 of 23" in second.text and 'href="?page=1"' in second.text
    everything = set(re.findall(r"BP-PAGE-\d\d", first.text + second.text))
    assert everything == {f"BP-PAGE-{i:02d}" for i in range(23)}
    # Nonsense page numbers show a page, never an error.
    assert client.get(url("mine"), {"page": "999"}).status_code == 200
    assert client.get(url("mine"), {"page": "x"}).status_code == 200


def test_detail_query_count_is_constant(
    client_for: Any, resident: Any, service: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(resident)
    application = submitted_for(resident, service)
    client.get(url("detail", application.reference))
    with django_assert_num_queries(5):
        client.get(url("detail", application.reference))
    for i in range(3):
        InfoRequest.objects.create(application=application, message=f"Q{i}")
        application.events.create(kind="info_requested", message=f"Q{i}")
    with django_assert_num_queries(5):
        response = client.get(url("detail", application.reference))
    assert "Q2" in response.text


def test_detail_shows_status_next_step_timeline_and_documents(
    client_for: Any, resident: Any, service: Any
) -> None:
    client = client_for(resident)
    application = submitted_for(resident, service)
    application.events.create(kind="note", message="Officer only", internal=True)
    response = client.get(url("detail", application.reference))
    assert "Submitted" in response.text
    assert "Nothing for now" in response.text
    assert "Application started" in response.text and "Application submitted" in response.text
    assert "Officer only" not in response.text
    document = application.documents.get()
    assert url("document", application.reference, document.pk) in response.text
    assert "Withdraw this application" in response.text


def test_withdraw(client_for: Any, resident: Any, service: Any) -> None:
    client = client_for(resident)
    application = submitted_for(resident, service)
    assert client.get(url("withdraw", application.reference)).status_code == 200
    response = client.post(url("withdraw", application.reference), {"reason": "No longer needed"})
    assert response["Location"] == url("detail", application.reference)
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    detail = client.get(url("detail", application.reference))
    assert "Application withdrawn" in detail.text and "No longer needed" in detail.text


def test_answer_a_request_for_information_with_a_new_file(
    client_for: Any, resident: Any, service: Any
) -> None:
    client = client_for(resident)
    application = submitted_for(resident, service)
    assert client.get(url("respond", application.reference))["Location"] == url(
        "detail", application.reference
    )
    InfoRequest.objects.create(application=application, message="Send the roof plan")
    application_transition(
        actor=None,
        application=application,
        to_status=Status.INFO_REQUESTED,
        event="info_requested",
        message="Send the roof plan",
    )
    detail = client.get(url("detail", application.reference))
    assert "Send the roof plan" in detail.text and "Answer this request" in detail.text
    wrong = client.post(
        url("respond", application.reference),
        {"answer": "Attached", "files": pdf("roof.pdf", EXE_BYTES)},
    )
    assert wrong.status_code == 200 and "must be a PDF, PNG or JPEG file" in wrong.text
    response = client.post(
        url("respond", application.reference), {"answer": "Attached", "files": pdf("roof.pdf")}
    )
    assert response["Location"] == url("detail", application.reference)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.documents.filter(original_name="roof.pdf").exists()
    assert "You sent more information" in client.get(url("detail", application.reference)).text


# --- another person's application is not found ------------------------------------------------


def test_resident_b_gets_404_for_resident_a(client_for: Any, service: Any) -> None:
    owner = make_resident()
    draft = complete_draft(owner, make_service(code="DL"))
    application = submitted_for(owner, service)
    document = application.documents.get()
    client = client_for(UserFactory())
    for path in [
        url("detail", application.reference),
        url("confirmation", application.reference),
        url("withdraw", application.reference),
        url("respond", application.reference),
        url("document", application.reference, document.pk),
        url("resume", draft.reference),
        url("check", draft.reference),
        page_url(draft, "site"),
    ]:
        assert client.get(path).status_code == 404, path
    for path in [
        url("submit", draft.reference),
        url("withdraw", application.reference),
        page_url(draft, "site"),
    ]:
        assert client.post(path, {"declaration": "on", "parcel": "ZZ1"}).status_code == 404, path
    # A real document id under another application's reference is not found either.
    mine = submitted_for(make_resident(), make_service(code="XX"))
    client = client_for(mine.applicant)
    assert client.get(url("document", mine.reference, document.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.answers["parcel"] == "AB123"


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, service: Any) -> None:
    response = client.get(url("mine"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url("start", service.slug)).status_code == 302
    assert not Application.objects.exists()


# --- documents -------------------------------------------------------------------------------


def test_documents_download_as_attachments_to_the_owner_and_authorised_staff(
    client_for: Any, resident: Any, service: Any, make_staff: Any
) -> None:
    application = submitted_for(resident, service)
    document = application.documents.get()
    path = url("document", application.reference, document.pk)
    response = client_for(resident).get(path)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="plan.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert not PersonalDataAccess.objects.exists()

    officer = make_staff(StaffRole.Role.CASE_OFFICER, agency=application.agency)
    assert client_for(officer).get(path).status_code == 200
    access = PersonalDataAccess.objects.get()
    assert access.accessor == officer and access.subject == resident
    assert access.purpose == PersonalDataAccess.Purpose.CASE_HANDLING

    for outsider in (
        make_staff(StaffRole.Role.CASE_OFFICER),  # another agency
        make_staff(StaffRole.Role.ASSISTED_SERVICE_AGENT),  # did not help this resident
        make_staff(StaffRole.Role.CASE_OFFICER, agency=application.agency, mfa=False),
    ):
        assert client_for(outsider).get(path).status_code == 404


# --- assisted service ------------------------------------------------------------------------


def test_an_agent_applies_for_a_resident_who_is_present(
    client_for: Any, resident: Any, service: Any, make_staff: Any
) -> None:
    agent = make_staff(StaffRole.Role.ASSISTED_SERVICE_AGENT)
    client = client_for(agent)
    assert client.get(url("assist")).status_code == 200
    found = client.get(url("assist"), {"q": resident.email.upper()})
    assert "Amara Okafor" in found.text
    access = PersonalDataAccess.objects.get(subject=resident)
    assert access.purpose == PersonalDataAccess.Purpose.ASSISTED_SERVICE

    start_url = url("assist_start", resident.pk)
    assert client.get(start_url).status_code == 200
    refused = client.post(start_url, {"service": service.slug, "consent_note": "Said yes"})
    assert "You need the resident&#x27;s consent" in refused.text
    assert not Application.objects.exists()
    response = client.post(
        start_url,
        {"service": service.slug, "consent": "on", "consent_note": "Agreed verbally, ID checked"},
    )
    application = Application.objects.get()
    assert response["Location"] == page_url(application, "site")
    assert application.applicant == resident and application.assisted_by == agent
    site = client.get(page_url(application, "site"))
    assert "You are applying on behalf of Amara Okafor" in site.text
    fill_in(client, application)
    check = client.get(url("check", application.reference))
    assert "The resident has checked these answers with me" in check.text
    response = submit(client, application)
    assert response["Location"] == url("confirmation", application.reference)
    assert "sent on behalf of Amara Okafor" in client.get(response["Location"]).text

    # The resident sees who acted for them.
    timeline = client_for(resident).get(url("detail", application.reference)).text
    assert "Submitted on your behalf by an assisted-service agent" in timeline
    assert "Started on your behalf by an assisted-service agent" in timeline


def test_assisted_service_is_for_agents_only(
    client_for: Any, resident: Any, make_staff: Any
) -> None:
    assert client_for(resident).get(url("assist")).status_code == 404
    officer = make_staff(StaffRole.Role.CASE_OFFICER)
    assert client_for(officer).get(url("assist_start", resident.pk)).status_code == 404


def test_a_new_draft_starts_on_the_first_page_even_if_it_is_optional(
    client_for: Any, resident: Any
) -> None:
    import copy

    from ecitizen.applications.tests.factories import DEFINITION

    definition = copy.deepcopy(DEFINITION)
    definition["form"]["pages"].insert(
        0,
        {
            "id": "intro",
            "title": {"en": "Anything to add?"},
            "questions": [{"id": "note", "type": "text", "label": {"en": "Note"}}],
        },
    )
    client = client_for(resident)
    application = start(client, make_service(definition))
    assert client.post(url("start", application.service.slug))["Location"] == page_url(
        application, "intro"
    )
    client.post(page_url(application, "intro"), {"note": "Hello"})
    assert client.get(url("resume", application.reference))["Location"] == page_url(
        application, "site"
    )


@pytest.mark.parametrize("status", Status.values)
def test_lists_colour_status_tags_as_the_status_tag_template_does(status: str) -> None:
    from django.template.loader import render_to_string

    from ecitizen.applications.case_selectors import SlaState
    from ecitizen.applications.selectors import status_tag_class

    included = render_to_string(
        "applications/includes/status_tag.html", {"application": Application(status=status)}
    )
    assert included.startswith(f'<span class="usa-tag{status_tag_class(status)}">')
    for code in ["overdue", "due_soon", "on_track", "paused"]:
        sla = SlaState(code, "label")
        included = render_to_string("backoffice/cases/_sla_tag.html", {"sla": sla})
        assert included.startswith(f'<span class="usa-tag{sla.tag_class}">')
