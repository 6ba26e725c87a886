"""Every write about applications: start, save answers, submit, pay, respond, withdraw, expire.

Each service is atomic, takes the ``actor`` (a resident, an assisted-service agent acting for
one, or ``None`` for the system), records a timeline event and one audit entry, and fires
side effects (emails) only once the transaction commits.

Status changes all go through ``application_transition`` so that case work reuses the same
rules (allowed transitions, the SLA clock, events and audit).
"""

import datetime
import importlib.util
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import user_has_role
from ecitizen.applications import engine
from ecitizen.applications.events import record_event
from ecitizen.applications.models import Application, Document, InfoRequest
from ecitizen.applications.references import unique_reference
from ecitizen.applications.selectors import WITHDRAWABLE, applicant_prefill
from ecitizen.applications.uploads import ValidatedUpload
from ecitizen.audit.services import audit_record
from ecitizen.catalogue.fees import fee_for
from ecitizen.catalogue.models import Service
from ecitizen.core.workdays import add_working_days, public_holidays, working_days_between

log = logging.getLogger("ecitizen.applications")
Status = Application.Status

# Which status may follow which. Case work uses the same table through application_transition.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.AWAITING_PAYMENT, Status.SUBMITTED, Status.WITHDRAWN, Status.EXPIRED},
    Status.AWAITING_PAYMENT: {Status.SUBMITTED, Status.WITHDRAWN},
    Status.SUBMITTED: {
        Status.INFO_REQUESTED,
        Status.AWAITING_SECOND_APPROVAL,
        Status.APPROVED,
        Status.REJECTED,
        Status.WITHDRAWN,
    },
    Status.INFO_REQUESTED: {Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN},
    Status.AWAITING_SECOND_APPROVAL: {
        Status.APPROVED,
        Status.REJECTED,
        Status.SUBMITTED,
        Status.WITHDRAWN,
    },
    Status.APPROVED: {Status.ISSUED, Status.REVOKED},
    Status.ISSUED: {Status.REVOKED},
    Status.REJECTED: set(),
    Status.REVOKED: set(),
    Status.WITHDRAWN: set(),
    Status.EXPIRED: set(),
}
DECISIONS = (Status.APPROVED, Status.REJECTED)
INFO_RESPONSE_QUESTION = "info_response"  # Document.question_id of files sent with an answer


class ApplicationError(Exception):
    """A request the application's state does not allow; ``message`` is for the resident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApplicationIncomplete(ApplicationError):
    def __init__(self, missing: list[tuple[str, str]]) -> None:
        super().__init__(_("Some questions still need an answer."))
        self.missing = missing


@dataclass(frozen=True)
class SubmitResult:
    application: Application
    created: bool  # False: it had already been submitted (a double click, a refresh, a retry)


# --- helpers -----------------------------------------------------------------------------


def _locked(application_id: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("service_version", "service", "applicant", "assisted_by")
        .get(pk=application_id)
    )


def _on_behalf_of(actor: Any, application: Application) -> User | None:
    """The applicant, when the actor is the assisted-service agent acting for them (staff
    deciding a case act on their own authority, not on the applicant's behalf)."""
    actor_id = getattr(actor, "pk", None)
    if actor_id and actor_id == application.assisted_by_id != application.applicant_id:
        return application.applicant
    return None


def _require_editor(actor: Any, application: Application) -> None:
    """Only the applicant, or the agent who started it for them, may fill in or send it."""
    if actor.pk == application.applicant_id:
        return
    if application.assisted_by_id == actor.pk and user_has_role(
        actor, StaffRole.Role.ASSISTED_SERVICE_AGENT
    ):
        return
    raise ApplicationError(_("You cannot change this application."))


def _draft_expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.APPLICATION_DRAFT_TTL_DAYS)


def _store_document(
    *, application: Application, question_id: str, upload: ValidatedUpload, actor: Any
) -> Document:
    document = Document(
        application=application,
        question_id=question_id,
        original_name=upload.original_name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    upload.file.seek(0)
    # A random name: nothing the resident typed reaches the file system. (If the transaction
    # rolls back, the file stays in private storage with no row pointing at it.)
    document.file.save(upload.storage_name, upload.file, save=False)
    document.save()
    return document


def _remove_documents(documents: list[Document], now: datetime.datetime) -> None:
    """Mark documents removed and delete their files once the change is committed."""
    names = [doc.file.name for doc in documents if doc.file and doc.file.name]
    Document.objects.filter(pk__in=[doc.pk for doc in documents]).update(removed_at=now)

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)


