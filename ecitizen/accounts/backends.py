"""Authentication backends: Django's and allauth's, loading the signed-in user more cheaply."""

from contextvars import ContextVar
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection
from django.utils import timezone

from ecitizen.accounts.models import Profile, User
from ecitizen.accounts.selectors import (
    SECOND_FACTOR_AT_REQUEST_START,
    STAFF_ROLE_PARTS,
    remember_staff_roles,
)
from ecitizen.core.rows import JoinedRows, Part
from ecitizen.notifications.selectors import UNREAD_AT_REQUEST_START, unread_count_sql

# The user with their profile (the encrypted national ID left deferred, read on use), their
# staff roles with their agencies (a row for each; none joined for a resident), whether they
# have a second factor (``selectors.has_second_factor``) and their unread count for the header
# (``notifications.selectors.unread_count``). Two parameters: the time, twice.
_PERSON_COLUMNS = (
    "{columns},"  # noqa: S608 - our own SQL
    ' EXISTS(SELECT 1 FROM "mfa_authenticator" "a" WHERE "a"."user_id" = "u"."id"),'
    f" {unread_count_sql('"u"."id"', '"p"."area_id"')}"
)
_PERSON_JOINS = (
    ' LEFT OUTER JOIN "accounts_profile" "p" ON "p"."user_id" = "u"."id"'
    ' LEFT OUTER JOIN "accounts_staffrole" "r"'
    ' ON "r"."user_id" = "u"."id" AND "u"."has_staff_roles"'
    ' LEFT OUTER JOIN "core_agency" "ra" ON "ra"."id" = "r"."agency_id"'
)
_PERSON_PARTS = (
    Part(User, "u"),
    Part(Profile, "p", deferred=("national_id",)),
    *STAFF_ROLE_PARTS,
)
_ROLES_AT = len(_PERSON_PARTS) - len(STAFF_ROLE_PARTS)  # a row's role and agency: the last parts
_PERSON_ANNOTATIONS = (SECOND_FACTOR_AT_REQUEST_START, UNREAD_AT_REQUEST_START)

USER_WITH_PROFILE = JoinedRows(
    f'SELECT {_PERSON_COLUMNS} FROM "accounts_user" "u"{_PERSON_JOINS}'  # noqa: S608 - our own SQL
    ' WHERE "u"."id" = %s ORDER BY "r"."id"',
    *_PERSON_PARTS,
    annotations=_PERSON_ANNOTATIONS,
)

#: A session with its signed-in person, if any (``accounts.sessions.SessionStore.load``).
SESSION_WITH_USER = JoinedRows(
    f'SELECT {_PERSON_COLUMNS}, "s"."session_data" FROM "accounts_session" "s"'  # noqa: S608
    ' LEFT OUTER JOIN "accounts_user" "u" ON "u"."id" = "s"."user_id"'
    f"{_PERSON_JOINS}"
    ' WHERE "s"."session_key" = %s AND "s"."expire_date" > %s ORDER BY "r"."id"',
    *_PERSON_PARTS,
    annotations=(*_PERSON_ANNOTATIONS, "session_data"),
)

#: The session whose person is being authenticated (set around ``auth.get_user`` by
#: ``accounts.middleware``): its statement has already read that person.
authenticating_session: ContextVar[Any] = ContextVar("authenticating_session", default=None)


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _person(rows: list[tuple[list[Any], dict[str, Any]]]) -> User | None:
    """The person of ``_PERSON_PARTS`` rows (one a staff role), or None if there is none."""
    (user, profile, *_roles), annotations = rows[0]
    if user is None:
        return None
    assert isinstance(user, User)
    for name in _PERSON_ANNOTATIONS:
        setattr(user, name, annotations[name])
    link_profile(user, profile)
    remember_staff_roles(user, (instances[_ROLES_AT:] for instances, _ in rows))
    return user


def user_with_profile(user_id: Any) -> User | None:
    """One statement, no ORM query building: this runs on every signed-in request."""
    now = _now()
    rows = USER_WITH_PROFILE.fetch_rows([now, now, int(user_id)])
    return _person(rows) if rows else None


def session_with_user(session_key: str) -> tuple[str, User | None] | None:
    """A session's data (still signed) and its signed-in person, or None if there is no such
    session or it has expired."""
    now = _now()
    rows = SESSION_WITH_USER.fetch_rows([now, now, session_key, now])
    if not rows:
        return None
    return rows[0][1]["session_data"], _person(rows)


def link_profile(user: User, profile: Any) -> None:
    """As ``select_related("profile")`` leaves them: ``user.profile`` answers without a query
    (or raises ``Profile.DoesNotExist`` at once when there is none)."""
    User.profile.related.set_cached_value(user, profile)  # type: ignore[attr-defined]
    if profile is not None:
        Profile.user.field.set_cached_value(profile, user)


class _UserWithProfile:
    """The user of every signed-in request comes with their profile in the same query: the
    language middleware, the header and most pages read it; for a session, that query is the
    session's own."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = getattr(authenticating_session.get(), "prefetched_user", None)
            if user is None or user.pk != int(user_id):
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
