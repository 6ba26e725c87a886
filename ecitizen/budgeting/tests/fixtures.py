"""Builders for the participatory-budgeting tests (processes, budgets, projects, voters).

Import with ``from ecitizen.budgeting.tests.fixtures import *`` to get the fixtures too.
"""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import national_id_hash
from ecitizen.accounts.tests.factories import AgencyFactory, AreaFactory, UserFactory
from ecitizen.accounts.tests.fixtures import (
    clear_cache,
    make_staff,
    platform_admin,
    resident,
)
from ecitizen.budgeting.models import Budget, Process, Project
from ecitizen.budgeting.services import budget_save, process_save
from ecitizen.core.models import Agency, Area

DAY = datetime.timedelta(days=1)


def make_process(*, phase: str = "voting", agency: Agency | None = None, slug: str = "") -> Process:
    """A published process whose current phase is ``phase``."""
    now = timezone.now()
    offsets = {
        "upcoming": 1,
        "ideas": -1,
        "review": -11,
        "voting": -21,
        "results": -31,
        "implementation": -41,
    }
    start = now + offsets[phase] * DAY
    agency = agency or AgencyFactory()
    return process_save(
        actor=None,
        agency=agency,
        slug=slug or f"pb-{Process.objects.count() + 1}-{phase}",
        title={"en": f"Budget {phase}", "fr": f"Budget {phase} (fr)"},
        description={"en": "What we decide together.\n\nSecond paragraph."},
        ideas_from=start,
        review_from=start + 10 * DAY,
        voting_from=start + 20 * DAY,
        results_from=start + 30 * DAY,
        implementation_from=start + 40 * DAY,
        is_published=True,
    )


def make_budget(process: Process, area: Area | None = None, **rules: Any) -> Budget:
    fields: dict[str, Any] = {"amount": 100_000_00, "currency": "EUR"}
    fields.update(rules)
    return budget_save(actor=None, process=process, area=area, **fields)


def add_projects(budget: Budget, costs: list[int], *, status: str = "accepted") -> list[Project]:
    """Projects on the ballot with the given costs (minor units), numbered 1, 2, 3..."""
    start = Project.objects.filter(budget=budget).count()
    return [
        Project.objects.create(
            budget=budget,
            code=str(start + i),
            title={"en": f"Project {start + i}", "fr": f"Projet {start + i}"},
            description={"en": f"About project {start + i}."},
            estimated_cost=cost,
            final_cost=cost if status == "accepted" else None,
            status=status,
        )
        for i, cost in enumerate(costs, start=1)
    ]


def make_voter(
    area: Area | None, *, born: datetime.date | None = None, verified: bool = True,
    national_id: str = "",
) -> User:  # fmt: skip
    user = UserFactory()
    if not verified:
        user.emailaddress_set.update(verified=False)
    profile = user.profile
    profile.area = area
    profile.date_of_birth = born or datetime.date(1980, 5, 17)
    if national_id:
        profile.national_id = national_id
        profile.national_id_hash = national_id_hash(national_id)
    profile.save()
    return user


@pytest.fixture
def district(db: None) -> Area:
    region = AreaFactory(code="region", name="Region", kind=Area.Kind.REGION)
    return AreaFactory(code="riverside", name="Riverside", parent=region)


@pytest.fixture
def other_district(district: Area) -> Area:
    return AreaFactory(code="harbour", name="Harbour", parent=district.parent)


@pytest.fixture
def voting_process(db: None) -> Process:
    return make_process(phase="voting")


@pytest.fixture
def voter(district: Area) -> User:
    return make_voter(district)


@pytest.fixture
def staff(make_staff: Callable[..., User], voting_process: Process) -> Callable[..., User]:
    """Staff of the voting process's agency: ``staff()`` an agency admin,
    ``staff(StaffRole.Role.CASE_OFFICER)`` a case officer."""

    def make(role: str = StaffRole.Role.AGENCY_ADMIN) -> User:
        return make_staff(role, agency=voting_process.agency)

    return make


def close_voting(budget: Budget) -> None:
    """Move the end of voting into the past (as time passing would)."""
    process = budget.process
    now = timezone.now()
    Process.objects.filter(pk=process.pk).update(
        results_from=now - datetime.timedelta(seconds=1), implementation_from=now + DAY
    )
    budget.process.refresh_from_db()


__all__ = [
    "DAY",
    "add_projects",
    "clear_cache",
    "close_voting",
    "district",
    "make_budget",
    "make_process",
    "make_staff",
    "make_voter",
    "other_district",
    "platform_admin",
    "resident",
    "staff",
    "voter",
    "voting_process",
]
