"""Reads for the API and the token page, always scoped to the requesting person."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ecitizen.accounts.models import Profile, User
from ecitizen.accounts.selectors import profile_for
from ecitizen.api import tokens
from ecitizen.api.models import ApiToken


def api_tokens_for(user: User) -> QuerySet[ApiToken]:
    """The person's own tokens, newest first (never anybody else's)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def api_token_for(user: User, token_id: int) -> ApiToken:
    """One of the person's own tokens; any other id (someone else's included) is a 404."""
    return get_object_or_404(api_tokens_for(user), pk=token_id)


def api_token_from_plaintext(plaintext: str) -> ApiToken | None:
    """The token this secret belongs to (with its user), whatever its status, or ``None``.
    The hash is compared in constant time."""
    prefix = tokens.parse_prefix(plaintext)
    if prefix is None:
        return None
    try:
        # With the owner's profile and district: what most calls read next (``me_profile``).
        token = (
            ApiToken.objects.select_related("user__profile__area")
            .defer("user__profile__national_id")
            .get(prefix=prefix)
        )
    except ApiToken.DoesNotExist:
        return None
    if not tokens.matches(plaintext, token.secret_hash):
        return None
    return token


def me_profile(user: User) -> Profile:
    """The person's profile: already loaded with the user by the token look-up (with its
    district) or by the session's authentication backend."""
    return profile_for(user)
