"""Short, unambiguous application references such as ``BP-2026-7K4Q``."""

import secrets
from collections.abc import Callable

from django.utils import timezone

# No 0/O, 1/I/L, 5/S, 8/B: easy to read aloud and type from paper.
ALPHABET = "234679ACDEFGHJKMNPQRTUVWXYZ"


def new_reference(prefix: str, length: int = 4) -> str:
    suffix = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"{prefix.upper()}-{timezone.localdate().year}-{suffix}"


def unique_reference(prefix: str, exists: Callable[[str], bool]) -> str:
    """A reference not yet used; grows by one character after repeated collisions."""
    length = 4
    for attempt in range(20):
        reference = new_reference(prefix, length + attempt // 5)
        if not exists(reference):
            return reference
    raise RuntimeError("Could not allocate a unique reference")
