from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ecitizen.core.middleware import remember_language
from ecitizen.core.selectors import health_report


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/pages/privacy.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/pages/accessibility.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, in the request's language: made without the database, the session or
    the context processors, since any of them may be what failed."""
    context = {"PLATFORM_NAME": settings.PLATFORM_NAME, "LANGUAGE_CODE": get_language()}
    return HttpResponseServerError(render_to_string("500.html", context))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=503 if report["status"] == "error" else 200)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language (works without JavaScript); remembered on the profile when signed in."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        raise BadRequest("Unknown language")  # the 400 page, in the current language
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    if request.user.is_authenticated:
        from ecitizen.accounts.services import user_set_language

        user_set_language(actor=request.user, language=language)  # type: ignore[arg-type]
        remember_language(request, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
