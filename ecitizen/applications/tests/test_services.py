"""Services against a real database: drafts, submission, payment, information requests,
withdrawal, expiry and the assisted service."""

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.applications.models import Application, ApplicationEvent, Document, InfoRequest
from ecitizen.applications.services import (
    ApplicationError,
    ApplicationIncomplete,
    application_answers_save,
    application_draft_reminders_send,
    application_drafts_expire,
    application_info_respond,
    application_mark_paid,
    application_start,
    application_submit,
    application_transition,
    application_withdraw,
)
from ecitizen.applications.tests.factories import (
    DEFINITION,
    PNG_BYTES,
    complete_draft,
    make_resident,
    make_service,
    pdf_upload,
)
from ecitizen.applications.uploads import validate_upload
from ecitizen.audit.models import AuditEntry
from ecitizen.core.models import Holiday
from ecitizen.core.workdays import add_working_days

pytestmark = pytest.mark.django_db
Status = Application.Status
KEY = "6f1d2c1e-8f5b-4d0e-9a57-3b9f2a1c0d11"


def kinds(application: Application) -> list[str]:
    return list(application.events.values_list("kind", flat=True))


def test_start_allocates_a_short_unambiguous_reference() -> None:
    resident = make_resident()
    application = application_start(actor=resident, service=make_service(code="BP"))
    assert re.fullmatch(r"BP-\d{4}-[234679ACDEFGHJKMNPQRTUVWXYZ]{4}", application.reference)
    assert application.status == Status.DRAFT
    assert application.draft_expires_at is not None
    assert kinds(application) == ["started"]
    assert AuditEntry.objects.filter(action="applications.application.started").count() == 1


def test_starting_again_resumes_the_open_draft() -> None:
    resident, service = make_resident(), make_service()
    first = application_start(actor=resident, service=service)
    assert application_start(actor=resident, service=service) == first
    assert Application.objects.count() == 1


def test_a_service_that_is_not_published_cannot_be_applied_for() -> None:
    service = make_service()
    service.published_version = None
    service.save()
    with pytest.raises(ApplicationError):
        application_start(actor=make_resident(), service=service)


def test_saving_a_page_keeps_only_its_questions_and_extends_the_draft() -> None:
    resident = make_resident()
    application = application_start(actor=resident, service=make_service())
    application.draft_expires_at = timezone.now()
    application.save()
    application_answers_save(
        actor=resident,
        application=application,
        page_id="garage",
        answers={"has_garage": True, "garage_area": 12, "floor_area": 5, "is_admin": True},
    )
    application.refresh_from_db()
    assert application.answers == {"has_garage": True, "garage_area": 12}
    assert application.draft_expires_at > timezone.now() + datetime.timedelta(days=29)
    with pytest.raises(ApplicationError):
        application_answers_save(
            actor=resident, application=application, page_id="nope", answers={}
        )


def test_uploads_are_stored_privately_with_a_random_name(settings: Any) -> None:
    resident = make_resident()
    application = application_start(actor=resident, service=make_service())
    checked = validate_upload(pdf_upload("My Plan.pdf"), allowed_types=["application/pdf"])
    application_answers_save(
        actor=resident,
        application=application,
        page_id="plans",
        answers={"drawings": []},
        uploads={"drawings": [checked]},
    )
    document = Document.objects.get()
    assert application.answers == {"drawings": [document.pk]}
    assert document.original_name == "My Plan.pdf" and document.content_type == "application/pdf"
    assert document.file.name.startswith("applications/") and "Plan" not in document.file.name
    path = default_storage.path(document.file.name)
    assert path.startswith(str(settings.MEDIA_ROOT)) and not path.startswith(
        str(settings.STATIC_ROOT)
    )
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"  # nothing serves it by URL
    # Removing the file (an answer without it) deletes it once committed.
    application_answers_save(
        actor=resident, application=application, page_id="plans", answers={"drawings": None}
    )
    document.refresh_from_db()
    assert document.removed_at is not None