def _start_clock(application: Application, now: datetime.datetime) -> None:
    sla = int(application.service_version.definition.get("sla_working_days") or 20)
    application.submitted_at = now
    application.due_date = add_working_days(timezone.localdate(now), sla, public_holidays())
    application.clock_paused_at = None


def pause_sla_clock(application: Application, now: datetime.datetime) -> None:
    """Stop the SLA clock (waiting for the resident); call from inside a service."""
    if application.clock_paused_at is None:
        application.clock_paused_at = now


def resume_sla_clock(application: Application, now: datetime.datetime) -> None:
    """Restart the SLA clock: the due date moves by the working days it was stopped."""
    if application.clock_paused_at is None:
        return
    if application.due_date is not None:
        holidays = public_holidays()
        paused = working_days_between(
            timezone.localdate(application.clock_paused_at), timezone.localdate(now), holidays
        )
        application.due_date = add_working_days(application.due_date, max(paused, 0), holidays)
    application.clock_paused_at = None


# --- status changes ----------------------------------------------------------------------


@transaction.atomic
def application_transition(
    *,
    actor: Any,
    application: Application,
    to_status: str,
    event: str,
    message: str = "",
    reason: str = "",
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> Application:
    """Move an application to ``to_status`` if ``TRANSITIONS`` allows it, keeping the SLA
    clock right (paused while waiting for information), recording the timeline event
    ``event`` and the audit entry ``applications.application.<event>``.

    For case work: e.g. ``to_status=APPROVED, event="approved", reason=...``. Raises
    ApplicationError if the move is not allowed from the current status."""
    locked = _locked(application.pk)
    if to_status not in TRANSITIONS.get(locked.status, set()):
        raise ApplicationError(
            _("This application cannot go from “%(from)s” to “%(to)s”.")
            % {"from": locked.get_status_display(), "to": Status(to_status).label}
        )
    now = timezone.now()
    previous = locked.status
    if to_status == Status.INFO_REQUESTED:
        pause_sla_clock(locked, now)
    elif previous == Status.INFO_REQUESTED:
        resume_sla_clock(locked, now)
    if to_status == Status.SUBMITTED and locked.submitted_at is None:
        _start_clock(locked, now)
    if to_status in DECISIONS:
        locked.decided_at = now
    if reason:
        locked.decision_reason = reason
    locked.status = to_status
    locked.save()
    on_behalf_of = _on_behalf_of(actor, locked)
    record_event(
        locked,
        event,
        actor=actor,
        message=message,
        internal=internal,
        on_behalf_of=on_behalf_of,
        data={"from": previous, "to": to_status, **(data or {})},
    )
    audit_record(
        actor=actor,
        action=f"applications.application.{event}",
        obj=locked,
        on_behalf_of=on_behalf_of,
        data={"reference": locked.reference, "from": previous, "to": to_status},
    )
    _copy_state(locked, application)
    return application


def _copy_state(source: Application, target: Application) -> None:
    if source is not target:
        for field in Application._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


# --- drafts ------------------------------------------------------------------------------


@transaction.atomic
def application_start(
    *,
    actor: User,
    service: Service,
    applicant: User | None = None,
    consent_note: str = "",
) -> Application:
    """Start (or resume) a draft for ``service``. The reference is allocated now.

    An assisted-service agent starts it for ``applicant`` (present at the counter), only with
    the resident's recorded consent (``consent_note`` says how it was given). A second start
    for the same service returns the draft already open."""
    applicant = applicant or actor
    assisted = applicant.pk != actor.pk
    if assisted:
        if not user_has_role(actor, StaffRole.Role.ASSISTED_SERVICE_AGENT):
            raise ApplicationError(_("Only assisted-service agents can apply for someone else."))
        if not consent_note.strip():
            raise ApplicationError(_("Record how the resident gave their consent."))
    version = service.published_version
    if version is None:
        raise ApplicationError(_("This service is not open for applications."))
    # One open draft per person and service: serialise starts for this applicant.
    User.objects.select_for_update().filter(pk=applicant.pk).first()
    existing = Application.objects.filter(
        applicant=applicant,
        service=service,
        status=Status.DRAFT,
        assisted_by=actor if assisted else None,
    ).first()
    if existing is not None:
        return existing
    now = timezone.now()
    application = None
    for _attempt in range(5):
        reference = unique_reference(
            service.code, lambda ref: Application.objects.filter(reference=ref).exists()
        )
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    reference=reference,
                    service_version=version,
                    service=service,
                    agency_id=service.agency_id,
                    applicant=applicant,
                    assisted_by=actor if assisted else None,
                    consent_note=consent_note.strip() if assisted else "",
                    status=Status.DRAFT,
                    currency=(version.definition.get("fee") or {}).get("currency") or "EUR",
                    draft_expires_at=_draft_expiry(now),
                )
            break
        except IntegrityError:  # the same reference taken at the same moment: draw again
            continue
    if application is None:  # pragma: no cover - 5 collisions in a row
        raise ApplicationError(_("Please try again."))
    on_behalf_of = applicant if assisted else None
    record_event(
        application,
        "started",
        actor=actor,
        on_behalf_of=on_behalf_of,
        data={"assisted": assisted},
    )
    audit_record(
        actor=actor,
        action="applications.application.started",
        obj=application,
        on_behalf_of=on_behalf_of,
        data={
            "reference": application.reference,
            "service": service.slug,
            "version": version.number,
            "consent_recorded": assisted,
        },
    )
    return application


