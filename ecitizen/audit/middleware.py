import re
import secrets
from collections.abc import Callable
from functools import partial

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse

from ecitizen.audit import context

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as sign-in rate limits see it (``ALLAUTH_TRUSTED_PROXY_COUNT``
    proxies in front), else the peer address."""
    from allauth.account.adapter import get_adapter

    try:
        return context.normalize_ip(get_adapter(request).get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):  # no address; fewer hops than proxies
        return context.normalize_ip(request.META.get("REMOTE_ADDR"))


class RequestContextMiddleware:
    """Gives every request an id (kept from a trusted ``X-Request-ID`` if well-formed) and
    makes it and the client IP available to audit services; echoes the id in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.set_current(
            context.RequestContext(request_id=request_id, client_ip=partial(client_ip, request))
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
