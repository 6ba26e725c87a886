"""Fixed-window request counting in Django's cache, per API token (or per signed-in user).

Good enough to stop a runaway client; with several web processes it needs a shared cache
(PostgreSQL-backed ``DatabaseCache``, Redis or memcached), not ``LocMemCache``.
"""

import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    period: int  # seconds


def parse_rate(value: str) -> Rate:
    """``"600/m"``, ``"100/5m"``, ``"10/s"``, ``"5000/d"``."""
    match = _RATE.match(value)
    if not match:
        raise ValueError(f"Invalid rate {value!r}: expected e.g. '600/m' or '100/5m'")
    limit, multiplier, unit = match.groups()
    return Rate(limit=int(limit), period=int(multiplier or 1) * _UNIT_SECONDS[unit])


def hit(key: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count one request for ``key``. Returns ``None`` if it is allowed, or the number of
    seconds until the window resets (for ``Retry-After``) if the limit is exceeded."""
    now = time.time() if now is None else now
    window = int(now // rate.period)
    cache_key = f"api:ratelimit:{key}:{rate.period}:{window}"
    if cache.add(cache_key, 1, timeout=rate.period + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.set(cache_key, 1, timeout=rate.period + 1)
            count = 1
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))
