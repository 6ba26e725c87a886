"""For every test."""

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: requests made through Django's test client
    leave the language they activated in the thread, which would leak into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()
