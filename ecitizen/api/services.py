"""Every write about API tokens (atomic, audited)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import User
from ecitizen.api import tokens
from ecitizen.api.models import ApiToken
from ecitizen.api.scopes import validate_scopes
from ecitizen.audit.services import audit_record

MAX_ACTIVE_TOKENS = 50
NAME_MAX_LENGTH = 100
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    name: str,
    scopes: list[str],
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``actor``. Returns the token and its plaintext, which is never
    stored: only its SHA-256 hash is. Show the plaintext once and forget it."""
    name = " ".join(name.split())
    errors: dict[str, list[ValidationError]] = {}
    if not name:
        errors["name"] = [ValidationError(_("Enter a name for the token."), code="required")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [
            ValidationError(
                _("Enter a name of at most %(max)d characters."),
                code="max_length",
                params={"max": NAME_MAX_LENGTH},
            )
        ]
    try:
        scopes = validate_scopes(scopes)
    except ValidationError as exc:
        errors["scopes"] = [exc]
    now = timezone.now()
    if expires_at is not None and (timezone.is_naive(expires_at) or expires_at <= now):
        errors["expires_at"] = [
            ValidationError(_("The expiry date must be in the future."), code="past")
        ]
    active = ApiToken.objects.filter(user_id=actor.pk, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        errors["__all__"] = [
            ValidationError(
                _("You already have %(max)d active tokens. Revoke one you no longer use first."),
                code="too_many",
                params={"max": MAX_ACTIVE_TOKENS},
            )
        ]
    if errors:
        raise ValidationError(errors)

    for _attempt in range(5):  # a prefix collision is unlikely (48 bits); retry if it happens
        prefix = tokens.new_prefix()
        plaintext = tokens.build(prefix)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=actor,
                    name=name,
                    prefix=prefix,
                    secret_hash=tokens.digest(plaintext),
                    scopes=scopes,
                    created_at=now,
                    expires_at=expires_at,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five collisions in a row means something else is wrong
        raise RuntimeError("Could not allocate a unique API token prefix")

    audit_record(
        actor=actor,
        action="api.token.created",
        obj=token,
        data={"name": name, "prefix": prefix, "scopes": scopes, "expires_at": expires_at},
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of ``actor``'s own tokens; it stops working at once. Revoking a revoked
    token changes nothing and records nothing."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    # Re-read under lock so two revocations at once record one entry.
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api.token.revoked",
        obj=token,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token


def api_token_mark_used(*, token: ApiToken, now: datetime.datetime | None = None) -> None:
    """Record when a token was last used, at most once a minute. Usage bookkeeping, not a
    change anyone made, so it is not audited (it would flood the audit trail)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
