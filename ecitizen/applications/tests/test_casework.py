"""Staff case work services and selectors: claiming (also two officers at the same moment,
with real threads), assigning, notes, every decision and who may make it, the second
approval, refunds on rejection, the SLA clock (paused and resumed, working days, holidays)
and the work queue (filters, SLA buckets, a constant number of queries)."""

import datetime
import threading
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.services import staff_role_grant
from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.applications import casework
from ecitizen.applications.case_selectors import (
    QueueFilters,
    case_actions,
    case_detail,
    case_queue,
    queue_choices,
    sla_state,
)
from ecitizen.applications.casework import CaseAlreadyClaimed, CaseError
from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.applications.permits import permit_state
from ecitizen.applications.services import application_info_respond
from ecitizen.applications.tests.case_factories import (
    ISSUES,
    bulk_cases,
    pay,
    service_of,
    staff,
    submitted_case,
)
from ecitizen.applications.tests.factories import make_service
from ecitizen.audit.models import AuditEntry
from ecitizen.audit.services import audit_chain_verify
from ecitizen.catalogue.models import Service
from ecitizen.core.models import Holiday
from ecitizen.core.services import holiday_delete, holiday_save
from ecitizen.core.workdays import add_working_days, is_working_day, public_holidays
from ecitizen.payments.models import LedgerEntry, Payment

pytestmark = pytest.mark.django_db
Status = Application.Status
Role = StaffRole.Role
FEE = {"kind": "fixed", "amount": 5000, "currency": "EUR"}


def kinds(application: Application, internal: bool | None = None) -> list[str]:
    events = application.events.all()
    if internal is not None:
        events = events.filter(internal=internal)
    return list(events.values_list("kind", flat=True))


def actions(action: str) -> list[str]:
    return list(AuditEntry.objects.filter(action=action).values_list("object_id", flat=True))


@pytest.fixture
def case() -> Application:
    return submitted_case()


@pytest.fixture
def officer(case: Application) -> Any:
    return staff(case.agency, name="Olu Officer")


@pytest.fixture
def claimed(case: Application, officer: Any) -> Application:
    casework.case_claim(actor=officer, application=case)
    return case


# --- claiming and assigning ------------------------------------------------------------------


def test_claim_takes_an_unassigned_case_once(case: Application, officer: Any) -> None:
    casework.case_claim(actor=officer, application=case)
    assert case.assignee_id == officer.pk
    case.refresh_from_db()
    assert case.assignee_id == officer.pk
    # The resident learns that someone works on it; who it is stays internal.
    event = case.events.get(kind="assigned")
    assert not event.internal and event.message == ""
    assert actions("applications.case.claimed") == [str(case.pk)]
    casework.case_claim(actor=officer, application=case)  # again: nothing changes
    assert actions("applications.case.claimed") == [str(case.pk)]


def test_a_second_claim_is_told_who_has_the_case(claimed: Application) -> None:
    colleague = staff(claimed.agency)
    with pytest.raises(CaseAlreadyClaimed) as error:
        casework.case_claim(actor=colleague, application=claimed)
    assert "Olu Officer" in error.value.message
    claimed.refresh_from_db()
    assert claimed.assignee.profile.legal_name == "Olu Officer"


def test_closed_cases_cannot_be_claimed(case: Application, officer: Any) -> None:
    Application.objects.filter(pk=case.pk).update(status=Status.REJECTED)
    with pytest.raises(CaseError, match="closed"):
        casework.case_claim(actor=officer, application=case)


def test_release_and_assign(claimed: Application, officer: Any) -> None:
    colleague = staff(claimed.agency, name="Cleo Colleague")
    admin = staff(claimed.agency, Role.AGENCY_ADMIN)
    with pytest.raises(CaseError):
        casework.case_release(actor=colleague, application=claimed)
    with pytest.raises(PermissionDenied):  # only agency admins assign
        casework.case_assign(actor=officer, application=claimed, assignee=colleague)
    casework.case_assign(actor=admin, application=claimed, assignee=colleague)
    claimed.refresh_from_db()
    assert claimed.assignee_id == colleague.pk
    reassigned = claimed.events.get(kind="reassigned")
    assert reassigned.internal and reassigned.data["assignee_name"] == "Cleo Colleague"
    casework.case_release(actor=colleague, application=claimed)
    claimed.refresh_from_db()
    assert claimed.assignee_id is None
    assert claimed.events.get(kind="released").internal
    assert actions("applications.case.released") == [str(claimed.pk)]


