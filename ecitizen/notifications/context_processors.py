from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_unread`` for the header, counted only if a template shows it."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}

    def count() -> int:
        from ecitizen.notifications.selectors import unread_count

        return unread_count(user)  # type: ignore[arg-type]

    return {"inbox_unread": SimpleLazyObject(count)}
