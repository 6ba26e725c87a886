"""Reads for the API and the token page, always scoped to the requesting person."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ecitizen.accounts.backends import link_profile
from ecitizen.accounts.models import Profile, User
from ecitizen.accounts.selectors import profile_for
from ecitizen.api import tokens
from ecitizen.api.models import ApiToken
from ecitizen.core.models import Area
from ecitizen.core.rows import JoinedRows, Part


def api_tokens_for(user: User) -> QuerySet[ApiToken]:
    """The person's own tokens, newest first (never anybody else's)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def api_token_for(user: User, token_id: int) -> ApiToken:
    """One of the person's own tokens; any other id (someone else's included) is a 404."""
    return get_object_or_404(api_tokens_for(user), pk=token_id)


#: A token with its owner, the owner's profile and district: what every token-authenticated
#: call reads first (``me_profile`` included). Read on every API call, so written out once
#: (see ``ecitizen.core.rows``); the encrypted national ID stays deferred.
TOKEN_WITH_OWNER = JoinedRows(
    'SELECT {columns} FROM "api_apitoken" "t"'
    ' INNER JOIN "accounts_user" "u" ON "u"."id" = "t"."user_id"'
    ' LEFT OUTER JOIN "accounts_profile" "p" ON "p"."user_id" = "u"."id"'
    ' LEFT OUTER JOIN "core_area" "a" ON "a"."id" = "p"."area_id"'
    ' WHERE "t"."prefix" = %s',
    Part(ApiToken, "t"),
    Part(User, "u"),
    Part(Profile, "p", deferred=("national_id",)),
    Part(Area, "a"),
)


def api_token_from_plaintext(plaintext: str) -> ApiToken | None:
    """The token this secret belongs to (with its user), whatever its status, or ``None``.
    The hash is compared in constant time."""
    prefix = tokens.parse_prefix(plaintext)
    if prefix is None:
        return None
    instances = TOKEN_WITH_OWNER.fetch_one([prefix])
    if instances is None:
        return None
    token, user, profile, area = instances
    assert isinstance(token, ApiToken) and isinstance(user, User)
    if not tokens.matches(plaintext, token.secret_hash):
        return None
    ApiToken.user.field.set_cached_value(token, user)
    link_profile(user, profile)
    if profile is not None:
        Profile.area.field.set_cached_value(profile, area)
    return token


def me_profile(user: User) -> Profile:
    """The person's profile: already loaded with the user by the token look-up (with its
    district) or by the session's authentication backend."""
    return profile_for(user)
