"""One JSON shape for every API error, whatever raised it:

    {"error": {"code": "not_found", "message": "…", "details": [{"code", "message", "field"}]}}

``message`` is translated into the request's language; ``code`` is stable for programs.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

REALM = 'Bearer realm="api"'

STATUS_CODES: dict[int, tuple[str, Promise]] = {
    400: ("bad_request", _("The request could not be understood.")),
    401: ("not_authenticated", _("Send a valid API token: Authorization: Bearer <token>.")),
    403: ("permission_denied", _("You do not have permission to do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    422: ("validation_error", _("Some of the data sent is not valid.")),
    429: ("rate_limited", _("Too many requests. Wait before trying again.")),
    500: ("server_error", _("Something went wrong on our side. Try again later.")),
}

# Translated messages for the pydantic error types people meet most; others keep pydantic's.
_VALIDATION_MESSAGES: dict[str, Promise] = {
    "missing": _("This field is required."),
    "int_parsing": _("Enter a whole number."),
    "int_type": _("Enter a whole number."),
    "string_type": _("Enter text."),
    "string_too_long": _("This text is too long."),
    "string_too_short": _("This text is too short."),
    "bool_parsing": _("Enter true or false."),
    "datetime_parsing": _("Enter a date and time in ISO 8601 format."),
    "datetime_from_date_parsing": _("Enter a date and time in ISO 8601 format."),
    "date_from_datetime_parsing": _("Enter a date in ISO 8601 format (YYYY-MM-DD)."),
    "greater_than_equal": _("This number is too small."),
    "less_than_equal": _("This number is too large."),
    "json_invalid": _("The request body is not valid JSON."),
    "literal_error": _("This value is not one of the allowed choices."),
    "enum": _("This value is not one of the allowed choices."),
}


def error_detail(code: str, message: Any, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "field": field}


def error_response(
    status: int,
    *,
    code: str | None = None,
    message: Any = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    default_code, default_message = STATUS_CODES.get(status, STATUS_CODES[400])
    body = {
        "error": {
            "code": code or default_code,
            "message": str(message if message is not None else default_message),
            "details": details or [],
        }
    }
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ApiError(Exception):
    """Raise from API code for a clean JSON error; subclasses set status and code."""

    status_code = 400
    code = "bad_request"
    default_message: Any = STATUS_CODES[400][1]

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.details = details or []
        self.headers = headers or {}
        super().__init__(str(self.message))

    def response(self) -> HttpResponse:
        return error_response(
            self.status_code,
            code=self.code,
            message=self.message,
            details=self.details,
            headers=self.headers,
        )


class NotAuthenticated(ApiError):
    status_code = 401
    code = "not_authenticated"
    default_message = STATUS_CODES[401][1]

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": REALM})
        super().__init__(message, **kwargs)


class InvalidToken(NotAuthenticated):
    code = "invalid_token"

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        super().__init__(message, **kwargs)


class PermissionDenied(ApiError):
    status_code = 403
    code = "permission_denied"
    default_message = STATUS_CODES[403][1]


class InsufficientScope(PermissionDenied):
    code = "insufficient_scope"

    def __init__(self, missing: list[str]) -> None:
        scopes = " ".join(missing)
        super().__init__(
            _("This token does not have the permission this needs."),
            details=[
                error_detail("missing_scope", _("Missing scope: %(scope)s") % {"scope": name})
                for name in missing
            ],
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scopes}"'},
        )


class NotFound(ApiError):
    status_code = 404
    code = "not_found"
    default_message = STATUS_CODES[404][1]


class RateLimited(ApiError):
    status_code = 429
    code = "rate_limited"
    default_message = STATUS_CODES[429][1]

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(headers={"Retry-After": str(retry_after)})


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        kind = str(error.get("type", "invalid"))
        message = _VALIDATION_MESSAGES.get(kind, error.get("msg", ""))
        details.append(error_detail(kind, message, ".".join(loc) or None))
    return details


def _django_validation_details(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            error_detail(
                error.code or "invalid", " ".join(error.messages), None if f == "__all__" else f
            )
            for f, errors in exc.error_dict.items()
            for error in errors
        ]
    return [
        error_detail(error.code or "invalid", " ".join(error.messages)) for error in exc.error_list
    ]


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers so every error has the shape above."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return exc.response()

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(422, details=_validation_details(exc.errors))

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return error_response(422, details=_django_validation_details(exc))

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, headers={"WWW-Authenticate": REALM})

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
        return error_response(429, headers=headers)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code if exc.status_code in STATUS_CODES else 400
        details = [error_detail(STATUS_CODES[status][0], exc.message)] if exc.message else []
        return error_response(status, details=details)

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404)

    def on_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return error_response(403)

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in API view %s", request.path, exc_info=exc)
        return error_response(500)

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (ApiError, on_api_error),
        (NinjaValidationError, on_ninja_validation),
        (DjangoValidationError, on_django_validation),
        (AuthenticationError, on_authentication),
        (Throttled, on_throttled),
        (HttpError, on_http_error),
        (Http404, on_404),
        (DjangoPermissionDenied, on_permission_denied),
        (Exception, on_exception),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
