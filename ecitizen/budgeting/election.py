"""A budget seen as a pabulib election: the bridge between the database and the rules.

``budget_election`` builds a :class:`ecitizen.budgeting.pabulib.Election` from a budget's
projects and anonymous ballots; the tally runs ``ecitizen.budgeting.rules`` on it and the
``.pb`` export writes it with ``pabulib.write``. Money goes in as exact *major* units
(``int``, or ``Fraction`` for cents): the rules' Add1 completion raises every voter's share
one currency unit at a time, as the cities that use it do.

Ballots are written in a stable order that says nothing about when they were cast (by their
random key) and numbered 1, 2, 3...; nothing in the election names a voter.
"""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import repeat
from typing import Any

from django.db import connection
from django.utils import translation

from ecitizen.budgeting import pabulib
from ecitizen.budgeting.models import BallotContent, Budget, Project
from ecitizen.core.i18n import tr
from ecitizen.core.money import currency_exponent

Money = pabulib.Money


def to_major(amount_minor: int, currency: str) -> Money:
    """Exact: 12345 EUR cents -> Fraction(2469, 20); 100 EUR cents -> 1."""
    value = Fraction(amount_minor, 10 ** currency_exponent(currency))
    return value.numerator if value.denominator == 1 else value


def to_minor(amount: Money, currency: str) -> int:
    """Exact inverse of :func:`to_major`; ``ValueError`` if ``amount`` has more decimals
    than the currency has minor units."""
    value = Fraction(amount) * 10 ** currency_exponent(currency)
    if value.denominator != 1:
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return value.numerator


def budget_meta(budget: Budget) -> dict[str, str]:
    """The pabulib META of a budget: its amount, ballot rules and winner rule."""
    process = budget.process
    with translation.override("en"):
        description = f"{tr(process.title)}: {budget.name}"
    meta: dict[str, str] = {
        "description": description,
        "country": "",
        "unit": str(budget.area.code) if budget.area_id and budget.area else "city",
        "instance": str(process.voting_from.year),
        "num_projects": "0",
        "num_votes": "0",
        "budget": pabulib.format_number(to_major(budget.amount, budget.currency)),
        "vote_type": budget.ballot_kind,
        "rule": "greedy" if budget.rule == Budget.Rule.GREEDY else "equalshares/add1",
        "date_begin": f"{process.voting_from:%d.%m.%Y}",
        "date_end": f"{process.results_from:%d.%m.%Y}",
        "currency": budget.currency,
        "language": "en",
    }
    if budget.min_projects:
        meta["min_length"] = str(budget.min_projects)
    if budget.max_projects is not None:
        meta["max_length"] = str(budget.max_projects)
    if budget.budget_limit:
        meta["max_sum_cost"] = meta["budget"]
    if budget.min_spend_percent:
        meta["min_sum_cost"] = pabulib.format_number(to_major(budget.min_spend, budget.currency))
    if budget.is_cumulative and budget.points_total:
        meta["max_sum_points"] = str(budget.points_total)
        if budget.max_points_per_project:
            meta["max_points"] = str(budget.max_points_per_project)
    if budget.rule == Budget.Rule.GREEDY and budget.min_votes:
        meta["min_project_score_threshold"] = str(budget.min_votes)
    return {k: v for k, v in meta.items() if v != ""}


def budget_election(
    budget: Budget,
    *,
    projects: list[Project] | None = None,
    with_ballots: bool = True,
    for_counting: bool = False,
    outcome: dict[str, dict[str, object]] | None = None,
) -> pabulib.Election:
    """The budget's projects on the ballot and, with ``with_ballots``, every anonymous ballot.

    ``outcome`` (``BudgetResult.decisions``) adds the ``votes``/``score``/``selected``
    columns. Project ids are the projects' numbers (``Project.code``).
    """
    if projects is None:
        projects = list(
            Project.objects.filter(budget=budget, status=Project.Status.ACCEPTED).order_by("id")
        )
    code_of = {p.pk: p.code for p in projects}
    election_projects: dict[str, pabulib.Project] = {}
    with translation.override("en"):
        for p in projects:
            fields = {"name": tr(p.title)}
            selected = None
            if outcome is not None and str(p.pk) in outcome:
                decision = outcome[str(p.pk)]
                fields["votes"] = str(decision["supporters"])
                fields["score"] = str(decision["score"])
                selected = bool(decision["selected"])
            election_projects[p.code] = pabulib.Project(
                p.code, to_major(p.cost, budget.currency), selected, fields
            )
    ballots: list[pabulib.Ballot] = []
    if with_ballots:
        ballots = ballots_of(budget, code_of, for_counting=for_counting)
    meta = budget_meta(budget)
    meta["num_projects"] = str(len(election_projects))
    meta["num_votes"] = str(len(ballots))
    columns = ["project_id", "cost", "name"]
    if outcome is not None:
        columns += ["votes", "score", "selected"]
    return pabulib.Election(
        meta,
        election_projects,
        ballots,
        project_columns=tuple(columns),
        vote_columns=("voter_id", "vote", "points")
        if budget.is_cumulative
        else ("voter_id", "vote"),
    )


