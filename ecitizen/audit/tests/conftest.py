"""Shared fixtures: see ecitizen/accounts/tests/fixtures.py."""

from ecitizen.accounts.tests.fixtures import *  # noqa: F403
