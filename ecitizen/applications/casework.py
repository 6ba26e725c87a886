"""Staff case work: claim and assign cases, internal notes, and the decisions (request more
information, approve — with an optional second approval —, reject, send back, issue, revoke).

Every service is keyword-only and atomic, takes the ``actor`` (a member of staff), refuses
anyone who is not a case officer or agency administrator of the application's agency
(``PermissionDenied``), records a timeline event and one audit entry, and tells the resident
once the transaction commits (``notify``). Status changes go through
``services.application_transition`` (allowed transitions, SLA clock, event, audit), so the
resident's answer to an information request (``application_info_respond``) resumes the clock
with the same rules.

Rules of case work:

- A case has at most one assignee. Claiming is an atomic conditional UPDATE (``... WHERE
  assignee IS NULL``): of two officers claiming at once, exactly one wins and the other is
  told who has it (``CaseAlreadyClaimed``).
- First decisions (request information, approve, reject) are made by the case's assignee or
  by an agency administrator.
- Nobody works on their own application.
- When the service requires a second approval, an approval moves the case to
  AWAITING_SECOND_APPROVAL; only a *different* officer may then approve, reject or send it
  back. The same person can never give both approvals.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import user_has_role
from ecitizen.applications.events import record_event
from ecitizen.applications.models import Application, InfoRequest, InternalNote, IssuedPermit
from ecitizen.applications.notify import application_status_changed_on_commit
from ecitizen.applications.permits import permit_issue, permit_revoke
from ecitizen.applications.services import ApplicationError, application_transition
from ecitizen.audit.services import audit_record
from ecitizen.payments.services import amount_due, charge_record, refund_for_rejection

Status = Application.Status
Role = StaffRole.Role
CASE_ROLES = (Role.CASE_OFFICER, Role.AGENCY_ADMIN)
# Cases that still need someone's work: decisions, or issuing the permit once approved.
WORKABLE = (*Application.OPEN_STATUSES, Status.APPROVED)
NOTE_MAX_LENGTH = 5000
MESSAGE_MAX_LENGTH = 2000


class CaseError(ApplicationError):
    """A case-work request the case's state refuses; ``field`` names the form field at fault
    (``None``: the whole request). ``message`` is translated, for the member of staff."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CaseAlreadyClaimed(CaseError):
    def __init__(self, assignee: User | None) -> None:
        name = staff_name(assignee) if assignee else _("another officer")
        super().__init__(_("This case has already been claimed by %(name)s.") % {"name": name})
        self.assignee = assignee


# --- helpers -------------------------------------------------------------------------------


def staff_name(user: User | None) -> str:
    """How staff are named to each other: their legal name, else their email address."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return (profile.legal_name if profile else "") or user.email


def can_work_on(user: User, application: Application) -> bool:
    """Case officers and agency admins of the application's agency (and platform admins)."""
    return user_has_role(user, *CASE_ROLES, agency_id=application.agency_id)


def is_agency_admin(user: User, application: Application) -> bool:
    return user_has_role(user, Role.AGENCY_ADMIN, agency_id=application.agency_id)


def requires_second_approval(application: Application) -> bool:
    workflow = application.service_version.definition.get("workflow") or {}
    return bool(workflow.get("second_approval"))


def _require_case_role(actor: Any, application: Application) -> None:
    if not getattr(actor, "pk", None) or not can_work_on(actor, application):
        raise PermissionDenied
    if application.applicant_id == actor.pk:
        raise CaseError(_("You cannot work on your own application."))


def _require_handler(actor: User, application: Application) -> None:
    """First decisions: the assignee, or an agency admin (who may decide any case)."""
    if application.assignee_id == actor.pk or is_agency_admin(actor, application):
        return
    if application.assignee_id is None:
        raise CaseError(_("Claim this case before deciding on it."))
    raise CaseError(
        _("This case is assigned to %(name)s: only they or an agency administrator can decide.")
        % {"name": staff_name(application.assignee)}
    )


def _require_second_approver(actor: User, application: Application) -> None:
    if application.first_approver_id == actor.pk:
        raise CaseError(
            _("You gave the first approval: a different officer must check this decision.")
        )


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("service_version", "service", "applicant", "assignee__profile")
        .get(pk=application.pk)
    )


def _copy_state(source: Application, target: Application) -> None:
    if source is not target:
        for field in Application._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


