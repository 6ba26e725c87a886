from django.http import HttpRequest

from ecitizen.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind ``login_required`` or ``staff_required``: ``user`` is a real User."""

    user: User  # type: ignore[assignment]
