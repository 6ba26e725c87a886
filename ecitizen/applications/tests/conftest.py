"""Shared fixtures: see ecitizen/accounts/tests/fixtures.py and ./factories.py."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecitizen.accounts.tests.fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def private_media(settings: object, tmp_path: Path) -> Iterator[Path]:
    """Each test stores uploaded files in its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    yield tmp_path / "media"
