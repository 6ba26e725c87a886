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

from fractions import Fraction

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
        ballots = ballots_of(budget, code_of)
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


def ballots_of(budget: Budget, code_of: dict[int, str]) -> list[pabulib.Ballot]:
    """Every anonymous ballot of the budget, numbered in the order of their random keys.

    Identical ballots share one tuple of project ids (and of points), so a million ballots
    cost a million small objects, not a million tuples. Choices of projects no longer on the
    ballot are dropped.
    """
    cumulative = budget.is_cumulative
    rows = (
        BallotContent.objects.filter(budget=budget)
        .order_by("id")
        .values_list("projects", "points")
        .iterator(chunk_size=20_000)
    )
    shared: dict[
        tuple[tuple[int, ...], tuple[int, ...] | None],
        tuple[tuple[str, ...], tuple[Money, ...] | None],
    ] = {}
    ballots: list[pabulib.Ballot] = []
    append = ballots.append
    Ballot = pabulib.Ballot
    for n, (project_ids, points) in enumerate(rows, start=1):
        key = (tuple(project_ids), tuple(points) if cumulative and points is not None else None)
        value = shared.get(key)
        if value is None:
            if key[1] is not None:
                pairs = [
                    (code_of[p], v) for p, v in zip(key[0], key[1], strict=True) if p in code_of
                ]
                value = (tuple(c for c, _ in pairs), tuple(v for _, v in pairs))
            else:
                value = (tuple(code_of[p] for p in key[0] if p in code_of), None)
            shared[key] = value
        append(Ballot(str(n), value[0], value[1], {}))
    return ballots
