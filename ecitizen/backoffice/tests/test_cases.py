"""Case work in the back office: the work queue, the case page (and the personal-data access
it records), claiming, assigning, every decision on its confirmation page with its errors,
who gets 404, internal notes that residents never see, and public holidays."""

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.applications import casework
from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.applications.tests.case_factories import (
    ISSUES,
    bulk_cases,
    pay,
    staff,
    submitted_case,
)
from ecitizen.applications.tests.factories import make_service
from ecitizen.audit.models import AuditEntry, PersonalDataAccess
from ecitizen.core.models import Holiday

pytestmark = pytest.mark.django_db
Status = Application.Status
Role = StaffRole.Role
FEE = {"kind": "fixed", "amount": 5000, "currency": "EUR"}
CASE_URLS = [
    "case_detail",
    "case_claim",
    "case_release",
    "case_assign",
    "case_note",
    "case_request_info",
    "case_approve",
    "case_reject",
    "case_send_back",
    "case_issue",
    "case_revoke",
]


def url(name: str, *args: Any) -> str:
    return reverse(f"backoffice:{name}", args=args)


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def case() -> Application:
    return submitted_case(issues=ISSUES)


@pytest.fixture
def officer(case: Application) -> Any:
    return staff(case.agency, name="Olu Officer")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_officer(officer: Any) -> Client:
    return signed_in(officer)


def test_the_staff_home_links_to_the_work_queue(as_officer: Client) -> None:
    assert url("case_queue") in html(as_officer.get(url("home")))


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_shows_the_agency_cases_with_their_time_left(
    case: Application, as_officer: Client
) -> None:
    other = submitted_case()  # another agency's
    response = as_officer.get(url("case_queue"))
    assert response.status_code == 200
    page = html(response)
    assert case.reference in page and other.reference not in page
    assert "Due in 10 working days" in page or "Due in" in page
    assert url("case_claim", case.reference) in page


def test_queue_filters_and_paging_keep_each_other(case: Application, officer: Any) -> None:
    bulk_cases(case.service, 30, assignee=officer)
    client = signed_in(officer)
    response = client.get(url("case_queue"), {"assignee": "me", "sla": "on_track"})
    page = html(response)
    assert case.reference not in page  # unassigned
    assert "30 cases" in page and "Page 1 of 2" in page
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)"', page)
    assert (
        next_link and "assignee=me" in next_link.group(1) and "sla=on_track" in next_link.group(1)
    )
    page2 = html(client.get(url("case_queue") + next_link.group(1).replace("&amp;", "&")))
    assert "Page 2 of 2" in page2
    unassigned = html(client.get(url("case_queue"), {"assignee": "none"}))
    assert case.reference in unassigned and "1 case" in unassigned


def test_a_tampered_filter_is_an_error_not_a_crash(as_officer: Client) -> None:
    response = as_officer.get(url("case_queue"), {"status": "nonsense", "service": "abc"})
    assert response.status_code == 200
    page = html(response)
    assert "There is a problem" in page and 'href="#id_status"' in page


def test_queue_queries_stay_constant_from_5_to_50_cases(django_assert_num_queries: Any) -> None:
    service = make_service()
    officer = staff(service.agency)
    client = signed_in(officer)
    client.get(url("case_queue"))  # the first request of a session also updates the session

    def queries_for(count: int) -> int:
        Application.objects.filter(agency=service.agency).delete()
        bulk_cases(service, count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("case_queue"), {"sla": "on_track", "page": "1"})
        assert response.status_code == 200
        rows = re.findall(r'href="/staff/cases/[A-Z0-9-]+/"', html(response))
        assert len(rows) == min(count, 25)
        return len(queries)

    assert queries_for(5) == queries_for(50)
    # the session with its person (second factor, unread count, staff roles), the filter's
    # services and officers with the holidays, open-case counts (the summary and this page's
    # count), page
    with django_assert_num_queries(4):
        client.get(url("case_queue"), {"sla": "on_track", "assignee": "none", "page": "2"})


# --- the case page ---------------------------------------------------------------------------


def test_the_case_page_shows_everything_and_records_one_access(
    case: Application, officer: Any, as_officer: Client
) -> None:
    casework.case_note_add(actor=officer, application=case, text="Parcel checked on the map")
    response = as_officer.get(url("case_detail", case.reference))
    assert response.status_code == 200
    page = html(response)
    for text in (
        "Parcel number",  # question labels from the version's definition
        "AB123",
        "Drawings",
        reverse("applications:document", args=[case.reference, case.documents.get().pk]),
        "Amara Okafor",  # the resident's contact details
        "+33 6 12 34 56 78",
        "1 River Street",
        "Parcel checked on the map",  # internal note
        "Internal note added",  # internal event in the timeline
    ):
        assert text in page, text
    accesses = PersonalDataAccess.objects.filter(subject=case.applicant)
    assert accesses.count() == 1
    access = accesses.get()
    assert access.accessor == officer and access.purpose == "case_handling"
    assert case.reference in access.what
    as_officer.get(url("case_detail", case.reference))
    assert accesses.count() == 2  # once per opening