@transaction.atomic
def application_answers_save(
    *,
    actor: User,
    application: Application,
    page_id: str,
    answers: dict[str, Any],
    uploads: dict[str, list[ValidatedUpload]] | None = None,
    removed_documents: list[int] | None = None,
) -> Application:
    """Save one page of a draft (every page saves: the resident can leave and come back).

    Only answers to questions of that page are taken; others are ignored, never stored.
    New files become documents; answers to questions no longer shown are dropped (and their
    files removed). Saving keeps the draft for another ``APPLICATION_DRAFT_TTL_DAYS``."""
    locked = _locked(application.pk)
    _require_editor(actor, locked)
    if locked.status != Status.DRAFT:
        raise ApplicationError(_("This application has already been sent."))
    definition = locked.service_version.definition
    page = engine.page_by_id(definition, page_id)
    if page is None:
        raise ApplicationError(_("This page is not part of the form."))
    on_page = {question["id"]: question for question in page.get("questions", [])}
    page_answers = {qid: value for qid, value in answers.items() if qid in on_page}
    now = timezone.now()
    current = [doc for doc in locked.documents.filter(removed_at__isnull=True)]
    # Files the resident removed from this page's questions.
    removed = {int(doc_id) for doc_id in removed_documents or []}
    new_ids: dict[str, list[int]] = {}
    for qid, files in (uploads or {}).items():
        if qid not in on_page or on_page[qid].get("type") != "file":
            continue
        for upload in files:
            document = _store_document(
                application=locked, question_id=qid, upload=upload, actor=actor
            )
            new_ids.setdefault(qid, []).append(document.pk)
    for qid, question in on_page.items():
        if question.get("type") != "file" or (qid not in page_answers and qid not in new_ids):
            continue
        kept = [
            doc.pk
            for doc in current
            if doc.question_id == qid
            and doc.pk in set(page_answers.get(qid) or [])
            and doc.pk not in removed
        ]
        page_answers[qid] = (kept + new_ids.get(qid, [])) or None
    prefill = applicant_prefill(locked.applicant)
    locked.answers = engine.merge_page_answers(definition, locked.answers, page_answers, prefill)
    # Files no answer refers to any more (removed, or their question is no longer shown).
    referenced = {
        doc_id
        for question in engine.question_map(definition).values()
        if question.get("type") == "file"
        for doc_id in locked.answers.get(question["id"]) or []
    }
    orphans = [doc for doc in current if doc.pk not in referenced]
    if orphans:
        _remove_documents(orphans, now)
    locked.draft_expires_at = _draft_expiry(now)
    locked.draft_reminder_sent_at = None
    locked.save(
        update_fields=["answers", "draft_expires_at", "draft_reminder_sent_at", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="applications.application.answers_saved",
        obj=locked,
        on_behalf_of=_on_behalf_of(actor, locked),
        data={
            "reference": locked.reference,
            "page": page_id,
            "files_added": sum(len(ids) for ids in new_ids.values()),
            "files_removed": len(orphans),
        },
    )
    _copy_state(locked, application)
    return application


def _request_payment(*, actor: Any, application: Application) -> None:
    """CONTRACT with payments: record what is owed (``charge_record``). The resident is then
    sent to ``payments:start``; payments calls ``application_mark_paid`` once it is paid."""
    if importlib.util.find_spec("ecitizen.payments.services") is None:  # pragma: no cover
        log.warning("payments are not installed: %s waits for payment", application.reference)
        return
    from ecitizen.payments.services import charge_record

    charge_record(actor=actor, application=application)


def _valid_key(idempotency_key: str) -> str:
    try:
        return str(uuid.UUID(str(idempotency_key)))
    except ValueError:
        raise ApplicationError(
            _("Something went wrong. Check your answers and send again.")
        ) from None


@transaction.atomic
def application_submit(
    *, actor: User, application: Application, idempotency_key: str
) -> SubmitResult:
    """Send a draft. Idempotent: a double click, a refresh or a retried request returns the
    application already sent (``created=False``) and never creates a second submission.

    Pre-filled answers are frozen in from the profile, the fee is worked out; a fee due on
    submission moves the application to AWAITING_PAYMENT (payments then calls
    ``application_mark_paid``), otherwise it is SUBMITTED and the SLA clock starts."""
    key = _valid_key(idempotency_key)
    # A parallel submit waits here, then sees it was sent. The applicant's profile (for the
    # pre-filled answers) comes with the row: no further reads before the writes.
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service_version", "service", "applicant__profile__area", "assisted_by")
        .get(pk=application.pk)
    )
    _require_editor(actor, locked)
    if locked.status != Status.DRAFT:
        if locked.idempotency_key:
            _copy_state(locked, application)
            return SubmitResult(application, created=False)
        raise ApplicationError(_("This application can no longer be sent."))
    clash = Application.objects.filter(applicant_id=locked.applicant_id, idempotency_key=key)
    if clash.exclude(pk=locked.pk).exists():
        raise ApplicationError(_("Something went wrong. Check your answers and send again."))
    definition = locked.service_version.definition
    prefill = applicant_prefill(locked.applicant)
    missing = engine.missing_answers(definition, locked.answers, prefill)
    if missing:
        raise ApplicationIncomplete(missing)
    now = timezone.now()
    fee = definition.get("fee") or {"kind": "none"}
    locked.answers = engine.frozen_answers(definition, locked.answers, prefill)
    locked.fee_amount = fee_for(fee, locked.answers)
    locked.currency = fee.get("currency") or locked.currency or "EUR"
    locked.idempotency_key = key
    locked.draft_expires_at = None
    on_behalf_of = _on_behalf_of(actor, locked)
    pay_now = definition.get("fee_timing", "on_submit") == "on_submit" and locked.fee_amount > 0
    if pay_now:
        locked.status = Status.AWAITING_PAYMENT
        event = "payment_requested"
    else:
        locked.status = Status.SUBMITTED
        _start_clock(locked, now)
        event = "submitted"
    locked.save()
    record_event(
        locked,
        event,
        actor=actor,
        on_behalf_of=on_behalf_of,
        data={"fee": locked.fee_amount, "currency": locked.currency},
    )
    audit_record(
        actor=actor,
        action="applications.application.submitted",
        obj=locked,
        on_behalf_of=on_behalf_of,
        data={
            "reference": locked.reference,
            "status": locked.status,
            "fee": locked.fee_amount,
            "assisted": on_behalf_of is not None,
        },
    )
    if pay_now:
        _request_payment(actor=actor, application=locked)
    else:
        _send_confirmation_on_commit(locked)
    _copy_state(locked, application)
    return SubmitResult(application, created=True)


