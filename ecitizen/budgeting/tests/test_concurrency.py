"""One ballot per person per budget, enforced by the database: two requests from the same
person at the same moment (real threads, each with its own database connection) leave one
participation and one ballot. Runs on the SQLite file database and on PostgreSQL."""

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ecitizen.budgeting.models import BallotContent, BallotParticipation
from ecitizen.budgeting.services import ballot_confirm
from ecitizen.budgeting.tests.fixtures import *  # noqa: F403
from ecitizen.budgeting.tests.fixtures import add_projects, make_budget, make_process, make_voter

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls: list[Any]) -> list[object]:
    """Start every call at the same instant in its own thread; return results/exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = calls[i]()
        except Exception as exc:  # reported to the test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_simultaneous_ballots_by_one_person_count_once(district):
    budget = make_budget(make_process(phase="voting"), district)
    a, b = add_projects(budget, [10_000_00, 20_000_00])
    voter = make_voter(district)
    outcomes = run_together(
        [
            lambda: ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1}),
            lambda: ballot_confirm(actor=voter, budget=budget, choice={b.pk: 1}),
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert BallotParticipation.objects.filter(budget=budget).count() == 1
    [content] = BallotContent.objects.filter(budget=budget)
    assert content.projects in ([a.pk], [b.pk])
    # One of the two was recorded as a change of the other: the last confirmed counts.
    assert sorted(o.changed for o in outcomes) == [False, True]  # type: ignore[attr-defined]


def test_simultaneous_ballots_by_different_people_all_count(district):
    budget = make_budget(make_process(phase="voting"), district)
    [a] = add_projects(budget, [10_000_00])
    voters = [make_voter(district) for _ in range(4)]
    outcomes = run_together(
        [lambda v=v: ballot_confirm(actor=v, budget=budget, choice={a.pk: 1}) for v in voters]
    )
    assert not [o for o in outcomes if isinstance(o, (Exception, ValidationError))], outcomes
    assert BallotParticipation.objects.filter(budget=budget).count() == 4
    assert BallotContent.objects.filter(budget=budget).count() == 4
