"""Making, parsing and hashing token strings: ``ect_<prefix>_<secret>``.

The secret has 256 bits of entropy, so a plain SHA-256 is a sound verifier (no slow hash
needed, unlike passwords) and look-ups stay fast. ``prefix`` is public and indexed.
"""

import hashlib
import hmac
import re
import secrets

from ecitizen.api.models import TOKEN_PREFIX

PREFIX_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32  # 256 bits
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{{PREFIX_BYTES * 2}}})_([A-Za-z0-9_-]{{43}})$")


def new_prefix() -> str:
    return secrets.token_hex(PREFIX_BYTES)


def build(prefix: str) -> str:
    """A new full token (shown once) for ``prefix``."""
    return f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def parse_prefix(plaintext: str) -> str | None:
    """The look-up prefix of a well-formed token, or ``None``."""
    match = _TOKEN.match(plaintext)
    return match.group(1) if match else None


def matches(plaintext: str, secret_hash: str) -> bool:
    return hmac.compare_digest(digest(plaintext), secret_hash)
