"""The /api/v1 NinjaAPI instance (mounted in config/urls.py)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI

from ecitizen.api import apis
from ecitizen.api.docs import LocalSwagger
from ecitizen.api.errors import error_response, install_error_handlers
from ecitizen.applications import apis as applications_apis
from ecitizen.catalogue import apis as catalogue_apis
from ecitizen.core.middleware import never_cache
from ecitizen.payments import apis as payments_apis


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Errors raised outside ninja's operations (unknown method, the API root) get the same
    JSON shape; authenticated answers are never cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404)
        if isinstance(response, HttpResponseNotAllowed):
            return error_response(405, headers={"Allow": response["Allow"]})
        if getattr(request, "auth", None) is not None:
            never_cache(response)
        return response

    return wrapper


def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404)


class EcitizenAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors(pattern.callback)
        # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
        urls.append(re_path(r"^.*$", _not_found, name="not-found"))
        return urls


api = EcitizenAPI(
    title=f"{settings.PLATFORM_NAME} API",
    version="1",
    urls_namespace="api",
    description=(
        "Act for a resident with their consent. Create a token on the 'API tokens' page of "
        "your account and send it as `Authorization: Bearer <token>`. Each endpoint names "
        "the scopes it needs (`x-required-scopes`). Requests are rate limited per token; "
        "over the limit the API answers 429 with `Retry-After`. Every error has the shape "
        '`{"error": {"code": "…", "message": "…", "details": [{"code", "message", "field"}]}}`.'
    ),
    docs=LocalSwagger(),
)
install_error_handlers(api)
api.add_router("", apis.router)
api.add_router("", catalogue_apis.router)
api.add_router("", applications_apis.router)
api.add_router("", applications_apis.cases_router)
api.add_router("", payments_apis.router)
