"""Authenticated encryption for sensitive fields, with key rotation and keyed lookup hashes.

Ciphertext format (text, stored in the database): ``v1:<kid>:<base64url(nonce || ciphertext+tag)>``.
The key id lets old rows be read after a new key becomes the first (current) one; the
``rotate_field_keys`` command re-encrypts rows under the current key.
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


@cache
def _keyring(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys: dict[str, AESGCM] = {}
    current = ""
    for item in spec.split(","):
        kid, _, b64 = item.strip().partition(":")
        raw = base64.urlsafe_b64decode(b64.encode())
        if not kid or len(raw) != 32:
            raise ImproperlyConfigured(
                "ECITIZEN_FIELD_KEYS entries must be 'kid:<32 bytes base64>'."
            )
        keys[kid] = AESGCM(raw)
        current = current or kid
    return current, keys


def current_key_id() -> str:
    return _keyring(settings.ECITIZEN_FIELD_KEYS)[0]


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext``; ``context`` (e.g. the field name) is bound as associated data."""
    kid, keys = _keyring(settings.ECITIZEN_FIELD_KEYS)
    nonce = os.urandom(12)
    sealed = keys[kid].encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


class DecryptionError(ValueError):
    """The ciphertext was altered, is malformed, or its key is no longer configured."""


def decrypt(token: str, *, context: str) -> str:
    """The plaintext of ``token``; raises ``DecryptionError`` rather than return garbage."""
    try:
        version, kid, b64 = token.split(":", 2)
        if version != PREFIX:
            raise DecryptionError("Unknown ciphertext version")
        key = _keyring(settings.ECITIZEN_FIELD_KEYS)[1].get(kid)
        if key is None:
            raise DecryptionError(f"No key {kid!r} in ECITIZEN_FIELD_KEYS")
        blob = base64.urlsafe_b64decode(b64.encode())
        return key.decrypt(blob[:12], blob[12:], context.encode()).decode()
    except DecryptionError:
        raise
    except (ValueError, InvalidTag) as exc:  # binascii.Error and UnicodeError are ValueErrors
        raise DecryptionError("Ciphertext failed authentication") from exc


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def lookup_hash(value: str, *, context: str) -> str:
    """Keyed hash (HMAC-SHA256) used to find a row by a sensitive value without storing it."""
    message = f"{context}\x00{value}".encode()
    return hmac.new(settings.ECITIZEN_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()