def test_submit_freezes_answers_and_starts_the_sla_clock(
    django_capture_on_commit_callbacks: Any,
) -> None:
    resident, service = make_resident(), make_service()
    application = complete_draft(resident, service)
    today = timezone.localdate()
    Holiday.objects.create(date=add_working_days(today, 1, []), name="Holiday")
    with django_capture_on_commit_callbacks(execute=True):
        result = application_submit(actor=resident, application=application, idempotency_key=KEY)
    application.refresh_from_db()
    assert result.created and application.status == Status.SUBMITTED
    assert application.submitted_at is not None
    holidays = set(Holiday.objects.values_list("date", flat=True))
    assert application.due_date == add_working_days(today, 10, holidays)
    assert application.due_date > add_working_days(today, 10, [])
    assert application.answers["full_name"] == "Amara Okafor"  # pre-filled, now frozen
    assert application.answers["site_address"]["area"] == "riverside"
    assert application.draft_expires_at is None
    assert kinds(application)[-1] == "submitted"
    assert len(mail.outbox) == 1 and application.reference in mail.outbox[0].subject


def test_submit_is_idempotent() -> None:
    resident = make_resident()
    application = complete_draft(resident, make_service())
    first = application_submit(actor=resident, application=application, idempotency_key=KEY)
    again = application_submit(actor=resident, application=application, idempotency_key=KEY)
    refreshed = application_submit(
        actor=resident,
        application=Application.objects.get(pk=application.pk),
        idempotency_key="0b7f1a52-3a7b-4c55-8f7e-1d2c3b4a5f60",  # a refreshed check page
    )
    assert first.created and not again.created and not refreshed.created
    assert again.application.pk == refreshed.application.pk == application.pk
    assert kinds(application).count("submitted") == 1
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1


def test_submit_refuses_a_tampered_key_and_an_incomplete_draft() -> None:
    resident = make_resident()
    with pytest.raises(ApplicationError):
        application_submit(
            actor=resident,
            application=complete_draft(resident, make_service()),
            idempotency_key="'; drop table--",
        )
    other = application_start(actor=resident, service=make_service(code="DL"))
    with pytest.raises(ApplicationIncomplete) as caught:
        application_submit(actor=resident, application=other, idempotency_key=KEY)
    assert caught.value.missing[0] == ("site", "parcel")
    assert Application.objects.filter(status=Status.DRAFT).count() == 2


def test_only_the_applicant_submits_their_own_application() -> None:
    application = complete_draft(make_resident(), make_service())
    with pytest.raises(ApplicationError):
        application_submit(actor=UserFactory(), application=application, idempotency_key=KEY)


def test_fee_on_submission_waits_for_payment_then_mark_paid_submits() -> None:
    resident = make_resident()
    service = make_service(
        fee={"kind": "formula", "formula": "floor_area * 250 + 5000", "currency": "EUR"}
    )
    application = complete_draft(resident, service)
    result = application_submit(actor=resident, application=application, idempotency_key=KEY)
    application.refresh_from_db()
    assert result.application.status == Status.AWAITING_PAYMENT
    assert application.fee_amount == 120 * 250 + 5000 and application.submitted_at is None
    from ecitizen.payments.models import LedgerEntry

    charge = LedgerEntry.objects.get(application=application, kind=LedgerEntry.Kind.CHARGE)
    assert charge.amount == application.fee_amount

    paid = application_mark_paid(application_id=application.pk, payment_id=41)
    assert paid.status == Status.SUBMITTED and paid.submitted_at and paid.due_date
    again = application_mark_paid(application_id=application.pk, payment_id=41)
    assert again.status == Status.SUBMITTED
    assert kinds(application) == [
        "started",
        "payment_requested",
        "paid",
        "submitted",
    ]
    assert AuditEntry.objects.filter(action="applications.application.paid").count() == 1


def test_fee_on_approval_submits_straight_away() -> None:
    resident = make_resident()
    service = make_service(
        fee={"kind": "fixed", "amount": 5000, "currency": "EUR"}, fee_timing="on_approval"
    )
    application = complete_draft(resident, service)
    application_submit(actor=resident, application=application, idempotency_key=KEY)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.fee_amount == 5000


def submitted(resident: Any = None) -> Application:
    resident = resident or make_resident()
    application = complete_draft(resident, make_service())
    application_submit(actor=resident, application=application, idempotency_key=KEY)
    application.refresh_from_db()
    return application


