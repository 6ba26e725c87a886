"""Residents' applications, their documents and timeline, and the permits issued for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Statuses in which a case waits for the agency (Application.OPEN_STATUSES), as stored.
OPEN_STATUS_VALUES = ("submitted", "info_requested", "awaiting_second_approval")


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
        SUBMITTED = "submitted", _("Submitted")
        INFO_REQUESTED = "info_requested", _("Waiting for information from you")
        AWAITING_SECOND_APPROVAL = "awaiting_second_approval", _("Waiting for a second approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ISSUED = "issued", _("Issued")
        REVOKED = "revoked", _("Revoked")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired draft")

    OPEN_STATUSES = (Status.SUBMITTED, Status.INFO_REQUESTED, Status.AWAITING_SECOND_APPROVAL)

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    service_version = models.ForeignKey(
        "catalogue.ServiceVersion", on_delete=models.PROTECT, related_name="applications"
    )
    # Denormalised for queues: the service and agency never change for an application.
    service = models.ForeignKey("catalogue.Service", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("core.Agency", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    # Set when an assisted-service agent acts for the applicant (with recorded consent).
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_applications",
    )
    consent_note = models.TextField(blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    fee_amount = models.PositiveBigIntegerField(default=0)  # minor units
    currency = models.CharField(max_length=3, default="EUR")
    idempotency_key = models.CharField(max_length=80, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    first_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    draft_expires_at = models.DateTimeField(null=True, blank=True)
    draft_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # SLA clock: the due date moves when the clock is paused for an information request.
    due_date = models.DateField(null=True, blank=True)
    clock_paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        # The work queue filters by agency, service, status and SLA (due date) and orders by
        # due date, submission, id (``case_selectors.case_queue``); "My applications" lists
        # a resident's applications, the most recently changed first. Each index below
        # serves one of those as an ordered range scan, so a page costs the same at any size.
        indexes = [
            models.Index(
                fields=["agency", "status", "due_date", "submitted_at", "id"],
                name="app_queue_status_idx",
            ),
            models.Index(
                fields=["agency", "service", "status", "due_date", "submitted_at", "id"],
                name="app_queue_service_idx",
            ),
            models.Index(
                fields=["agency", "due_date", "submitted_at", "id"],
                condition=models.Q(status__in=OPEN_STATUS_VALUES),
                name="app_queue_open_idx",
            ),
            models.Index(
                fields=["agency", "service", "due_date", "submitted_at", "id"],
                condition=models.Q(status__in=OPEN_STATUS_VALUES),
                name="app_queue_open_service_idx",
            ),
            models.Index(fields=["applicant", "-updated_at", "-id"], name="app_mine_idx"),
            models.Index(fields=["assignee", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_application_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class CaseCount(models.Model):
    """Open cases (``Application.OPEN_STATUSES``) counted by agency, service, status, due
    date, clock paused or not, assigned or not: the work queue's summary and its page counts
    add these up instead of counting an agency's whole case load.

    Rows are deltas (+1 / -1), written by database triggers on the applications table in the
    same transaction as the change (so every write path is counted, bulk ones included, and
    two writers never wait for each other on a counter row). ``case_counts.compact`` folds
    them into one row per bucket (``manage.py case_counts --compact``, from cron);
    ``case_counts.rebuild`` recounts from the applications. The triggers are installed by
    migration 0003; on SQLite a migration that rebuilds the applications table drops them,
    and ``test_case_counts`` fails until they are installed again."""

    agency = models.ForeignKey(
        "core.Agency", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    service = models.ForeignKey(
        "catalogue.Service", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=30)
    due_date = models.DateField(null=True)
    paused = models.BooleanField()
    unassigned = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["agency", "service"], name="app_casecount_agency_idx")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.service_id}/{self.status}/{self.due_date}: {self.n:+d}"


class ApplicationEvent(models.Model):
    """One line of an application's timeline. Internal events are never shown to the resident."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind}"


class Document(models.Model):
    """A file uploaded for a question. Stored privately; served only as a download."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    question_id = models.CharField(max_length=60)
    file = models.FileField(upload_to="applications/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class InternalNote(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.application_id}"


class InfoRequest(models.Model):
    """Staff ask the resident for more information; the SLA clock is paused meanwhile."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="info_requests"
    )
    message = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"Information request on {self.application_id}"


class IssuedPermit(models.Model):
    """A permit or licence: its facts are signed (Ed25519, compact JWS) so anyone can verify it."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="permit")
    number = models.CharField(max_length=24, unique=True)
    facts = models.JSONField(default=dict)  # exactly what is signed; see docs/permits.md
    jws = models.TextField()
    key_id = models.CharField(max_length=64)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("issued permit")
        verbose_name_plural = _("issued permits")

    def __str__(self) -> str:
        return self.number
