"""/api/v1 endpoints. Thin: authenticate, call a selector or service, shape the result."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from ecitizen.api.auth import ApiPrincipal, api_auth
from ecitizen.api.models import ApiToken
from ecitizen.api.schemas import (
    AddressOut,
    AreaOut,
    HealthOut,
    MeOut,
    TokenOut,
    error_responses,
)
from ecitizen.api.scopes import PROFILE_READ, TOKENS_READ, TOKENS_REVOKE
from ecitizen.api.selectors import api_token_for, api_tokens_for, me_profile
from ecitizen.api.services import api_token_revoke

router = Router()


def _principal(request: HttpRequest) -> ApiPrincipal:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _scopes_extra(*scopes: str) -> dict[str, list[str]]:
    return {"x-required-scopes": list(scopes)}


@router.get("/health", auth=None, response=HealthOut, tags=["platform"], summary="API liveness")
def health(request: HttpRequest) -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/me",
    auth=api_auth(PROFILE_READ),
    response={200: MeOut, **error_responses(401, 403, 429)},
    tags=["profile"],
    summary="Your profile",
    description="The profile of the token's owner. Scope: `profile:read`. "
    "The national ID number is never returned, only whether one is on file.",
    openapi_extra=_scopes_extra(PROFILE_READ),
)
def me(request: HttpRequest) -> MeOut:
    user = _principal(request).user
    profile = me_profile(user)
    area = profile.area
    return MeOut(
        email=user.email,
        legal_name=profile.legal_name,
        preferred_language=profile.preferred_language,
        area=AreaOut(code=area.code, name=area.localized_name()) if area else None,
        phone=profile.phone,
        address=AddressOut(
            line1=profile.address_line1,
            line2=profile.address_line2,
            town=profile.town,
            postcode=profile.postcode,
        ),
        accessibility_needs=list(profile.accessibility_needs or []),
        accessibility_notes=profile.accessibility_notes,
        national_id_set=bool(profile.national_id_hash),
    )


@router.get(
    "/tokens",
    auth=api_auth(TOKENS_READ),
    response={200: list[TokenOut], **error_responses(401, 403, 422, 429)},
    tags=["tokens"],
    summary="Your API tokens",
    description="Your own API tokens, newest first, never their secret values. "
    "Scope: `tokens:read`.",
    openapi_extra=_scopes_extra(TOKENS_READ),
)
@paginate
def tokens_list(request: HttpRequest) -> QuerySet[ApiToken]:
    return api_tokens_for(_principal(request).user)


@router.post(
    "/tokens/{token_id}/revoke",
    auth=api_auth(TOKENS_REVOKE, session=False),
    response={200: TokenOut, **error_responses(401, 403, 404, 422, 429)},
    tags=["tokens"],
    summary="Revoke one of your API tokens",
    description="The token stops working at once; revoking it again changes nothing. "
    "Another person's token answers 404. Scope: `tokens:revoke`.",
    openapi_extra=_scopes_extra(TOKENS_REVOKE),
)
def token_revoke(request: HttpRequest, token_id: int) -> ApiToken:
    user = _principal(request).user
    return api_token_revoke(actor=user, token=api_token_for(user, token_id))
