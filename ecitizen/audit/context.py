"""Per-request context (request id, client IP, acting-for) read by audit services."""

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils.ipv6 import clean_ipv6_address


def _no_address() -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class RequestContext:
    """``client_ip`` is worked out only when an audit entry asks for it: most requests
    write none, and parsing the address (proxies, IPv6) is a fair part of a cheap page."""

    request_id: str = ""
    client_ip: Callable[[], str | None] = _no_address

    @property
    def ip(self) -> str | None:
        return self.client_ip()


_current: ContextVar[RequestContext] = ContextVar(
    "ecitizen_request_context",
    default=RequestContext(),  # noqa: B039 (frozen, immutable)
)


def current() -> RequestContext:
    return _current.get()


def set_current(context: RequestContext) -> object:
    return _current.set(context)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def normalize_ip(value: str | None) -> str | None:
    """The address in the canonical form the database gives back (``2001:db8::1``), or
    ``None`` if it is not an IP address (e.g. a Unix socket peer)."""
    value = (value or "").strip().split("%")[0]  # no IPv6 zone id
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return clean_ipv6_address(value) if address.version == 6 else str(address)
