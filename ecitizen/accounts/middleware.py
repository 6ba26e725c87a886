"""Who is asking, worked out once per request."""

from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest


class EagerAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with ``request.user`` loaded at once rather than behind a lazy proxy: every
    request asks who it is (language, staff timeout, no-store, the header), and each read
    through the proxy costs several Python calls (a signed-in page made ~200 of them). A
    request without a session cookie still runs no query."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # also ``request.auser`` for async views
        request.user = auth.get_user(request)