def test_the_case_page_lists_payments_with_a_refund_link() -> None:
    case = submitted_case(fee=FEE, fee_timing="on_submit")
    payment = pay(case)
    client = signed_in(staff(case.agency))
    page = html(client.get(url("case_detail", case.reference)))
    assert payment.reference in page and url("payment_refund", payment.reference) in page


@pytest.mark.parametrize("name", CASE_URLS)
def test_staff_of_another_agency_get_404_everywhere(case: Application, name: str) -> None:
    client = signed_in(staff(AgencyFactory()))
    assert client.get(url(name, case.reference)).status_code == 404
    assert client.post(url(name, case.reference), {"reason": "x", "text": "x"}).status_code == 404
    assert not PersonalDataAccess.objects.exists()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.assignee_id is None


def test_drafts_are_not_cases(officer: Any, as_officer: Client) -> None:
    draft = bulk_cases(make_service(), 1, status=Status.DRAFT)[0]
    Application.objects.filter(pk=draft.pk).update(agency=officer.staff_roles.get().agency)
    assert as_officer.get(url("case_detail", draft.reference)).status_code == 404


# --- claiming and assigning ------------------------------------------------------------------


def test_claiming_from_the_queue_and_losing_a_claim(
    case: Application, officer: Any, as_officer: Client
) -> None:
    response = as_officer.post(url("case_claim", case.reference), {"next": "/staff/cases/?x=1"})
    assert response.status_code == 302 and response["Location"] == url(
        "case_detail", case.reference
    )
    case.refresh_from_db()
    assert case.assignee == officer
    colleague = signed_in(staff(case.agency))
    queue = url("case_queue") + "?assignee=none"
    response = colleague.post(url("case_claim", case.reference), {"next": queue}, follow=True)
    assert response.redirect_chain[-1][0] == queue
    assert "already been claimed by Olu Officer" in html(response)
    evil = colleague.post(url("case_claim", case.reference), {"next": "https://evil.example/"})
    assert evil["Location"] == url("case_queue")
    assert as_officer.get(url("case_claim", case.reference)).status_code == 405


def test_an_agency_admin_assigns_and_an_officer_releases(
    case: Application, officer: Any, as_officer: Client
) -> None:
    assert as_officer.get(url("case_assign", case.reference)).status_code == 404
    admin = signed_in(staff(case.agency, Role.AGENCY_ADMIN))
    page = html(admin.get(url("case_assign", case.reference)))
    assert "Olu Officer" in page
    response = admin.post(url("case_assign", case.reference), {"assignee": "999999"})
    assert "There is a problem" in html(response)
    response = admin.post(url("case_assign", case.reference), {"assignee": str(officer.pk)})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == officer
    as_officer.post(url("case_release", case.reference))
    case.refresh_from_db()
    assert case.assignee is None


# --- decisions -------------------------------------------------------------------------------


def test_request_information_then_the_resident_answers(
    case: Application, officer: Any, as_officer: Client
) -> None:
    casework.case_claim(actor=officer, application=case)
    form_url = url("case_request_info", case.reference)
    page = html(as_officer.get(form_url))
    assert "The resident reads this message" in page
    response = as_officer.post(form_url, {"message": ""})
    page = html(response)
    assert "There is a problem" in page and 'href="#id_message"' in page
    assert "Enter what you need from the resident." in page
    too_long = "Send the plan. " * 200
    page = html(as_officer.post(form_url, {"message": too_long}))
    assert "2000 characters or fewer" in page and "Send the plan. Send the plan." in page
    response = as_officer.post(form_url, {"message": "Send the site plan, please"})
    assert response["Location"] == url("case_detail", case.reference)
    case.refresh_from_db()
    assert case.status == Status.INFO_REQUESTED and case.clock_paused_at is not None
    # The resident reads the message and answers through their own pages.
    resident = signed_in(case.applicant)
    detail = html(resident.get(reverse("applications:detail", args=[case.reference])))
    assert "Send the site plan, please" in detail
    resident.post(reverse("applications:respond", args=[case.reference]), {"answer": "Here"})
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.clock_paused_at is None


