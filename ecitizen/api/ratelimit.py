"""Fixed-window request counting per API token (or per signed-in user), in the database.

One row per caller holds the current window and its count; each request is one upsert
statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, SQLite >= 3.35 and PostgreSQL), so
the count is exact across web processes and costs a single write. Through Django's cache it
took two write transactions per request (``add`` then ``incr``), ten queries on SQLite.

On PostgreSQL the upsert's own transaction commits without waiting for the disk
(``synchronous_commit`` off for that transaction only): a server crash may forget the last
fraction of a second of counts, which a rate limit can afford, and no API call waits for a
WAL flush to be counted.
"""

import math
import re
import time
from dataclasses import dataclass

from django.db import connection

from ecitizen.api.models import RateCounter

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
    count = _count_hit(f"{key}:{rate.period}", window)
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


def _count_hit(key: str, window: int) -> int:
    quote = connection.ops.quote_name
    table, window_number, hits = (
        quote(name) for name in (RateCounter._meta.db_table, "window_number", "hits")
    )
    returning = hits
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        returning += ", set_config('synchronous_commit', 'off', true)"
    with connection.cursor() as cursor:
        cursor.execute(  # identifiers are quoted constants; the values are parameters
            f"INSERT INTO {table} ({quote('key')}, {window_number}, {hits}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({quote('key')}) DO UPDATE SET {hits} = CASE"
            f" WHEN {table}.{window_number} = excluded.{window_number} THEN {table}.{hits} + 1"
            f" ELSE 1 END, {window_number} = excluded.{window_number} RETURNING {returning}",
            [key, window],
        )
        return int(cursor.fetchone()[0])
