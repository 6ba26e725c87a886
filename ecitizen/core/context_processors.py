from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from ecitizen.accounts.selectors import staff_roles

    user = getattr(request, "user", None)
    is_staff_member = bool(user and user.is_authenticated and staff_roles(user))  # type: ignore[arg-type]
    return {"PLATFORM_NAME": settings.PLATFORM_NAME, "is_staff_member": is_staff_member}