def test_reject_needs_a_reason_which_the_resident_reads(
    case: Application, officer: Any, as_officer: Client
) -> None:
    form_url = url("case_reject", case.reference)
    # Not claimed yet: the page is not offered.
    assert as_officer.get(form_url)["Location"] == url("case_detail", case.reference)
    casework.case_claim(actor=officer, application=case)
    page = html(as_officer.post(form_url, {"reason": "   "}))
    assert "Enter the reason for rejecting the application." in page
    assert as_officer.post(form_url, {"reason": "Outside the zone"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REJECTED
    resident = signed_in(case.applicant)
    detail = html(resident.get(reverse("applications:detail", args=[case.reference])))
    assert "Outside the zone" in detail


def test_a_second_officer_approves_through_the_pages() -> None:
    case = submitted_case(workflow={"second_approval": True})
    first, second = staff(case.agency, name="First"), staff(case.agency, name="Second")
    casework.case_claim(actor=first, application=case)
    as_first = signed_in(first)
    page = html(as_first.get(url("case_approve", case.reference)))
    assert "another officer must check your decision" in page
    as_first.post(url("case_approve", case.reference), {"reason": ""})
    case.refresh_from_db()
    assert case.status == Status.AWAITING_SECOND_APPROVAL
    detail = html(as_first.get(url("case_detail", case.reference)))
    assert "a different officer must now check it" in detail
    # The page is not offered to the first officer, and posting anyway is refused.
    assert as_first.get(url("case_approve", case.reference)).status_code == 302
    page = html(as_first.post(url("case_approve", case.reference), {"reason": ""}))
    assert "There is a problem" in page and "different officer" in page
    as_second = signed_in(second)
    assert "waits for a second approval" in html(as_second.get(url("case_detail", case.reference)))
    as_second.post(url("case_approve", case.reference), {"reason": "Checked"})
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.decision_reason == "Checked"


def test_approve_issue_and_revoke_through_the_pages(
    case: Application, officer: Any, as_officer: Client
) -> None:
    casework.case_claim(actor=officer, application=case)
    as_officer.post(url("case_approve", case.reference), {"reason": ""})
    assert html(as_officer.get(url("case_issue", case.reference))).count("Issue the permit") >= 1
    assert as_officer.post(url("case_issue", case.reference)).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ISSUED
    page = html(as_officer.post(url("case_revoke", case.reference), {"reason": ""}))
    assert "Enter the reason for revoking the permit." in page
    as_officer.post(url("case_revoke", case.reference), {"reason": "Built too high"})
    permit = IssuedPermit.objects.get(application=case)
    assert permit.status == IssuedPermit.Status.REVOKED
    verify = Client().get(reverse("permit_verify", args=[permit.number]))
    assert "Revoked" in html(verify)
    resident = signed_in(case.applicant)
    assert "Built too high" in html(
        resident.get(reverse("applications:detail", args=[case.reference]))
    )


# --- what residents never see ---------------------------------------------------------------


def test_internal_notes_and_internal_events_never_reach_the_resident() -> None:
    case = submitted_case(workflow={"second_approval": True})
    first, second = staff(case.agency, name="Fiona First"), staff(case.agency)
    admin = staff(case.agency, Role.AGENCY_ADMIN)
    as_first = signed_in(first)
    as_first.post(url("case_claim", case.reference))
    as_first.post(url("case_note", case.reference), {"text": "SECRET-NOTE-7 neighbour complained"})
    casework.case_assign(actor=admin, application=case, assignee=second)
    casework.case_assign(actor=admin, application=case, assignee=first)
    casework.case_approve(actor=first, application=case)
    casework.case_return(actor=second, application=case, reason="SECRET-RETURN-9 recheck")
    case.refresh_from_db()
    assert case.notes.count() == 1 and case.events.filter(internal=True).count() >= 3
    resident = signed_in(case.applicant)
    pages = [
        html(resident.get(reverse("applications:detail", args=[case.reference]))),
        html(resident.get(reverse("applications:mine"))),
    ]
    for page in pages:
        for secret in ("SECRET-NOTE-7", "SECRET-RETURN-9", "Fiona First", "Internal note"):
            assert secret not in page, secret
    assert "A case officer is working on your application" in pages[0]


# --- notes -----------------------------------------------------------------------------------


def test_adding_a_note_keeps_the_text_on_error(case: Application, as_officer: Client) -> None:
    page = html(as_officer.post(url("case_note", case.reference), {"text": "x" * 5001}))
    assert "There is a problem" in page and "x" * 100 in page
    response = as_officer.post(url("case_note", case.reference), {"text": "Called the resident"})
    assert response["Location"] == url("case_detail", case.reference) + "#notes"
    assert AuditEntry.objects.filter(action="applications.case.note_added").count() == 1


# --- public holidays -------------------------------------------------------------------------


def test_platform_admins_edit_public_holidays(as_officer: Client) -> None:
    assert as_officer.get(url("case_holidays")).status_code == 404
    client = signed_in(staff(None, Role.PLATFORM_ADMIN))
    day = timezone.localdate() + datetime.timedelta(days=40)
    response = client.post(url("case_holidays"), {"date": day.isoformat(), "name": "Harvest"})
    assert response.status_code == 302
    assert Holiday.objects.get().name == "Harvest"
    page = html(client.post(url("case_holidays"), {"date": day.isoformat(), "name": "Again"}))
    assert "There is a problem" in page and 'value="Again"' in page
    page = html(client.post(url("case_holidays"), {"date": "31/31/2031", "name": ""}))
    assert "Enter a real date" in page and "Enter the name of the holiday." in page
    holiday = Holiday.objects.get()
    assert client.get(url("case_holiday_delete", holiday.pk)).status_code == 405
    client.post(url("case_holiday_delete", holiday.pk))
    assert not Holiday.objects.exists()
    assert AuditEntry.objects.filter(action__startswith="core.holiday.").count() == 2
