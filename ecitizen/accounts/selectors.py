"""Reads about people, scoped to what the requester may see."""

from collections.abc import Iterable, Sequence

from allauth.mfa.models import Authenticator
from django.db import connection
from django.db.models import Model, QuerySet

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.core import crypto
from ecitizen.core.models import Agency
from ecitizen.core.rows import JoinedRows, Part

NATIONAL_ID_CONTEXT = "accounts.profile.national_id"


def normalize_national_id(value: str) -> str:
    return "".join(value.split()).upper().replace("-", "")


def national_id_hash(value: str) -> str:
    return crypto.lookup_hash(normalize_national_id(value), context=NATIONAL_ID_CONTEXT)


def profile_for(user: User) -> Profile:
    """The user's own profile, created empty on first use."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile


#: Set by the person's statement (``backends.SESSION_WITH_USER``): whether the person had
#: a second factor when their request began, which is when every check of it is made.
SECOND_FACTOR_AT_REQUEST_START = "second_factor_enrolled"


def has_second_factor(user: User) -> bool:
    """Whether the person has enrolled any second factor: allauth's ``is_mfa_enabled``, as one
    written-out statement (or none for the session's user, whose statement answers it),
    since every staff page and the account page ask it."""
    if not user.is_authenticated:
        return False
    known = getattr(user, SECOND_FACTOR_AT_REQUEST_START, None)
    if known is not None:
        return bool(known)
    table = connection.ops.quote_name(Authenticator._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE user_id = %s LIMIT 1", [user.pk])  # noqa: S608
        return cursor.fetchone() is not None


def profile_by_national_id(national_id: str) -> Profile | None:
    return (
        Profile.objects.select_related("user", "area")
        .filter(national_id_hash=national_id_hash(national_id))
        .first()
    )


#: A person's staff roles with their agencies, in the order granted: read on every staff
#: request (see ``ecitizen.core.rows``), with the session's person when there is a session
#: (``backends.SESSION_WITH_USER``), on its own otherwise.
STAFF_ROLE_PARTS = (Part(StaffRole, "r"), Part(Agency, "ra"))
ROLES_WITH_AGENCY = JoinedRows(
    'SELECT {columns} FROM "accounts_staffrole" "r"'
    ' LEFT OUTER JOIN "core_agency" "ra" ON "ra"."id" = "r"."agency_id"'
    ' WHERE "r"."user_id" = %s ORDER BY "r"."id"',
    *STAFF_ROLE_PARTS,
)


def staff_roles(user: User) -> list[StaffRole]:
    """The person's staff roles (each with its agency), read once a request."""
    if not (user.is_authenticated and user.has_staff_roles):
        return []
    cached: list[StaffRole] | None = getattr(user, "_staff_roles_cache", None)
    if cached is None:
        cached = remember_staff_roles(user, ROLES_WITH_AGENCY.fetch_all([user.pk]))
    return cached


def remember_staff_roles(user: User, rows: Iterable[Sequence[Model | None]]) -> list[StaffRole]:
    """``rows`` of (role, agency), as read with ``STAFF_ROLE_PARTS``, become the roles
    ``staff_roles(user)`` answers without a query (rows without a role are left out)."""
    roles = []
    for role, agency in rows:
        if role is None:
            continue
        assert isinstance(role, StaffRole)
        StaffRole.agency.field.set_cached_value(role, agency)
        StaffRole.user.field.set_cached_value(role, user)
        roles.append(role)
    user._staff_roles_cache = roles  # type: ignore[attr-defined]
    return roles


def user_has_role(user: User, *roles: str, agency_id: int | None = None) -> bool:
    """True if the user holds one of ``roles`` (any role if none given). Platform admins
    hold every role; agency roles count only for their own agency when ``agency_id`` is set."""
    for staff_role in staff_roles(user):
        if staff_role.role == StaffRole.Role.PLATFORM_ADMIN:
            return True
        if roles and staff_role.role not in roles:
            continue
        in_other_agency = staff_role.agency_id != agency_id
        if agency_id is not None and staff_role.role in StaffRole.AGENCY_ROLES and in_other_agency:
            continue
        return True
    return False


def staff_primary_role(user: User) -> StaffRole | None:
    roles = staff_roles(user)
    return roles[0] if roles else None


def personal_data_accesses_for(user: User) -> QuerySet[PersonalDataAccess]:
    """What staff read of this person's data: only ever the person's own log."""
    return PersonalDataAccess.objects.filter(subject=user).select_related("agency")


def residents_search(*, query: str, limit: int = 20) -> list[Profile]:
    """Staff look-up of a resident by exact email or national ID (never by fuzzy match)."""
    query = query.strip()
    if not query:
        return []
    profiles = Profile.objects.select_related("user", "area")
    if "@" in query:
        return list(profiles.filter(user__email__iexact=query)[:limit])
    return list(profiles.filter(national_id_hash=national_id_hash(query))[:limit])
