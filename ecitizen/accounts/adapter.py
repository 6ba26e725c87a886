import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from ecitizen.audit.services import audit_record

security_log = logging.getLogger("ecitizen.security")


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        from ecitizen.accounts.models import Profile

        user = super().save_user(request, user, form, commit=commit)
        if commit:
            language = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
            Profile.objects.get_or_create(user=user, defaults={"preferred_language": language})
            audit_record(actor=user, action="accounts.user.signed_up", obj=user)
        return user

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Too many failed logins for one account (or from one address) answer 429 Too Many
        Requests, with a cool-off, never a permanent lock."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code != "too_many_login_attempts":
                raise
            security_log.warning(
                "login throttled for %s from %s",
                credentials.get("email", "?"),
                self.get_client_ip(request),
            )
            raise ImmediateHttpResponse(respond_429(request)) from exc

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        security_log.warning(
            "login failed for %s from %s",
            credentials.get("email", "?"),
            self.get_client_ip(request),
        )
        super().authentication_failed(request, **credentials)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("accounts:dashboard")
