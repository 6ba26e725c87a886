"""The registry of API scopes a token can be granted.

A scope is ``<resource>:<action>``. Apps add their own with ``register_scope`` at import time
(in their ``apis.py``), so the token page offers them and tokens can be granted them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_SCOPE_NAME = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    label: str | Promise
    description: str | Promise = ""


_REGISTRY: dict[str, Scope] = {}


def register_scope(name: str, label: str | Promise, description: str | Promise = "") -> str:
    """Make ``name`` grantable. Registering the same name twice is an error (typo guard)."""
    if not _SCOPE_NAME.match(name):
        raise ValueError(f"Invalid scope name {name!r}: use '<resource>:<action>'")
    if name in _REGISTRY:
        raise ValueError(f"Scope {name!r} is already registered")
    _REGISTRY[name] = Scope(name=name, label=label, description=description)
    return name


def known_scopes() -> list[Scope]:
    return sorted(_REGISTRY.values(), key=lambda scope: scope.name)


def scope_label(name: str) -> str:
    scope = _REGISTRY.get(name)
    return str(scope.label) if scope else name


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, deduplicated and sorted; raises ``ValidationError`` if any is unknown."""
    cleaned = sorted(set(scopes))
    if not cleaned:
        raise ValidationError(_("Choose at least one permission."), code="required")
    unknown = [name for name in cleaned if name not in _REGISTRY]
    if unknown:
        raise ValidationError(
            _("Unknown permission: %(scopes)s."),
            code="unknown_scope",
            params={"scopes": ", ".join(unknown)},
        )
    return cleaned


PROFILE_READ = register_scope(
    "profile:read",
    _("Read your profile"),
    _(
        "Your email address, name, contact details, address, district, language and "
        "accessibility needs. Never your national ID number."
    ),
)
TOKENS_READ = register_scope(
    "tokens:read",
    _("See your API tokens"),
    _("The names, permissions and dates of your API tokens, never their secret values."),
)
TOKENS_REVOKE = register_scope(
    "tokens:revoke",
    _("Revoke your API tokens"),
    _("Stop any of your API tokens from working, for example one that has leaked."),
)
APPLICATIONS_READ = register_scope(
    "applications:read",
    _("See your applications"),
    _(
        "Your applications: their answers, status, timeline, documents, payments and "
        "decisions. Also lets the app download the documents you uploaded."
    ),
)
APPLICATIONS_WRITE = register_scope(
    "applications:write",
    _("Apply and act on your applications"),
    _(
        "Start applications, answer their questions, upload documents, send them, answer "
        "requests for more information and withdraw them, in your name."
    ),
)
PAYMENTS_READ = register_scope(
    "payments:read",
    _("See your payments"),
    _("Your payments for applications, their status and receipts."),
)
CASES_READ = register_scope(
    "cases:read",
    _("See the cases you handle (staff)"),
    _(
        "For staff of an agency with two-factor authentication: the case queue and the cases "
        "of your agency, including applicants' personal data. Every case opened is recorded "
        "in the applicant's 'Who accessed my data'."
    ),
)
CASES_WRITE = register_scope(
    "cases:write",
    _("Decide the cases you handle (staff)"),
    _(
        "For staff of an agency with two-factor authentication: claim cases, ask applicants "
        "for information, approve, reject, issue and revoke, in your name."
    ),
)