def _required_text(value: str, *, field: str, message: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise CaseError(message, field=field)
    if len(text) > max_length:
        raise CaseError(
            _("Use %(max)s characters or fewer.") % {"max": max_length},
            field=field,
        )
    return text


def _audit(actor: User, action: str, application: Application, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"applications.case.{action}",
        obj=application,
        data={"reference": application.reference, **data},
    )


# --- who works on the case -------------------------------------------------------------------


def _record_assignment(*, actor: User, application: Application, assignee: User, how: str) -> None:
    # The resident learns once that an officer is working on it; later changes are internal.
    first = not application.events.filter(kind="assigned").exists()
    record_event(
        application,
        "assigned" if first else "reassigned",
        actor=actor,
        internal=not first,
        data={"assignee": assignee.pk, "assignee_name": staff_name(assignee), "how": how},
    )
    _audit(actor, how, application, assignee=assignee.pk)


@transaction.atomic
def case_claim(*, actor: User, application: Application) -> Application:
    """Take an unassigned case. Exactly one of several officers claiming at the same moment
    wins (a conditional UPDATE: PostgreSQL re-checks ``assignee IS NULL`` once the winner's
    row lock is released; SQLite runs write transactions one at a time). The others get
    ``CaseAlreadyClaimed`` naming who has it. Claiming one's own case again changes nothing."""
    _require_case_role(actor, application)
    claimed = Application.objects.filter(
        pk=application.pk, assignee__isnull=True, status__in=WORKABLE
    ).update(assignee=actor, updated_at=timezone.now())
    current = Application.objects.select_related("assignee__profile").get(pk=application.pk)
    if not claimed:
        if current.assignee_id == actor.pk:
            _copy_state(current, application)
            return application
        if current.status not in WORKABLE:
            raise CaseError(_("This case is closed: there is nothing left to claim."))
        raise CaseAlreadyClaimed(current.assignee)
    _record_assignment(actor=actor, application=current, assignee=actor, how="claimed")
    _copy_state(current, application)
    return application


@transaction.atomic
def case_assign(*, actor: User, application: Application, assignee: User) -> Application:
    """An agency admin gives the case to a case officer (or admin) of the same agency."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    if not is_agency_admin(actor, locked):
        raise PermissionDenied
    if locked.status not in WORKABLE:
        raise CaseError(_("This case is closed: it cannot be assigned."))
    if not assignee.is_active or not can_work_on(assignee, locked):
        raise CaseError(
            _("Choose a case officer of this agency."),
            field="assignee",
        )
    if assignee.pk == locked.applicant_id:
        raise CaseError(_("Nobody can handle their own application."), field="assignee")
    if locked.assignee_id == assignee.pk:
        _copy_state(locked, application)
        return application
    previous = locked.assignee_id
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    _record_assignment(actor=actor, application=locked, assignee=assignee, how="assigned")
    if previous:
        audit_record(
            actor=actor,
            action="applications.case.reassigned_from",
            obj=locked,
            data={"reference": locked.reference, "previous": previous},
        )
    _copy_state(locked, application)
    return application


@transaction.atomic
def case_release(*, actor: User, application: Application) -> Application:
    """The assignee (or an agency admin) puts the case back in the unassigned queue."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    if locked.assignee_id is None:
        _copy_state(locked, application)
        return application
    if locked.assignee_id != actor.pk and not is_agency_admin(actor, locked):
        raise CaseError(
            _("Only the officer handling this case or an agency administrator can release it.")
        )
    previous = locked.assignee
    locked.assignee = None
    locked.save(update_fields=["assignee", "updated_at"])
    record_event(
        locked,
        "released",
        actor=actor,
        internal=True,
        data={"previous": previous.pk if previous else None, "previous_name": staff_name(previous)},
    )
    _audit(actor, "released", locked, previous=previous.pk if previous else None)
    _copy_state(locked, application)
    return application


@transaction.atomic
def case_note_add(*, actor: User, application: Application, text: str) -> InternalNote:
    """An internal note: for staff only, never shown to the resident."""
    _require_case_role(actor, application)
    text = _required_text(
        text, field="text", message=_("Enter the note."), max_length=NOTE_MAX_LENGTH
    )
    note = InternalNote.objects.create(application=application, author=actor, text=text)
    record_event(application, "note_added", actor=actor, internal=True, data={"note": note.pk})
    _audit(actor, "note_added", application, note=note.pk)
    return note


# --- decisions -------------------------------------------------------------------------------


@transaction.atomic
def case_request_info(*, actor: User, application: Application, message: str) -> InfoRequest:
    """Ask the resident for more information: the message is shown to them, the case waits
    for their answer (INFO_REQUESTED) and the SLA clock stops until they answer."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    message = _required_text(
        message,
        field="message",
        message=_("Enter what you need from the resident."),
        max_length=MESSAGE_MAX_LENGTH,
    )
    _require_handler(actor, locked)
    if locked.status != Status.SUBMITTED:
        raise CaseError(_("You can only ask for information on a case waiting for a decision."))
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.INFO_REQUESTED,
        event="info_requested",
        message=message,
    )
    request = InfoRequest.objects.create(application=locked, message=message, requested_by=actor)
    application_status_changed_on_commit(locked, "info_requested")
    _copy_state(locked, application)
    return request


@transaction.atomic
def case_approve(*, actor: User, application: Application, reason: str = "") -> Application:
    """Approve. When the service requires a second approval, the first approval moves the case
    to AWAITING_SECOND_APPROVAL and a different officer approves it. On the final approval, a
    fee due on approval is charged (the resident then pays through ``payments:start``).

    ``reason`` (optional) is shown to the resident once the decision is final."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    reason = (reason or "").strip()[:MESSAGE_MAX_LENGTH]
    if locked.status == Status.SUBMITTED:
        _require_handler(actor, locked)
        if requires_second_approval(locked):
            Application.objects.filter(pk=locked.pk).update(
                first_approver=actor, decision_reason=reason
            )
            application_transition(
                actor=actor,
                application=locked,
                to_status=Status.AWAITING_SECOND_APPROVAL,
                event="second_approval_requested",
                data={"first_approver": actor.pk},
            )
            _copy_state(locked, application)
            return application
    elif locked.status == Status.AWAITING_SECOND_APPROVAL:
        _require_second_approver(actor, locked)
    else:
        raise CaseError(
            _("This application cannot be approved while it is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    second = locked.status == Status.AWAITING_SECOND_APPROVAL
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.APPROVED,
        event="approved",
        reason=reason,
        message=reason or locked.decision_reason,
        data={"second_approver": actor.pk} if second else None,
    )
    definition = locked.service_version.definition
    if definition.get("fee_timing") == "on_approval" and locked.fee_amount > 0:
        charge_record(actor=actor, application=locked)
    application_status_changed_on_commit(locked, "approved")
    _copy_state(locked, application)
    return application


@transaction.atomic
def case_reject(*, actor: User, application: Application, reason: str) -> Application:
    """Reject, with a reason the resident reads. When the service says so, whatever was paid
    is refunded automatically (``payments.services.refund_for_rejection``)."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    reason = _required_text(
        reason,
        field="reason",
        message=_("Enter the reason for rejecting the application."),
        max_length=MESSAGE_MAX_LENGTH,
    )
    if locked.status in (Status.SUBMITTED, Status.INFO_REQUESTED):
        _require_handler(actor, locked)
    elif locked.status == Status.AWAITING_SECOND_APPROVAL:
        _require_second_approver(actor, locked)
    else:
        raise CaseError(
            _("This application cannot be rejected while it is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.REJECTED,
        event="rejected",
        reason=reason,
        message=reason,
    )
    try:
        refunds = refund_for_rejection(actor=actor, application=locked)
    except ValidationError as exc:  # pragma: no cover - payments refused its own refund
        raise CaseError(" ".join(exc.messages)) from exc
    for entry in refunds:
        record_event(
            locked,
            "refunded",
            actor=actor,
            data={"amount": entry.amount, "currency": entry.currency, "ledger_entry": entry.pk},
        )
    application_status_changed_on_commit(locked, "rejected")
    _copy_state(locked, application)
    return application


@transaction.atomic
def case_return(*, actor: User, application: Application, reason: str) -> Application:
    """The second officer sends a first approval back (internal reason): the case is waiting
    for a decision again and the first approval no longer counts."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    reason = _required_text(
        reason,
        field="reason",
        message=_("Enter why you are sending the decision back."),
        max_length=MESSAGE_MAX_LENGTH,
    )
    if locked.status != Status.AWAITING_SECOND_APPROVAL:
        raise CaseError(_("Only a decision waiting for a second approval can be sent back."))
    _require_second_approver(actor, locked)
    first_approver = locked.first_approver_id
    Application.objects.filter(pk=locked.pk).update(first_approver=None, decision_reason="")
    application_transition(
        actor=actor,
        application=locked,
        to_status=Status.SUBMITTED,
        event="returned",
        message=reason,
        internal=True,
        data={"first_approver": first_approver},
    )
    _copy_state(locked, application)
    return application


@transaction.atomic
def case_issue(*, actor: User, application: Application) -> IssuedPermit:
    """Issue the signed permit of an approved application (once its fee, if any, is paid)."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    if locked.status != Status.APPROVED:
        raise CaseError(_("Only an approved application can be issued."))
    if amount_due(locked) > 0:
        raise CaseError(_("The fee has not been paid yet: the permit can be issued once it is."))
    try:
        permit = permit_issue(actor=actor, application=locked)
    except ValidationError as exc:
        raise CaseError(" ".join(exc.messages)) from exc
    application_status_changed_on_commit(locked, "issued")
    locked.refresh_from_db()
    _copy_state(locked, application)
    return permit


@transaction.atomic
def case_revoke(*, actor: User, application: Application, reason: str) -> IssuedPermit:
    """Revoke the permit of an issued application, with a reason the resident reads; the
    public verification page then says it is revoked."""
    locked = _lock(application)
    _require_case_role(actor, locked)
    reason = _required_text(
        reason,
        field="reason",
        message=_("Enter the reason for revoking the permit."),
        max_length=MESSAGE_MAX_LENGTH,
    )
    permit = IssuedPermit.objects.filter(application=locked).first()
    if locked.status != Status.ISSUED or permit is None:
        raise CaseError(_("Only an issued permit can be revoked."))
    permit = permit_revoke(actor=actor, permit=permit, reason=reason)
    Application.objects.filter(pk=locked.pk).update(decision_reason=reason)
    application_status_changed_on_commit(locked, "revoked")
    locked.refresh_from_db()
    _copy_state(locked, application)
    return permit
