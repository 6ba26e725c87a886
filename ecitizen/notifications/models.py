"""Messages to residents (an outbox, one row per recipient and channel), their templates, the
residents' preferences, and alerts by area.

Area alerts are not copied into every resident's inbox: the inbox reads the alerts of the
resident's area when it is shown, and a resident's read state is stored only once they
open or dismiss one (``AlertRead``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    APPLICATIONS = "applications", _("My applications")
    PAYMENTS = "payments", _("Payments and receipts")
    PARTICIPATION = "participation", _("Consultations and budgets")
    ALERT_EMERGENCY = "alert_emergency", _("Emergency alerts")
    ALERT_WARNING = "alert_warning", _("Warnings")
    ALERT_ADVISORY = "alert_advisory", _("Advisories")
    ALERT_DISRUPTION = "alert_disruption", _("Service disruptions")


class Channel(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")


class Message(models.Model):
    """One message to one resident on one channel. Written in the same transaction as the
    event that causes it (the outbox), then delivered by tasks."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # The message id: the Message-ID of the email, the reference given to the SMS provider.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices)
    event = models.CharField(_("event"), max_length=60)
    language = models.CharField(max_length=8, default="en")
    # No index of its own: notif_alert_status and unique_alert_message both start with it
    # (every index is one more write per status change of a million alert messages).
    alert = models.ForeignKey(
        "Alert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    # Rendered at creation for personal messages; empty for alert messages (rendered from the
    # alert at send time, so a million messages do not store a million copies of the text).
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    data = models.JSONField(default=dict, blank=True)  # url, attachments
    to = models.CharField(max_length=254, blank=True)  # email address or phone number
    idempotency_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CREATED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_reason = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The inbox page, newest first (email and SMS rows are not in it).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=models.Q(channel="inbox"),
                name="notif_inbox_page",
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(channel="inbox", read_at__isnull=True, archived_at__isnull=True),
                name="notif_unread",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["created", "sending"]),
                name="notif_pending",
            ),
            models.Index(fields=["alert", "channel", "status"], name="notif_alert_status"),
            # SMS receipts name the provider's id; email has none.
            models.Index(
                fields=["provider", "provider_ref"],
                condition=~models.Q(provider_ref=""),
                name="notif_provider_ref_set",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_message_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["alert", "recipient", "channel"],
                condition=models.Q(alert__isnull=False),
                name="unique_alert_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.uuid}"


class MessageTemplate(models.Model):
    """One version of the wording of an event on a channel in a language. The newest version
    is used; without one, the built-in (translated) wording is."""

    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("message"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "channel", "language", "-version"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "language", "version"], name="unique_template_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event}/{self.channel}/{self.language} v{self.version}"


class Preferences(models.Model):
    """A resident's choice of channels per topic, and quiet hours. Without a row (or a topic
    in it), the defaults in ``ecitizen.notifications.preferences`` apply."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    channels = models.JSONField(default=dict, blank=True)  # {topic: ["email", "sms"]}
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class Alert(models.Model):
    """An alert for one or more districts (or everyone), published as a CAP 1.2 message."""

    class Severity(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        WARNING = "warning", _("Warning")
        ADVISORY = "advisory", _("Advisory")
        DISRUPTION = "disruption", _("Service disruption")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Not approved")

    class MsgType(models.TextChoices):
        ALERT = "alert", _("New alert")
        UPDATE = "update", _("Update")
        CANCEL = "cancel", _("Cancellation")

    identifier = models.CharField(max_length=120, unique=True)
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    all_areas = models.BooleanField(_("every district"), default=False)
    areas = models.ManyToManyField("core.Area", verbose_name=_("districts"), blank=True)
    title = models.JSONField(_("title"), default=dict)
    body = models.JSONField(_("what is happening"), default=dict)
    instructions = models.JSONField(_("what to do"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    expires_at = models.DateTimeField(_("expires"))
    msg_type = models.CharField(max_length=8, choices=MsgType.choices, default=MsgType.ALERT)
    references = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("updates or cancels"),
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    # Set when a later update or cancellation of this alert is published.
    replaced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    fanout_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["status", "expires_at"], name="notif_alert_active")]

    def __str__(self) -> str:
        from ecitizen.core.i18n import tr

        return tr(self.title)

    @property
    def topic(self) -> str:
        return f"alert_{self.severity}"


class AlertRead(models.Model):
    """A resident's read state of an area alert, stored only once they open or dismiss it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="unique_alert_read")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.alert_id}"
