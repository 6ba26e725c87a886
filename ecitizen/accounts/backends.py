"""Authentication backends: Django's and allauth's, loading the signed-in user more cheaply."""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from ecitizen.accounts.models import User


class _UserWithProfile:
    """The user of every signed-in request comes with their profile in the same query: the
    language middleware, the header and most pages read it. The encrypted national ID is
    left out (decrypted only when something reads it)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = (
                User._default_manager.select_related("profile")
                .defer("profile__national_id")
                .get(pk=user_id)
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_UserWithProfile, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserWithProfile, AllauthBackend):
    pass