def _send_confirmation_on_commit(application: Application) -> None:
    from ecitizen.applications.tasks import send_submission_confirmation

    application_id = application.pk
    transaction.on_commit(lambda: send_submission_confirmation.enqueue(application_id))


@transaction.atomic
def application_mark_paid(*, application_id: int, payment_id: int) -> Application:
    """CONTRACT with payments: the fee for this application is paid.

    AWAITING_PAYMENT → SUBMITTED (the SLA clock starts now); in any other status the payment
    is only recorded on the timeline. Idempotent: the same payment twice changes nothing."""
    locked = _locked(application_id)
    if locked.events.filter(kind="paid", data__payment_id=payment_id).exists():
        return locked
    now = timezone.now()
    record_event(
        locked,
        "paid",
        data={"payment_id": payment_id, "fee": locked.fee_amount, "currency": locked.currency},
    )
    previous = locked.status
    if locked.status == Status.AWAITING_PAYMENT:
        locked.status = Status.SUBMITTED
        _start_clock(locked, now)
        locked.save()
        record_event(locked, "submitted", data={"after_payment": True})
        _send_confirmation_on_commit(locked)
    audit_record(
        actor=None,
        action="applications.application.paid",
        obj=locked,
        data={
            "reference": locked.reference,
            "payment_id": payment_id,
            "from": previous,
            "to": locked.status,
        },
    )
    return locked