_NO_FIELDS: dict[str, str] = {}
"""Shared by every ballot read from the database: an anonymous ballot has no other column."""


def ballots_of(
    budget: Budget, code_of: dict[int, str], *, for_counting: bool = False
) -> list[pabulib.Ballot]:
    """Every anonymous ballot of the budget.

    For an export (the default) ballots are numbered 1, 2, 3... in the order of their random
    keys, so the file is stable and says nothing about who voted or when.

    ``for_counting``: the rules only count, so the database groups identical ballots
    (``GROUP BY``) and each distinct ballot is decoded once and repeated as many times as it
    was cast (the same object: voter ids are then meaningless, which a count never reads).
    A million ballots over 100 projects have far fewer distinct choices than that.

    Rows are read with a server-side cursor as raw JSON text. Choices of projects no longer
    on the ballot are dropped.
    """
    table = BallotContent._meta.db_table
    cumulative = budget.is_cumulative
    points_column = "points" if cumulative else "NULL"
    if for_counting:
        # Grouping on the JSON as text is cheaper than on jsonb (and the same on SQLite).
        projects = "CAST(projects AS TEXT)"
        points = "CAST(points AS TEXT)" if cumulative else "NULL"
        group = f"{projects}, {points}" if cumulative else projects
        sql = (
            f"SELECT {projects}, {points}, COUNT(*) FROM {table} "  # noqa: S608
            f"WHERE budget_id = %s GROUP BY {group}"
        )
    else:
        sql = (
            f"SELECT projects, {points_column}, 1 FROM {table} "  # noqa: S608
            "WHERE budget_id = %s ORDER BY id"
        )
    shared: dict[tuple[Any, Any], tuple[tuple[str, ...], tuple[Money, ...] | None]] = {}
    ballots: list[pabulib.Ballot] = []
    append, extend = ballots.append, ballots.extend
    Ballot = pabulib.Ballot
    n = 0
    if for_counting and connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:  # room to group a million ballots in memory
            cursor.execute("SET LOCAL work_mem = '128MB'")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [budget.pk])
        while rows := cursor.fetchmany(20_000):
            for raw_projects, raw_points, count in rows:
                key = (raw_projects, raw_points)
                value = shared.get(key)
                if value is None:
                    value = _decode(raw_projects, raw_points, code_of)
                    shared[key] = value
                n += 1
                if count == 1:
                    append(Ballot(str(n), value[0], value[1], _NO_FIELDS))
                else:
                    extend(repeat(Ballot(str(n), value[0], value[1], _NO_FIELDS), count))
    return ballots


def _decode(
    raw_projects: Any, raw_points: Any, code_of: dict[int, str]
) -> tuple[tuple[str, ...], tuple[Money, ...] | None]:
    """One stored ballot (JSON text, or already decoded by the driver) as project codes."""
    ids = json.loads(raw_projects) if isinstance(raw_projects, str | bytes) else raw_projects
    if raw_points is None:
        return tuple(code_of[p] for p in ids if p in code_of), None
    points = json.loads(raw_points) if isinstance(raw_points, str | bytes) else raw_points
    if points is None:
        return tuple(code_of[p] for p in ids if p in code_of), None
    pairs = [(code_of[p], v) for p, v in zip(ids, points, strict=True) if p in code_of]
    return tuple(c for c, _ in pairs), tuple(v for _, v in pairs)
