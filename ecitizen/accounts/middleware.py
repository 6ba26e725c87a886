"""Who is asking, worked out once per request."""

from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest

from ecitizen.accounts.backends import authenticating_session


class EagerAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with ``request.user`` loaded at once rather than behind a lazy proxy: every
    request asks who it is (language, staff timeout, no-store, the header), and each read
    through the proxy costs several Python calls (a signed-in page made ~200 of them). A
    request without a session cookie still runs no query."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # also ``request.auser`` for async views
        # The session's statement reads its person too: Django's checks (backend, session
        # hash, active account) then run on that row instead of a query of their own.
        token = authenticating_session.set(request.session)
        try:
            request.user = auth.get_user(request)
        finally:
            authenticating_session.reset(token)
