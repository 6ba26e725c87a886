from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def platform(request: HttpRequest) -> dict[str, Any]:
    from ecitizen.accounts.selectors import staff_roles

    user = getattr(request, "user", None)
    is_staff_member = bool(user and user.is_authenticated and staff_roles(user))  # type: ignore[arg-type]
    return {"PLATFORM_NAME": settings.PLATFORM_NAME, "is_staff_member": is_staff_member}


def csrf(request: HttpRequest) -> dict[str, Any]:
    """``csrf_token`` for templates, as Django's built-in processor gives it (lazily, so a
    page without a form sets no cookie) but made by ``ecitizen.core.csrf.masked_token``."""
    from ecitizen.core.csrf import masked_token

    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}
