"""Shared fixtures: see ecitizen/accounts/tests/fixtures.py and ./factories.py."""

from collections.abc import Callable

import pytest

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.accounts.tests.fixtures import *  # noqa: F403
from ecitizen.core.models import Agency


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory(code="planning-test", name="Planning", name_fr="Urbanisme")


@pytest.fixture
def other_agency(db: None) -> Agency:
    return AgencyFactory(code="licensing-test", name="Licensing")


@pytest.fixture
def agency_admin(make_staff: Callable[..., User], agency: Agency) -> User:
    return make_staff(StaffRole.Role.AGENCY_ADMIN, agency=agency)


@pytest.fixture
def other_admin(make_staff: Callable[..., User], other_agency: Agency) -> User:
    return make_staff(StaffRole.Role.AGENCY_ADMIN, agency=other_agency)