# --- after submission ----------------------------------------------------------------------


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str = "") -> Application:
    """The resident withdraws their application (or abandons a draft)."""
    locked = _locked(application.pk)
    _require_editor(actor, locked)
    if locked.status not in WITHDRAWABLE:
        raise ApplicationError(_("This application can no longer be withdrawn."))
    if locked.status == Status.DRAFT:  # an abandoned draft: its answers and files go
        _remove_documents(list(locked.documents.filter(removed_at__isnull=True)), timezone.now())
        locked.answers = {}
        locked.save(update_fields=["answers", "updated_at"])
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.WITHDRAWN,
        event="withdrawn",
        message=reason.strip(),
    )
    _copy_state(locked, application)
    return application


@transaction.atomic
def application_info_respond(
    *,
    actor: User,
    application: Application,
    answer: str,
    uploads: list[ValidatedUpload] | None = None,
) -> Application:
    """The resident answers the open request for more information (with new files, if any):
    the application goes back to SUBMITTED and the SLA clock restarts where it stopped."""
    locked = _locked(application.pk)
    if actor.pk != locked.applicant_id:
        raise ApplicationError(_("You cannot change this application."))
    request = (
        InfoRequest.objects.select_for_update()
        .filter(application=locked, answered_at__isnull=True)
        .order_by("-requested_at")
        .first()
    )
    if locked.status != Status.INFO_REQUESTED or request is None:
        raise ApplicationError(_("There is no request for information to answer."))
    now = timezone.now()
    documents = [
        _store_document(
            application=locked, question_id=INFO_RESPONSE_QUESTION, upload=upload, actor=actor
        )
        for upload in uploads or []
    ]
    request.answer = answer.strip()
    request.answered_at = now
    request.save(update_fields=["answer", "answered_at"])
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.SUBMITTED,
        event="info_provided",
        message=request.answer,
        data={"info_request": request.pk, "documents": [doc.pk for doc in documents]},
    )
    _copy_state(locked, application)
    return application


# --- draft expiry ----------------------------------------------------------------------------


@transaction.atomic
def application_draft_expire(*, application_id: int, now: datetime.datetime | None = None) -> bool:
    """Expire one draft past its expiry date and delete its files. False if it is no longer
    a draft or was saved again in the meantime."""
    now = now or timezone.now()
    locked = _locked(application_id)
    if (
        locked.status != Status.DRAFT
        or not locked.draft_expires_at
        or locked.draft_expires_at > now
    ):
        return False
    _remove_documents(list(locked.documents.filter(removed_at__isnull=True)), now)
    locked.answers = {}
    locked.save(update_fields=["answers", "updated_at"])
    application_transition(
        actor=None, application=locked, to_status=Status.EXPIRED, event="expired"
    )
    return True


def application_drafts_expire(*, now: datetime.datetime | None = None) -> int:
    """Expire every draft past its expiry date (each in its own transaction)."""
    now = now or timezone.now()
    due = Application.objects.filter(status=Status.DRAFT, draft_expires_at__lte=now)
    return sum(
        application_draft_expire(application_id=pk, now=now)
        for pk in due.values_list("pk", flat=True).iterator()
    )


@transaction.atomic
def application_draft_remind(*, application_id: int, now: datetime.datetime | None = None) -> bool:
    """Remind the resident once that their draft expires soon (email sent after commit)."""
    now = now or timezone.now()
    updated = Application.objects.filter(
        pk=application_id, status=Status.DRAFT, draft_reminder_sent_at__isnull=True
    ).update(draft_reminder_sent_at=now)
    if not updated:
        return False
    application = Application.objects.get(pk=application_id)
    record_event(
        application,
        "draft_reminder_sent",
        data={
            "expires_at": application.draft_expires_at.isoformat()
            if application.draft_expires_at
            else None
        },
    )
    audit_record(
        actor=None,
        action="applications.application.draft_reminder_sent",
        obj=application,
        data={"reference": application.reference},
    )
    from ecitizen.applications.tasks import send_draft_reminder

    transaction.on_commit(lambda: send_draft_reminder.enqueue(application_id))
    return True


def application_draft_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind every resident whose draft expires within ``APPLICATION_DRAFT_REMINDER_DAYS``."""
    now = now or timezone.now()
    soon = now + datetime.timedelta(days=settings.APPLICATION_DRAFT_REMINDER_DAYS)
    due = Application.objects.filter(
        status=Status.DRAFT,
        draft_reminder_sent_at__isnull=True,
        draft_expires_at__gt=now,
        draft_expires_at__lte=soon,
    )
    return sum(
        application_draft_remind(application_id=pk, now=now)
        for pk in due.values_list("pk", flat=True).iterator()
    )
