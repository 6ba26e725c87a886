"""The database side of the rules: .pb import into a budget, tally from the stored anonymous
ballots, and .pb export read back by ``pabulib.parse`` (and by pabutools).

Real elections come from ``shared/data/pabulib`` beside the repository (see conftest.py):
importing one and tallying it in the database must give exactly what ``rules.py`` gives on
the file itself, which is also what the city announced."""

from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from ecitizen.budgeting import pabulib, rules
from ecitizen.budgeting.election import budget_election, to_major, to_minor
from ecitizen.budgeting.models import BallotContent, Budget, Project
from ecitizen.budgeting.services import (
    ballot_confirm,
    budget_close,
    budget_import_pb,
    budget_tally,
)
from ecitizen.budgeting.tests.conftest import data_path, pabutools
from ecitizen.budgeting.tests.fixtures import *  # noqa: F403
from ecitizen.budgeting.tests.fixtures import (
    add_projects,
    close_voting,
    make_budget,
    make_process,
    make_voter,
)

pytestmark = pytest.mark.django_db


def closed_budget(currency: str = "PLN") -> Budget:
    budget = make_budget(make_process(phase="results"), None, currency=currency)
    budget_close(actor=None, budget=budget)
    return budget


def test_money_converts_exactly_between_minor_and_major_units():
    assert to_major(12345, "EUR") == Fraction(12345, 100)
    assert to_major(100, "EUR") == 1 and isinstance(to_major(100, "EUR"), int)
    assert to_minor(Fraction(12345, 100), "EUR") == 12345
    assert to_major(500, "JPY") == 500
    with pytest.raises(ValueError):
        to_minor(Fraction(1, 1000), "EUR")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Netherlands_Assen_2024.pb", "equal-shares"),
        ("Poland_Warszawa_2026_Mokotow.pb", "greedy"),
        ("Poland_Czestochowa_2020_Grabowka.pb", "greedy"),
    ],
)
def test_importing_a_real_election_and_tallying_it_equals_the_rules_on_the_file(name, rule):
    path = data_path(name)
    text = path.read_text(encoding="utf-8")
    source = pabulib.parse(text)
    budget = closed_budget(currency=source.meta.get("currency", "PLN"))
    summary = budget_import_pb(actor=None, budget=budget, text=text)
    assert summary.projects == len(source.projects)
    assert summary.ballots == len(source.ballots)
    budget.refresh_from_db()
    assert budget.rule == rule
    expected = rules.equal_shares(source) if rule == "equal-shares" else rules.greedy(source)
    result = budget_tally(actor=None, budget=budget)
    code = dict(Project.objects.filter(budget=budget).values_list("pk", "code"))
    assert [code[pk] for pk in result.selected] == expected.selected
    assert result.cost == to_minor(expected.cost, budget.currency)
    if source.has_official_outcome:
        assert {code[pk] for pk in result.selected} == source.official_selection()
    for pid, decision in expected.decisions.items():
        pk = next(k for k, v in code.items() if v == pid)
        stored = result.decisions[str(pk)]
        assert stored["reason"] == decision.reason and stored["supporters"] == decision.supporters


def test_export_round_trips_through_pabulib_and_pabutools(voting_process, district):
    budget = make_budget(voting_process, district, amount=100_000_50, min_votes=1)
    a, b, c = add_projects(budget, [40_000_25, 30_000_00, 20_000_00])
    for choice in ({a.pk}, {a.pk, b.pk}, {b.pk, c.pk}, {c.pk}):
        ballot_confirm(actor=make_voter(district), budget=budget, choice=dict.fromkeys(choice, 1))
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    result = budget_tally(actor=None, budget=budget)
    election = budget_election(budget, outcome=result.decisions)
    text = pabulib.write(election)
    again = pabulib.parse(text)
    assert again == election
    assert again.budget == Fraction(10000050, 100)
    assert again.projects["1"].cost == Fraction(4000025, 100)
    assert again.meta["min_project_score_threshold"] == "1"
    assert sorted(tuple(sorted(b.projects)) for b in again.ballots) == [
        ("1",), ("1", "2"), ("2", "3"), ("3",)
    ]  # fmt: skip
    assert again.official_selection() == {p.code for p in (a, b, c) if p.pk in result.selected}
    assert rules.greedy(again).selected == [
        p.code for pk in result.selected for p in (a, b, c) if p.pk == pk
    ]
    pabutools()
    from pabutools.election.pabulib import parse_pabulib_from_string

    instance, profile = parse_pabulib_from_string(text)
    assert len(instance) == 3 and profile.num_ballots() == 4
    assert instance.budget_limit == Fraction(10000050, 100)


def test_cumulative_ballots_export_with_their_points(voting_process, district):
    budget = make_budget(
        voting_process, district, ballot_kind="cumulative", points_total=5, budget_limit=False
    )
    a, b = add_projects(budget, [10_000_00, 20_000_00])
    ballot_confirm(actor=make_voter(district), budget=budget, choice={a.pk: 3, b.pk: 2})
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    again = pabulib.parse(pabulib.write(budget_election(budget)))
    assert again.vote_type == "cumulative" and again.meta["max_sum_points"] == "5"
    assert [(b.projects, b.points) for b in again.ballots] == [(("1", "2"), (3, 2))]


def test_ballots_are_exported_only_once_voting_is_closed(voting_process, district):
    budget = make_budget(voting_process, district)
    [a] = add_projects(budget, [1_000_00])
    ballot_confirm(actor=make_voter(district), budget=budget, choice={a.pk: 1})
    assert budget_election(budget, with_ballots=False).ballots == []


def test_import_refuses_bad_files_and_non_empty_budgets(district):
    budget = closed_budget()
    with pytest.raises(ValidationError) as exc:
        budget_import_pb(actor=None, budget=budget, text="META\nkey;value\n")
    assert "not a valid .pb file" in " ".join(exc.value.messages)
    head = "META\nkey;value\nbudget;10\n"
    tail = "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n"
    ordinal = head + "vote_type;ordinal\n" + tail
    with pytest.raises(ValidationError, match="Only approval and cumulative"):
        budget_import_pb(actor=None, budget=budget, text=ordinal)
    good = head + "vote_type;approval\n" + tail + "1;1\n"
    open_budget = make_budget(make_process(phase="voting"), district)
    with pytest.raises(ValidationError, match="whose voting is closed"):
        budget_import_pb(actor=None, budget=open_budget, text=good)
    budget_import_pb(actor=None, budget=budget, text=good)
    assert BallotContent.objects.filter(budget=budget, source="imported").count() == 1
    with pytest.raises(ValidationError, match="no projects and no ballots"):
        budget_import_pb(actor=None, budget=budget, text=good)
