"""Shared fixtures: see ecitizen/accounts/tests/fixtures.py and ./factories.py."""

from ecitizen.accounts.tests.fixtures import *  # noqa: F403
from ecitizen.consultations.tests.factories import *  # noqa: F403