def test_cases_go_only_to_staff_of_the_agency(case: Application) -> None:
    admin = staff(case.agency, Role.AGENCY_ADMIN)
    outsider = staff(AgencyFactory())
    with pytest.raises(CaseError) as error:
        casework.case_assign(actor=admin, application=case, assignee=outsider)
    assert error.value.field == "assignee"
    with pytest.raises(CaseError):  # nobody handles their own application
        casework.case_assign(actor=admin, application=case, assignee=case.applicant)


def test_staff_of_another_agency_are_refused_everywhere(case: Application) -> None:
    outsider = staff(AgencyFactory())
    outsider_admin = staff(AgencyFactory(), Role.AGENCY_ADMIN)
    calls = [
        lambda actor: casework.case_claim(actor=actor, application=case),
        lambda actor: casework.case_release(actor=actor, application=case),
        lambda actor: casework.case_assign(actor=actor, application=case, assignee=actor),
        lambda actor: casework.case_note_add(actor=actor, application=case, text="x"),
        lambda actor: casework.case_request_info(actor=actor, application=case, message="x"),
        lambda actor: casework.case_approve(actor=actor, application=case),
        lambda actor: casework.case_reject(actor=actor, application=case, reason="x"),
        lambda actor: casework.case_return(actor=actor, application=case, reason="x"),
        lambda actor: casework.case_issue(actor=actor, application=case),
        lambda actor: casework.case_revoke(actor=actor, application=case, reason="x"),
    ]
    for call in calls:
        for actor in (outsider, outsider_admin, case.applicant):
            with pytest.raises(PermissionDenied):
                call(actor)
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.assignee_id is None


def test_staff_cannot_work_on_their_own_application() -> None:
    own = submitted_case()
    officer = own.applicant  # a resident who also works for the agency
    staff_role_grant(actor=None, user=officer, role=Role.CASE_OFFICER, agency=own.agency)
    with pytest.raises(CaseError, match="own application"):
        casework.case_claim(actor=officer, application=own)
    assert case_actions(officer, own) == type(case_actions(officer, own))()


# --- two officers claim at the same moment ---------------------------------------------------


def run_in_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except Exception as exc:  # checked below
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
def test_two_officers_claiming_at_once_exactly_one_wins() -> None:
    case = submitted_case()
    officers = [staff(case.agency, name="First Officer"), staff(case.agency, name="Second")]

    def claim(index: int, barrier: threading.Barrier) -> int:
        application = Application.objects.get(pk=case.pk)
        barrier.wait()
        casework.case_claim(actor=officers[index], application=application)
        return officers[index].pk

    results = run_in_parallel(2, claim)
    winners = [result for result in results if isinstance(result, int)]
    losers = [result for result in results if isinstance(result, CaseAlreadyClaimed)]
    assert len(winners) == 1 and len(losers) == 1, results
    case.refresh_from_db()
    assert case.assignee_id == winners[0]
    winner = officers[0] if winners[0] == officers[0].pk else officers[1]
    assert losers[0].assignee.pk == winner.pk
    assert winner.profile.legal_name in losers[0].message
    assert case.events.filter(kind__in=["assigned", "reassigned"]).count() == 1
    assert AuditEntry.objects.filter(action="applications.case.claimed").count() == 1
    assert audit_chain_verify() is None


# --- notes -----------------------------------------------------------------------------------


def test_notes_are_internal(case: Application, officer: Any) -> None:
    with pytest.raises(CaseError) as error:
        casework.case_note_add(actor=officer, application=case, text="   ")
    assert error.value.field == "text"
    note = casework.case_note_add(actor=officer, application=case, text="Check the parcel")
    assert note.author == officer and case.notes.get().text == "Check the parcel"
    event = case.events.get(kind="note_added")
    assert event.internal and "parcel" not in event.message
    assert actions("applications.case.note_added") == [str(case.pk)]


