"""Who may use a view. Deny by default: views declare the roles they serve."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ecitizen.accounts.selectors import has_second_factor, user_has_role

View = Callable[..., HttpResponse]


def staff_required(*roles: str) -> Callable[[View], View]:
    """Only staff holding one of ``roles`` (any staff role if none), and only once they have
    enrolled a second factor. Others get 404, so staff pages are not even confirmed to exist."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(user, *roles):  # type: ignore[arg-type]
                raise Http404
            if not has_second_factor(user):
                messages.warning(
                    request,
                    _("Staff must set up two-factor authentication before using staff pages."),
                )
                return redirect("mfa_activate_totp")
            return view(request, *args, **kwargs)

        wrapper.staff_only = True  # type: ignore[attr-defined]
        return wrapper

    return decorator
