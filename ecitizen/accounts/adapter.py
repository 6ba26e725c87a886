import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
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

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        security_log.warning(
            "login failed for %s from %s",
            credentials.get("email", "?"),
            self.get_client_ip(request),
        )
        super().authentication_failed(request, **credentials)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("accounts:dashboard")
