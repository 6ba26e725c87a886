"""Shared helpers: the real pabulib elections in ``shared/data/pabulib`` and the pabutools oracle.

The data lives outside the repository, beside it (``<repo>/../shared/data/pabulib``). When it
or pabutools is missing the tests that need it are skipped with the reason, except on CI
(``CI=true``), where a missing oracle or data set is a failure: a green run must mean the
rules were really checked against real elections.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ecitizen.budgeting import pabulib

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "pabulib"

# Every file of the data set, with the rule the city used (see SOURCES.md beside the files).
APPROVAL_FILES = [
    "Netherlands_Assen_2024.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Warszawa_2017_Bemowo.pb",
    "Poland_Warszawa_2026.pb",
    "Poland_Warszawa_2026_Mokotow.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
]
OTHER_FILES = ["Poland_Czestochowa_2020_Grabowka.pb", "Poland_Krakow_2018_Podgorze.pb"]
ALL_FILES = APPROVAL_FILES + OTHER_FILES


def unavailable(reason: str) -> None:
    """Skip locally, fail on CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: refusing to skip)")
    pytest.skip(reason)


def data_path(name: str) -> Path:
    path = DATA_DIR / name
    if not path.is_file():
        unavailable(f"real pabulib election {name} not found in {DATA_DIR}")
    return path


@functools.cache
def _load(name: str) -> pabulib.Election:
    return pabulib.parse_file(DATA_DIR / name)


def load(name: str) -> pabulib.Election:
    """Parse a real election once per test session (tests must not mutate it)."""
    data_path(name)
    return _load(name)


def pabutools() -> ModuleType:
    try:
        import pabutools as module
    except ImportError:
        unavailable("pabutools (the test oracle) is not installed: pip install -e '.[dev]'")
        raise  # pragma: no cover - unavailable() always raises
    return module


@functools.cache
def _pabutools_election(name: str) -> tuple[Any, Any]:
    from pabutools.election import parse_pabulib

    return parse_pabulib(str(DATA_DIR / name))


def pabutools_election(name: str) -> tuple[Any, Any]:
    """pabutools' own parse of a real file (instance, profile), cached for the session."""
    data_path(name)
    pabutools()
    return _pabutools_election(name)


def pabutools_from(election: pabulib.Election) -> tuple[Any, Any]:
    """Give pabutools the same election through our writer and its reader."""
    pabutools()
    from pabutools.election.pabulib import parse_pabulib_from_string

    return parse_pabulib_from_string(pabulib.write(election))


def names(allocation: Any) -> set[str]:
    return {p.name for p in allocation}