# --- request for information and the SLA clock -----------------------------------------------


def test_deciding_needs_the_case_claimed(case: Application, officer: Any) -> None:
    with pytest.raises(CaseError, match="Claim"):
        casework.case_request_info(actor=officer, application=case, message="Send the plan")
    colleague = staff(case.agency)
    casework.case_claim(actor=colleague, application=case)
    with pytest.raises(CaseError, match="assigned to"):
        casework.case_approve(actor=officer, application=case)
    admin = staff(case.agency, Role.AGENCY_ADMIN)  # admins may decide any case
    casework.case_request_info(actor=admin, application=case, message="Send the plan")
    case.refresh_from_db()
    assert case.status == Status.INFO_REQUESTED


def test_request_info_pauses_the_clock_and_the_answer_moves_the_due_date(
    claimed: Application, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(CaseError) as error:
        casework.case_request_info(actor=officer, application=claimed, message="")
    assert error.value.field == "message"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = casework.case_request_info(
            actor=officer, application=claimed, message="Send the site plan"
        )
    claimed.refresh_from_db()
    assert claimed.status == Status.INFO_REQUESTED and claimed.clock_paused_at is not None
    assert request.message == "Send the site plan" and request.requested_by == officer
    event = claimed.events.get(kind="info_requested")
    assert not event.internal and event.message == "Send the site plan"
    assert AuditEntry.objects.filter(action="applications.application.info_requested").exists()
    assert len(mail.outbox) == 1 and claimed.reference in mail.outbox[0].subject
    assert "Send the site plan" not in mail.outbox[0].body  # read after signing in
    assert sla_state(claimed, timezone.localdate(), set()).code == "paused"

    # Two calendar weeks pass with a public holiday on a weekday among them.
    paused_on = timezone.localdate() - datetime.timedelta(days=14)
    holiday = paused_on + datetime.timedelta(days=1)
    while not is_working_day(holiday, set()):
        holiday += datetime.timedelta(days=1)
    holiday_save(actor=None, date=holiday, name="Founders' day")
    Application.objects.filter(pk=claimed.pk).update(
        clock_paused_at=timezone.now() - datetime.timedelta(days=14)
    )
    claimed.refresh_from_db()
    due_before = claimed.due_date
    application_info_respond(actor=claimed.applicant, application=claimed, answer="Attached")
    claimed.refresh_from_db()
    weekdays = sum(
        is_working_day(paused_on + datetime.timedelta(days=n), set()) for n in range(1, 15)
    )
    assert weekdays == 10
    assert claimed.status == Status.SUBMITTED and claimed.clock_paused_at is None
    assert claimed.due_date == add_working_days(due_before, weekdays - 1, {holiday})


# --- approval --------------------------------------------------------------------------------


def test_approve_in_one_step(
    claimed: Application, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        casework.case_approve(actor=officer, application=claimed, reason="All in order")
    claimed.refresh_from_db()
    assert claimed.status == Status.APPROVED and claimed.decided_at is not None
    assert claimed.decision_reason == "All in order"
    assert claimed.events.get(kind="approved").message == "All in order"
    assert actions("applications.application.approved") == [str(claimed.pk)]
    assert len(mail.outbox) == 1 and "approved" in mail.outbox[0].subject
    with pytest.raises(CaseError):
        casework.case_approve(actor=officer, application=claimed)


def test_a_second_officer_approves_when_the_service_requires_it() -> None:
    case = submitted_case(workflow={"second_approval": True})
    first = staff(case.agency, name="First Officer")
    second = staff(case.agency, name="Second Officer")
    casework.case_claim(actor=first, application=case)
    casework.case_approve(actor=first, application=case, reason="Meets the rules")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_SECOND_APPROVAL
    assert case.first_approver_id == first.pk and case.decided_at is None
    assert case.events.get(kind="second_approval_requested").message == ""
    # The same officer cannot give both approvals, nor decide otherwise alone.
    for attempt in (
        lambda: casework.case_approve(actor=first, application=case),
        lambda: casework.case_reject(actor=first, application=case, reason="Changed my mind"),
        lambda: casework.case_return(actor=first, application=case, reason="Oops"),
    ):
        with pytest.raises(CaseError, match="different officer"):
            attempt()
    assert case_actions(first, case).waiting_for_other
    assert case_actions(second, case).second_approval
    casework.case_approve(actor=second, application=case)
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.decided_at is not None
    assert case.decision_reason == "Meets the rules"  # the first officer's, shown now
    approved = case.events.get(kind="approved")
    assert approved.actor == second and approved.data["second_approver"] == second.pk


def test_the_second_officer_can_send_the_decision_back() -> None:
    case = submitted_case(workflow={"second_approval": True})
    first, second = staff(case.agency), staff(case.agency)
    casework.case_claim(actor=first, application=case)
    casework.case_approve(actor=first, application=case, reason="Fine")
    with pytest.raises(CaseError) as error:
        casework.case_return(actor=second, application=case, reason=" ")
    assert error.value.field == "reason"
    casework.case_return(actor=second, application=case, reason="Check the parcel first")
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.first_approver_id is None and case.decision_reason == ""
    returned = case.events.get(kind="returned")
    assert returned.internal and returned.message == "Check the parcel first"
    # Now the first officer may approve again; this time a second officer is needed again.
    casework.case_approve(actor=first, application=case)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_SECOND_APPROVAL


def test_a_fee_due_on_approval_is_charged_then_paid_before_issuing() -> None:
    case = submitted_case(fee=FEE, fee_timing="on_approval", issues=ISSUES)
    assert case.status == Status.SUBMITTED and case.fee_amount == 5000
    officer = staff(case.agency)
    casework.case_claim(actor=officer, application=case)
    casework.case_approve(actor=officer, application=case)
    charge = LedgerEntry.objects.get(application=case, kind=LedgerEntry.Kind.CHARGE)
    assert charge.amount == 5000
    with pytest.raises(CaseError, match="fee"):
        casework.case_issue(actor=officer, application=case)
    pay(case)
    permit = casework.case_issue(actor=officer, application=case)
    case.refresh_from_db()
    assert case.status == Status.ISSUED and permit.application_id == case.pk


def test_the_resident_is_asked_to_pay_a_fee_due_on_approval(client: Any) -> None:
    case = submitted_case(fee=FEE, fee_timing="on_approval", issues=ISSUES)
    officer = staff(case.agency)
    casework.case_claim(actor=officer, application=case)
    casework.case_approve(actor=officer, application=case)
    client.force_login(case.applicant)
    page = client.get(f"/applications/{case.reference}/").content.decode()
    assert f"/payments/start/{case.reference}/" in page
    assert "Pay the fee so that we can issue your permit." in page
    pay(case)
    page = client.get(f"/applications/{case.reference}/").content.decode()
    assert f"/payments/start/{case.reference}/" not in page


# --- rejection -------------------------------------------------------------------------------


def test_reject_needs_a_reason_shown_to_the_resident(
    claimed: Application, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(CaseError) as error:
        casework.case_reject(actor=officer, application=claimed, reason="  ")
    assert error.value.field == "reason"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        casework.case_reject(actor=officer, application=claimed, reason="Outside the zone")
    claimed.refresh_from_db()
    assert claimed.status == Status.REJECTED and claimed.decision_reason == "Outside the zone"
    event = claimed.events.get(kind="rejected")
    assert not event.internal and event.message == "Outside the zone"
    assert actions("applications.application.rejected") == [str(claimed.pk)]
    assert len(mail.outbox) == 1 and "Outside the zone" not in mail.outbox[0].body
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).exists()


@pytest.mark.parametrize("refund", [True, False])
def test_rejection_refunds_when_the_service_says_so(refund: bool) -> None:
    application = submitted_case(
        fee=FEE, fee_timing="on_submit", workflow={"refund_on_rejection": refund}
    )
    assert application.status == Status.AWAITING_PAYMENT
    payment = pay(application)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    officer = staff(application.agency)
    casework.case_claim(actor=officer, application=application)
    casework.case_reject(actor=officer, application=application, reason="Not eligible")
    payment.refresh_from_db()
    refunds = LedgerEntry.objects.filter(application=application, kind=LedgerEntry.Kind.REFUND)
    if refund:
        assert payment.status == Payment.Status.REFUNDED
        assert [entry.amount for entry in refunds] == [5000]
        assert application.events.get(kind="refunded").data["amount"] == 5000
    else:
        assert payment.status == Payment.Status.SUCCEEDED and not refunds.exists()
        assert not application.events.filter(kind="refunded").exists()


# --- issue and revoke ------------------------------------------------------------------------


def test_issue_then_revoke_with_a_reason(django_capture_on_commit_callbacks: Any) -> None:
    case = submitted_case(issues=ISSUES)
    officer = staff(case.agency)
    casework.case_claim(actor=officer, application=case)
    with pytest.raises(CaseError):  # not approved yet
        casework.case_issue(actor=officer, application=case)
    casework.case_approve(actor=officer, application=case)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        permit = casework.case_issue(actor=officer, application=case)
    assert case.status == Status.ISSUED and permit.status == IssuedPermit.Status.VALID
    assert "is ready" in mail.outbox[-1].subject
    assert AuditEntry.objects.filter(action="applications.permit.issued").count() == 1
    colleague = staff(case.agency)  # any officer of the agency may revoke
    with pytest.raises(CaseError) as error:
        casework.case_revoke(actor=colleague, application=case, reason="")
    assert error.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        casework.case_revoke(actor=colleague, application=case, reason="Built too high")
    permit.refresh_from_db()
    case.refresh_from_db()
    assert case.status == Status.REVOKED and case.decision_reason == "Built too high"
    assert permit.status == IssuedPermit.Status.REVOKED
    assert permit_state(permit).state == "revoked"
    assert case.events.get(kind="revoked").message == "Built too high"
    assert "revoked" in mail.outbox[-1].subject
    with pytest.raises(CaseError):
        casework.case_revoke(actor=colleague, application=case, reason="Again")


def test_a_service_without_a_permit_stops_at_approved(claimed: Application, officer: Any) -> None:
    casework.case_approve(actor=officer, application=claimed)
    assert not case_actions(officer, claimed).issue
    with pytest.raises(CaseError, match="does not issue"):
        casework.case_issue(actor=officer, application=claimed)


# --- SLA and the queue -----------------------------------------------------------------------

WEDNESDAY = datetime.date(2031, 1, 8)
THURSDAY = WEDNESDAY + datetime.timedelta(days=1)
FRIDAY = WEDNESDAY + datetime.timedelta(days=2)
MONDAY = WEDNESDAY + datetime.timedelta(days=5)
TUESDAY = WEDNESDAY + datetime.timedelta(days=6)


def test_sla_state_in_working_days_with_holidays() -> None:
    assert WEDNESDAY.weekday() == 2
    case = Application(status=Status.SUBMITTED)
    holidays = {THURSDAY}

    def state(due: datetime.date, off: set[datetime.date] = holidays) -> tuple[str, str]:
        case.due_date = due
        result = sla_state(case, WEDNESDAY, off)
        return result.code, result.label

    assert state(WEDNESDAY) == ("due_soon", "Due today")
    assert state(FRIDAY) == ("due_soon", "Due in 1 working day")
    assert state(MONDAY) == ("due_soon", "Due in 2 working days")  # Thursday is a holiday
    assert state(MONDAY, set()) == ("on_track", "Due in 3 working days")
    assert state(TUESDAY) == ("on_track", "Due in 3 working days")
    assert state(WEDNESDAY - datetime.timedelta(days=1)) == ("overdue", "Overdue by 1 working day")
    assert state(WEDNESDAY - datetime.timedelta(days=5)) == ("overdue", "Overdue by 3 working days")
    case.clock_paused_at = timezone.now()
    assert state(WEDNESDAY)[0] == "paused"
    case.status = Status.APPROVED
    assert state(WEDNESDAY) == ("", "")


def queue_refs(user: Any, agency: Any, **filters: Any) -> list[str]:
    result = case_queue(user=user, agency=agency, filters=QueueFilters(**filters), today=WEDNESDAY)
    return [row.case.reference for row in result.rows]


def test_queue_filters_and_sla_buckets() -> None:
    service = make_service()
    agency = service.agency
    other_service = service_of(agency, code="TR", title="Tree felling")
    me, colleague = staff(agency), staff(agency)
    Holiday.objects.create(date=THURSDAY, name="Holiday")
    overdue = bulk_cases(service, 1, due=WEDNESDAY - datetime.timedelta(days=1))[0]
    soon = bulk_cases(service, 1, due=MONDAY, assignee=me)[0]  # 2 working days (holiday)
    track = bulk_cases(other_service, 1, due=TUESDAY, assignee=colleague)[0]
    paused = bulk_cases(
        service, 1, due=WEDNESDAY, status=Status.INFO_REQUESTED, clock_paused_at=timezone.now()
    )[0]
    done = bulk_cases(service, 1, due=WEDNESDAY, status=Status.REJECTED)[0]
    bulk_cases(service, 1, status=Status.DRAFT)  # not a case
    bulk_cases(make_service(code="XX"), 2)  # another agency's

    assert queue_refs(me, agency) == [
        overdue.reference,
        paused.reference,
        soon.reference,
        track.reference,
    ]
    assert queue_refs(me, agency, sla="overdue") == [overdue.reference]
    assert queue_refs(me, agency, sla="due_soon") == [soon.reference]
    assert queue_refs(me, agency, sla="on_track") == [track.reference]
    assert queue_refs(me, agency, sla="paused") == [paused.reference]
    assert queue_refs(me, agency, assignee="me") == [soon.reference]
    assert queue_refs(me, agency, assignee="none") == [overdue.reference, paused.reference]
    assert queue_refs(me, agency, assignee=str(colleague.pk)) == [track.reference]
    assert queue_refs(me, agency, service=other_service.pk) == [track.reference]
    assert queue_refs(me, agency, status=Status.REJECTED) == [done.reference]
    assert queue_refs(me, agency, status=Status.INFO_REQUESTED) == [paused.reference]
    assert len(queue_refs(me, agency, status="all")) == 5
    result = case_queue(user=me, agency=agency, filters=QueueFilters(), today=WEDNESDAY)
    assert (result.summary.open, result.summary.overdue, result.summary.due_soon) == (4, 1, 1)
    assert result.summary.unassigned == 2
    assert [row.sla.code for row in result.rows] == ["overdue", "paused", "due_soon", "on_track"]


def test_the_queue_is_only_for_staff_of_the_agency() -> None:
    service = make_service()
    with pytest.raises(Http404):
        case_queue(user=staff(AgencyFactory()), agency=service.agency, filters=QueueFilters())
    admin = staff(None, Role.PLATFORM_ADMIN)
    assert case_queue(user=admin, agency=service.agency, filters=QueueFilters()).rows == []


def test_queue_queries_do_not_grow_with_the_number_of_cases(
    django_assert_num_queries: Any,
) -> None:
    service = make_service()
    officer = staff(service.agency)
    public_holidays()  # nothing cached: counted the same way each time

    def count(cases: int) -> int:
        Application.objects.filter(agency=service.agency).delete()
        bulk_cases(service, cases, assignee=officer)
        officer._staff_roles_cache = None  # type: ignore[attr-defined]
        with CaptureQueriesContext(connection) as queries:
            result = case_queue(
                user=officer, agency=service.agency, filters=QueueFilters(assignee="me")
            )
            assert len(result.rows) == min(cases, 25)
        return len(queries)

    assert count(5) == count(50)
    officer._staff_roles_cache = None  # type: ignore[attr-defined]
    # roles, holidays, open-case counts (the summary and this page's count), page
    with django_assert_num_queries(4):
        case_queue(user=officer, agency=service.agency, filters=QueueFilters(sla="on_track"))


def test_case_detail_is_scoped_and_loads_in_fixed_queries(
    claimed: Application, officer: Any
) -> None:
    with pytest.raises(Http404):
        case_detail(user=staff(AgencyFactory()), reference=claimed.reference)
    casework.case_note_add(actor=officer, application=claimed, text="Looks fine")
    detail = case_detail(user=officer, reference=claimed.reference)
    assert [row.label for row in detail.sections[0].rows][:2] == ["Full name", "Email"]
    assert [note.text for note in detail.notes] == ["Looks fine"]
    assert "Internal note added" in [entry.label for entry in detail.timeline]
    assert detail.documents[0].question == "Drawings"


# --- holidays --------------------------------------------------------------------------------


def test_holidays_are_edited_by_platform_admins_only() -> None:
    admin = staff(None, Role.PLATFORM_ADMIN)
    officer = staff(AgencyFactory())
    with pytest.raises(PermissionDenied):
        holiday_save(actor=officer, date=WEDNESDAY, name="Nope")
    holiday = holiday_save(actor=admin, date=WEDNESDAY, name=" New year ")
    assert holiday.name == "New year" and public_holidays() == {WEDNESDAY}
    assert AuditEntry.objects.filter(action="core.holiday.created").count() == 1
    with pytest.raises(ValidationError) as error:
        holiday_save(actor=admin, date=WEDNESDAY, name="Twice")
    assert "date" in error.value.error_dict
    with pytest.raises(PermissionDenied):
        holiday_delete(actor=officer, holiday=holiday)
    holiday_delete(actor=admin, holiday=holiday)
    assert public_holidays() == set()
    assert AuditEntry.objects.filter(action="core.holiday.deleted").count() == 1


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_decides_through_case_work() -> None:
    from ecitizen.applications import demo
    from ecitizen.catalogue import demo as catalogue_demo
    from ecitizen.core import demo as core_demo

    core_demo.seed_reference_data()
    core_demo.seed_accounts()
    catalogue_demo.seed()
    demo.seed()
    waiting = Application.objects.get(status=Status.AWAITING_SECOND_APPROVAL)
    assert waiting.first_approver.email == "officer@demo.ecitizen.example"
    decided = Application.objects.filter(
        status__in=[Status.INFO_REQUESTED, Status.APPROVED, Status.REJECTED, Status.ISSUED]
    )
    assert decided.count() == 4 and all(app.assignee_id for app in decided)
    assert AuditEntry.objects.filter(action="applications.case.claimed").count() == 6
    approved = Application.objects.get(status=Status.APPROVED)  # its fee is due on approval
    assert approved.fee_amount and LedgerEntry.objects.filter(application=approved).exists()
    rejected = Application.objects.get(status=Status.REJECTED)  # refunded automatically
    assert rejected.events.filter(kind="refunded").exists()


def test_the_queue_choices_are_the_agencys_services_and_officers_and_the_holidays() -> None:
    """What the queue's filter offers (and the holidays its SLA states count), read in one
    statement: only this agency's services (the slug of one never published) in title
    order; only its active case officers and agency admins, by legal name, else email."""
    service = make_service()  # "Building permit"
    agency = service.agency
    alpha = service_of(agency, code="AL", title="Alpha licence")
    unpublished = Service.objects.create(agency=agency, slug="zz-unpublished", code="ZZ")
    make_service(code="XX")  # another agency's
    ann = staff(agency, name="ann Officer")
    admin = staff(agency, StaffRole.Role.AGENCY_ADMIN)
    admin.profile.legal_name = ""
    admin.profile.save(update_fields=["legal_name"])
    gone = staff(agency, name="Gone Officer")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    staff(AgencyFactory(), name="Elsewhere Officer")
    staff(None, StaffRole.Role.ASSISTED_SERVICE_AGENT, name="An Agent")
    Holiday.objects.create(date=datetime.date(2026, 12, 25), name="Christmas")

    choices = queue_choices(agency)

    assert choices.services == [
        (alpha.pk, "Alpha licence"),
        (service.pk, "Building permit"),
        (unpublished.pk, "zz-unpublished"),
    ]
    assert choices.officers == sorted(
        [(ann.pk, "ann Officer"), (admin.pk, admin.email)], key=lambda item: item[1].lower()
    )
    assert choices.holidays == {datetime.date(2026, 12, 25)}
    with translation.override("fr"):
        assert (service.pk, "Building permit (fr)") in queue_choices(agency).services