def test_withdraw() -> None:
    application = submitted()
    application_withdraw(actor=application.applicant, application=application, reason="Moved")
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    event = application.events.get(kind="withdrawn")
    assert event.message == "Moved" and event.actor == application.applicant
    with pytest.raises(ApplicationError):
        application_withdraw(actor=application.applicant, application=application)


def test_withdrawing_a_draft_deletes_its_files() -> None:
    application = complete_draft(make_resident(), make_service())
    application_withdraw(actor=application.applicant, application=application)
    assert Document.objects.get().removed_at is not None
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and application.answers == {}


def test_information_response_restarts_the_clock_where_it_stopped() -> None:
    application = submitted()
    officer = UserFactory()
    # Case work asks for information (the request is created here as case work would).
    paused_at = timezone.now() - datetime.timedelta(days=7)
    InfoRequest.objects.create(
        application=application, message="Send the site plan", requested_by=officer
    )
    application_transition(
        actor=officer,
        application=application,
        to_status=Status.INFO_REQUESTED,
        event="info_requested",
        message="Send the site plan",
    )
    Application.objects.filter(pk=application.pk).update(clock_paused_at=paused_at)
    application.refresh_from_db()
    due_before = application.due_date
    checked = validate_upload(
        pdf_upload("site.png", PNG_BYTES), allowed_types=["image/png"], max_size=1000
    )
    application_info_respond(
        actor=application.applicant, application=application, answer="Here it is", uploads=[checked]
    )
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.clock_paused_at is None
    assert application.due_date == add_working_days(due_before, 5, [])  # 7 days = 5 working days
    request = application.info_requests.get()
    assert request.answer == "Here it is" and request.answered_at is not None
    document = application.documents.get(question_id="info_response")
    assert document.content_type == "image/png"
    event = application.events.get(kind="info_provided")
    assert event.data["documents"] == [document.pk] and event.message == "Here it is"
    with pytest.raises(ApplicationError):
        application_info_respond(actor=application.applicant, application=application, answer="x")


def test_transitions_are_checked() -> None:
    application = submitted()
    with pytest.raises(ApplicationError):
        application_transition(
            actor=None, application=application, to_status=Status.ISSUED, event="issued"
        )
    approved = application_transition(
        actor=None,
        application=application,
        to_status=Status.APPROVED,
        event="approved",
        reason="All good",
    )
    assert approved.status == Status.APPROVED and approved.decided_at is not None
    assert approved.decision_reason == "All good"


@override_settings(APPLICATION_DRAFT_TTL_DAYS=30, APPLICATION_DRAFT_REMINDER_DAYS=7)
def test_drafts_are_reminded_then_expire(django_capture_on_commit_callbacks: Any) -> None:
    resident = make_resident()
    resident.profile.preferred_language = "fr"
    resident.profile.save()
    application = complete_draft(resident, make_service())
    expires = application.draft_expires_at
    assert expires is not None
    mail.outbox.clear()
    # Not yet within the reminder window.
    assert application_draft_reminders_send(now=expires - datetime.timedelta(days=8)) == 0
    # Within it: one reminder, in the resident's language, never twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert application_draft_reminders_send(now=expires - datetime.timedelta(days=6)) == 1
        assert application_draft_reminders_send(now=expires - datetime.timedelta(days=5)) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resident.email]
    assert application.reference in mail.outbox[0].body
    from django.utils import translation

    with translation.override("fr"):
        from django.utils.translation import gettext

        expected = gettext("Your draft application %(reference)s will be deleted soon")
    assert mail.outbox[0].subject == expected % {"reference": application.reference}
    # Past the date: expired, files deleted.
    assert application_drafts_expire(now=expires - datetime.timedelta(seconds=1)) == 0
    assert application_drafts_expire(now=expires + datetime.timedelta(seconds=1)) == 1
    application.refresh_from_db()
    assert application.status == Status.EXPIRED and application.answers == {}
    assert Document.objects.filter(removed_at__isnull=True).count() == 0
    assert kinds(application)[-2:] == ["draft_reminder_sent", "expired"]


