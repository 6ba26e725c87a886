"""The audit trail (hash-chained, append-only) and the personal-data access log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One write made through a service function.

    ``seq`` is gapless and ``entry_hash`` covers the previous entry's hash, so an altered,
    inserted or deleted entry breaks the chain (see ``manage.py audit_verify``).
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=120, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The newest entry of the chain (a single row), moved forward in the same transaction as
    each append. Deleting the newest entries leaves no gap in ``seq``, but it leaves the head
    pointing past the end of the chain, which ``audit_verify`` reports."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")
        ]

    def __str__(self) -> str:
        return f"head at #{self.seq}"


class PersonalDataAccess(models.Model):
    """A member of staff read someone's personal data: shown on that person's
    "Who accessed my data" page."""

    class Purpose(models.TextChoices):
        CASE_HANDLING = "case_handling", _("Handling your application")
        SUPPORT = "support", _("Helping you at your request")
        ASSISTED_SERVICE = "assisted_service", _("Assisted service at a counter")
        ACCOUNT_ADMINISTRATION = "account_administration", _("Account administration")
        FRAUD_PREVENTION = "fraud_prevention", _("Fraud prevention")
        LEGAL_OBLIGATION = "legal_obligation", _("A legal obligation")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    accessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accessor_role = models.CharField(max_length=100)
    agency = models.ForeignKey("core.Agency", null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_accesses"
    )
    what = models.CharField(max_length=200)
    purpose = models.CharField(max_length=40, choices=Purpose.choices)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"])]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return f"{self.accessor_role} → {self.subject_id}: {self.what}"
