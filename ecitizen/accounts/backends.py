"""Authentication backends: Django's and allauth's, loading the signed-in user more cheaply."""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection
from django.utils import timezone

from ecitizen.accounts.models import Profile, User
from ecitizen.accounts.selectors import SECOND_FACTOR_AT_SIGN_IN
from ecitizen.core.rows import JoinedRows, Part
from ecitizen.notifications.selectors import UNREAD_AT_REQUEST_START, unread_count_sql

#: The user with their profile (the encrypted national ID left deferred, read on use), whether
#: they have a second factor (``selectors.has_second_factor``) and their unread count for the
#: header (``notifications.selectors.unread_count``): one statement for every signed-in request.
USER_WITH_PROFILE = JoinedRows(
    "SELECT {columns},"  # noqa: S608 - our own SQL, no outside values
    ' EXISTS(SELECT 1 FROM "mfa_authenticator" "a" WHERE "a"."user_id" = "u"."id"),'
    f" {unread_count_sql('"u"."id"', '"p"."area_id"')}"
    ' FROM "accounts_user" "u"'
    ' LEFT OUTER JOIN "accounts_profile" "p" ON "p"."user_id" = "u"."id" WHERE "u"."id" = %s',
    Part(User, "u"),
    Part(Profile, "p", deferred=("national_id",)),
    annotations=(SECOND_FACTOR_AT_SIGN_IN, UNREAD_AT_REQUEST_START),
)


def user_with_profile(user_id: Any) -> User | None:
    """One statement, no ORM query building: this runs on every signed-in request."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    instances = USER_WITH_PROFILE.fetch_one([now, now, int(user_id)])
    if instances is None:
        return None
    user, profile = instances
    assert isinstance(user, User)
    link_profile(user, profile)
    return user


def link_profile(user: User, profile: Any) -> None:
    """As ``select_related("profile")`` leaves them: ``user.profile`` answers without a query
    (or raises ``Profile.DoesNotExist`` at once when there is none)."""
    User.profile.related.set_cached_value(user, profile)  # type: ignore[attr-defined]
    if profile is not None:
        Profile.user.field.set_cached_value(profile, user)


class _UserWithProfile:
    """The user of every signed-in request comes with their profile in the same query: the
    language middleware, the header and most pages read it."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = user_with_profile(user_id)
        except (TypeError, ValueError):
            return None
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_UserWithProfile, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserWithProfile, AllauthBackend):
    pass
