import datetime
import time
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ecitizen.accounts.models import User
from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.api.models import ApiToken
from ecitizen.api.services import api_token_create

MakeToken = Callable[..., tuple[ApiToken, str]]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; no test sees another's."""
    cache.clear()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def other_user(db) -> User:
    return UserFactory()


@pytest.fixture
def make_token(db) -> MakeToken:
    def make(
        owner: User,
        *,
        scopes: list[str] | None = None,
        name: str = "My app",
        expires_at: datetime.datetime | None = None,
    ) -> tuple[ApiToken, str]:
        return api_token_create(
            actor=owner,
            name=name,
            scopes=["profile:read"] if scopes is None else scopes,
            expires_at=expires_at,
        )

    return make


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def signed_in(client: Client, user: User, *, reauthenticated: bool = False) -> Client:
    """Sign ``user`` in; ``reauthenticated`` records a fresh password check (allauth), as
    after the 'confirm your password' step that sensitive pages ask for."""
    client.force_login(user)
    if reauthenticated:
        session = client.session
        session["account_authentication_methods_user"] = str(user.pk)
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "reauthenticated": True}
        ]
        session.save()
    return client


def assert_error_shape(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    for detail in body["error"]["details"]:
        assert set(detail) == {"code", "message", "field"}
    return body


def days(n: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=n)
