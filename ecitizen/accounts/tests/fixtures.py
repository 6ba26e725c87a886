"""Fixtures shared by the foundation's tests (imported by each app's ``tests/conftest.py``)."""

from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache
from django.test import Client

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import staff_role_grant
from ecitizen.accounts.tests.factories import PASSWORD, AgencyFactory, UserFactory
from ecitizen.core.models import Agency

__all__ = ["clear_cache", "make_staff", "officer", "platform_admin", "resident"]

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def clear_cache() -> Iterator[None]:
    """Rate limits and used TOTP codes live in the cache: every test starts from empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def resident(db: None) -> User:
    return UserFactory()


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    def make(
        role: str = StaffRole.Role.CASE_OFFICER,
        *,
        mfa: bool = True,
        agency: Agency | None = None,
    ) -> User:
        """A member of staff holding ``role`` (in a new agency for agency roles), with an
        authenticator app enrolled unless ``mfa=False``."""
        user = UserFactory()
        if role in StaffRole.AGENCY_ROLES and agency is None:
            agency = AgencyFactory()
        staff_role_grant(actor=None, user=user, role=role, agency=agency)
        if mfa:
            TOTP.activate(user, TOTP_SECRET)
        return user

    return make


@pytest.fixture
def officer(make_staff: Callable[..., User]) -> User:
    return make_staff(StaffRole.Role.CASE_OFFICER)


@pytest.fixture
def platform_admin(make_staff: Callable[..., User]) -> User:
    return make_staff(StaffRole.Role.PLATFORM_ADMIN)


def totp_code() -> str:
    return pyotp.TOTP(TOTP_SECRET).now()


def password_login(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def staff_login(client: Client, user: User) -> None:
    """A full staff sign-in: password, then the authenticator code."""
    response = password_login(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302, response.content
    assert client.session.get("_auth_user_id") == str(user.pk)
