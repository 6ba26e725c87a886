"""Who is calling the API: a bearer token (any method) or, for reads only, the browser session.

``request.auth`` is an ``ApiPrincipal``. Each endpoint states the scopes it needs with
``api_auth(...)``; checks run in this order: credentials (401), rate limit (429), scopes (403).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer

from ecitizen.accounts.models import User
from ecitizen.api import ratelimit
from ecitizen.api.errors import InsufficientScope, InvalidToken, RateLimited
from ecitizen.api.models import ApiToken
from ecitizen.api.selectors import api_token_from_plaintext
from ecitizen.api.services import api_token_mark_used

SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class ApiPrincipal:
    """The person the request acts for, and through which token (``None`` for a session).
    ``scopes`` is ``None`` for a browser session: the person themself, reading only."""

    user: User
    token: ApiToken | None = None
    scopes: frozenset[str] | None = None

    def missing_scopes(self, required: Iterable[str]) -> list[str]:
        if self.scopes is None:
            return []
        return [scope for scope in required if scope not in self.scopes]


def _enforce_rate_limit(key: str) -> None:
    retry_after = ratelimit.hit(key, ratelimit.parse_rate(settings.API_TOKEN_RATE_LIMIT))
    if retry_after is not None:
        raise RateLimited(retry_after)


def _check_scopes(principal: ApiPrincipal, required: tuple[str, ...]) -> None:
    missing = principal.missing_scopes(required)
    if missing:
        raise InsufficientScope(missing)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ect_…``. A token that is unknown, revoked or expired, or whose
    owner is deactivated, answers 401 at once (no fallback to the session)."""

    openapi_bearerFormat = "ect_<prefix>_<secret>"
    openapi_description = (
        "An API token created on the 'API tokens' page of your account. "
        "Each endpoint lists the scopes the token needs."
    )

    def __init__(self, scopes: Iterable[str] = ()) -> None:
        self.required_scopes = tuple(scopes)
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiPrincipal:
        api_token = api_token_from_plaintext(token.strip())
        if api_token is None:
            raise InvalidToken(_("This API token is not valid."))
        now = timezone.now()
        status = api_token.status_at(now)
        if status == ApiToken.Status.REVOKED:
            raise InvalidToken(_("This API token has been revoked."))
        if status == ApiToken.Status.EXPIRED:
            raise InvalidToken(_("This API token has expired."))
        if not api_token.user.is_active:
            raise InvalidToken(_("This API token is not valid."))
        _enforce_rate_limit(f"token:{api_token.prefix}")
        api_token_mark_used(token=api_token, now=now)
        principal = ApiPrincipal(
            user=api_token.user, token=api_token, scopes=frozenset(api_token.scopes)
        )
        _check_scopes(principal, self.required_scopes)
        return principal


class SessionReadAuth(APIKeyCookie):
    """The signed-in browser session, for GET requests only (so no CSRF exposure)."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "Your browser session when signed in to the site; read-only (GET)."

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiPrincipal | None:
        user = request.user
        if request.method not in SAFE_METHODS or not user.is_authenticated:
            return None
        _enforce_rate_limit(f"user:{user.pk}")
        return ApiPrincipal(user=user)  # type: ignore[arg-type]


def api_auth(*scopes: str, session: bool = True) -> list[TokenAuth | SessionReadAuth]:
    """The ``auth=`` of an endpoint needing ``scopes``; ``session=True`` (GET endpoints only)
    also lets a signed-in browser read it."""
    callbacks: list[TokenAuth | SessionReadAuth] = [TokenAuth(scopes)]
    if session:
        callbacks.append(SessionReadAuth())
    return callbacks
