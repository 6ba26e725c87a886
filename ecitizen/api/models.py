"""API tokens: long-lived credentials a person creates so an app can act for them."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "ect"  # noqa: S105 - a public marker, not a secret


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 hash of the secret is stored; ``prefix`` (not secret)
    identifies the token for look-up and display. Revoking keeps the row for the record."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        """What people see to recognise a token: the start of it, never the secret."""
        return f"{TOKEN_PREFIX}_{self.prefix}_…"

    def status_at(self, now: datetime.datetime) -> "ApiToken.Status":
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> "ApiToken.Status":
        return self.status_at(timezone.now())

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class RateCounter(models.Model):
    """Requests counted in the current fixed window, one row per caller (see ``ratelimit``)."""

    key = models.CharField(max_length=100, primary_key=True)
    window_number = models.BigIntegerField()  # Unix time // the rate's period
    hits = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} in window {self.window_number}"