def test_saving_a_draft_again_postpones_expiry_and_rearms_the_reminder() -> None:
    resident = make_resident()
    application = complete_draft(resident, make_service())
    now = timezone.now()
    Application.objects.filter(pk=application.pk).update(
        draft_expires_at=now + datetime.timedelta(days=2)
    )
    assert application_draft_reminders_send(now=now) == 1
    application_answers_save(
        actor=resident, application=application, page_id="site", answers={"parcel": "XY9"}
    )
    application.refresh_from_db()
    assert application.draft_reminder_sent_at is None
    assert application.draft_expires_at > now + datetime.timedelta(days=29)  # type: ignore[operator]
    assert application_drafts_expire(now=now + datetime.timedelta(days=3)) == 0


def test_expire_drafts_command() -> None:
    application = complete_draft(make_resident(), make_service())
    Application.objects.filter(pk=application.pk).update(
        draft_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    call_command("expire_drafts")
    application.refresh_from_db()
    assert application.status == Status.EXPIRED


def test_expire_drafts_task_runs_the_same_services() -> None:
    from ecitizen.applications.tasks import expire_drafts

    application = complete_draft(make_resident(), make_service())
    Application.objects.filter(pk=application.pk).update(
        draft_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    result = expire_drafts.enqueue()
    assert result.return_value == {"reminded": 0, "expired": 1}


# --- assisted service ------------------------------------------------------------------------


def test_assisted_service_records_who_acted_for_whom(make_staff: Any) -> None:
    agent = make_staff(StaffRole.Role.ASSISTED_SERVICE_AGENT)
    resident = make_resident()
    service = make_service()
    with pytest.raises(ApplicationError):
        application_start(actor=agent, service=service, applicant=resident, consent_note=" ")
    with pytest.raises(ApplicationError):
        application_start(
            actor=UserFactory(), service=service, applicant=resident, consent_note="Yes"
        )
    application = complete_draft(resident, service, actor=agent)
    assert application.assisted_by == agent and application.consent_note == "Agreed at the counter"
    application_submit(actor=agent, application=application, idempotency_key=KEY)
    events = {e.kind: e for e in ApplicationEvent.objects.filter(application=application)}
    for kind in ("started", "submitted"):
        assert events[kind].actor == agent and events[kind].on_behalf_of == resident
    audit = AuditEntry.objects.filter(
        object_type="applications.application", object_id=str(application.pk)
    )
    assert audit.count() >= 6
    assert all(e.actor_id == agent.pk and e.on_behalf_of_id == resident.pk for e in audit)
    # Pre-fill came from the resident's profile, not the agent's.
    application.refresh_from_db()
    assert application.answers["full_name"] == "Amara Okafor"
    assert application.answers["contact_email"] == resident.email


def test_another_agent_cannot_continue_an_assisted_draft(make_staff: Any) -> None:
    agent = make_staff(StaffRole.Role.ASSISTED_SERVICE_AGENT)
    other = make_staff(StaffRole.Role.ASSISTED_SERVICE_AGENT)
    application = complete_draft(make_resident(), make_service(), actor=agent)
    with pytest.raises(ApplicationError):
        application_answers_save(
            actor=other, application=application, page_id="site", answers={"parcel": "AB1"}
        )


def test_definition_fixture_is_valid() -> None:
    from ecitizen.catalogue.schema import validate_definition

    assert validate_definition(DEFINITION) == []


def test_a_successful_payment_submits_the_application_through_the_contract() -> None:
    from ecitizen.payments.providers import ProviderEvent
    from ecitizen.payments.services import payment_apply_outcome, payment_start

    resident = make_resident()
    service = make_service(fee={"kind": "fixed", "amount": 2500, "currency": "EUR"})
    application = complete_draft(resident, service)
    application_submit(actor=resident, application=application, idempotency_key=KEY)
    payment = payment_start(actor=resident, application=application, idempotency_key="pay-1")
    event = ProviderEvent(
        event_id="evt-1",
        payment_reference=payment.reference,
        outcome="succeeded",
        provider_reference="prov-1",
        method="card",
        amount=2500,
        currency="EUR",
    )
    payment_apply_outcome(event=event, provider=payment.provider)
    payment_apply_outcome(event=event, provider=payment.provider)  # a replayed notification
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.due_date is not None
    assert application.events.filter(kind="paid", data__payment_id=payment.pk).count() == 1
