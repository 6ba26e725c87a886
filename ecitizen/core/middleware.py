"""Cross-cutting request handling: the user's language, staff idle timeout, no-store, the
content security policy."""

import time
from collections.abc import Callable, Collection, Mapping
from typing import cast

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import csp
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.csp import CSP, build_policy
from django.utils.functional import SimpleLazyObject
from django.utils.http import http_date

SESSION_LANGUAGE_KEY = "ecitizen_language"
SESSION_LAST_SEEN_KEY = "ecitizen_last_seen"
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"

Handler = Callable[[HttpRequest], HttpResponse]
Policy = Mapping[str, Collection[str] | str]


def remember_language(request: HttpRequest, language: str) -> None:
    request.session[SESSION_LANGUAGE_KEY] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language  # type: ignore[attr-defined]


class LanguageMiddleware(LocaleMiddleware):
    """Django's ``LocaleMiddleware`` for URLs without language prefixes (the platform uses no
    ``i18n_patterns``), with the language saved in a signed-in person's session ahead of
    their browser's. Their profile's language is put there on their first request (see
    ``UserLanguageMiddleware``), so they see it on every device."""

    def process_request(self, request: HttpRequest) -> None:
        language = request.session.get(SESSION_LANGUAGE_KEY)
        translation.activate(language or translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class UserLanguageMiddleware:
    """A signed-in person's first request: their profile's language goes into the session."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and SESSION_LANGUAGE_KEY not in request.session:
            from ecitizen.accounts.selectors import profile_for

            language = profile_for(request.user).preferred_language  # type: ignore[arg-type]
            remember_language(request, language)
        return self.get_response(request)


class StaffSessionTimeoutMiddleware:
    """Staff sessions end after ``STAFF_IDLE_TIMEOUT_SECONDS`` without a request."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from ecitizen.accounts.selectors import staff_roles

        user = request.user
        if user.is_authenticated and staff_roles(user):  # type: ignore[arg-type]
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY, now)
            if now - last_seen > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= 60 or SESSION_LAST_SEEN_KEY not in request.session:
                request.session[SESSION_LAST_SEEN_KEY] = now  # a write at most once a minute
        return self.get_response(request)


_expires: tuple[int, str] = (0, "")


def _http_date_now() -> str:
    """``http_date()``, formatted once a second (formatting a date cost more than all of a
    page's other headers)."""
    global _expires
    now = int(time.time())
    if _expires[0] != now:
        _expires = (now, http_date(now))
    return _expires[1]


def never_cache(response: HttpResponse) -> None:
    """``add_never_cache_headers``, without parsing headers when the view set none."""
    if "Cache-Control" in response or "Expires" in response:
        add_never_cache_headers(response)  # merged with what the view set
    else:
        response["Cache-Control"] = NEVER_CACHE
        response["Expires"] = _http_date_now()


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in person must not be kept by browsers or shared caches."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            never_cache(response)
        return response


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's, with each policy built once: without a nonce (ours has none) a policy gives
    the same header on every response, and building it took more Python calls than the
    bare view."""

    _built: dict[int, tuple[Policy, str]] = {}

    def _header(self, config: Policy, nonce: SimpleLazyObject | None) -> str:
        built = self._built.get(id(config))
        if built is not None and built[0] is config:
            return built[1]
        header = build_policy(config, nonce)
        if str(CSP.NONCE) not in repr(config):  # a nonce changes with every response
            self._built[id(config)] = (config, header)
        return header

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # As Django's: a view's own policy (or none) wins, and a header already set is kept.
        for header, attribute, default in (
            (CSP.HEADER_ENFORCE, "_csp_config", settings.SECURE_CSP),
            (CSP.HEADER_REPORT_ONLY, "_csp_ro_config", settings.SECURE_CSP_REPORT_ONLY),
        ):
            config = cast(Policy, getattr(response, attribute, default))
            if config and header not in response:
                response.headers[str(header)] = self._header(config, csp.get_nonce(request))
        return response
