"""``manage.py pb_tally``: output formats, options and errors. It never touches the database."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from ecitizen.budgeting import pabulib
from ecitizen.budgeting.rules import equal_shares, greedy
from ecitizen.budgeting.tests.conftest import data_path, load

ELECTION = """META
key;value
budget;100
vote_type;approval
min_project_score_threshold;2
PROJECTS
project_id;cost;name
x1;50;Library
x2;50;Pool
y;40;"Park; north"
VOTES
voter_id;vote
1;x1,x2
2;x1,x2
3;x1,x2
4;y
5;y
"""


@pytest.fixture
def pb_file(tmp_path: Path) -> Path:
    path = tmp_path / "city.pb"
    path.write_text(ELECTION, encoding="utf-8")
    return path


def tally(*args: str) -> str:
    out = StringIO()
    call_command("pb_tally", *args, stdout=out)
    return out.getvalue()


def test_greedy_prints_one_project_per_line(pb_file: Path) -> None:
    assert tally(str(pb_file), "--rule", "greedy") == "x1\nx2\n"


def test_equal_shares_json(pb_file: Path) -> None:
    data = json.loads(tally(str(pb_file), "--rule", "equal-shares", "--json"))
    assert data == {"rule": "equal-shares", "selected": ["x1", "y"], "cost": 90}


def test_threshold_overrides_the_file(pb_file: Path) -> None:
    # y has 2 votes: eligible under the file's threshold of 2, not under 3.
    data = json.loads(tally(str(pb_file), "--rule", "greedy", "--threshold", "3", "--json"))
    assert data == {"rule": "greedy", "selected": ["x1", "x2"], "cost": 100}
    text = pb_file.read_text().replace("y;40", "y;0")
    pb_file.write_text(text)
    assert tally(str(pb_file), "--rule", "greedy").split() == ["x1", "x2", "y"]
    assert tally(str(pb_file), "--rule", "greedy", "--threshold", "3").split() == ["x1", "x2"]


def test_explain(pb_file: Path) -> None:
    out = tally(str(pb_file), "--rule", "equal-shares", "--explain")
    selected, details = out.split("\n\n")
    assert selected.split() == ["x1", "y"]
    lines = dict(line.split("\t", 1) for line in details.strip().splitlines())
    assert lines["x2"] == (
        "not-affordable\tIts 3 supporters had only 49 left of their shares (33 per voter), "
        "less than its cost 50."
    )
    data = json.loads(tally(str(pb_file), "--rule", "greedy", "--json", "--explain"))
    assert [d["reason"] for d in data["decisions"]] == ["selected", "selected", "did-not-fit"]


def test_never_touches_the_database(pb_file: Path, django_db_blocker) -> None:
    # Inside block() any database access raises, so this runs without a database at all.
    with django_db_blocker.block():
        assert tally(str(pb_file), "--rule", "equal-shares") == "x1\ny\n"
    with django_db_blocker.block(), pytest.raises(RuntimeError, match="Database access"):
        Group.objects.count()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "greedy", "--threshold", "-1"], "must not be negative"),
        (["--rule", "greedy", "--threshold", "many"], "--threshold must be a number"),
        (["--rule", "equal-shares", "--threshold", "2"], "greedy rule only"),
    ],
)
def test_bad_options(pb_file: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        tally(str(pb_file), *args)


def test_unknown_rule_is_refused(pb_file: Path) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        tally(str(pb_file), "--rule", "borda")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        tally(str(tmp_path / "nope.pb"), "--rule", "greedy")


def test_bad_format(pb_file: Path) -> None:
    pb_file.write_text(ELECTION.replace("5;y", "5;zz"))
    with pytest.raises(CommandError, match=r"not a valid \.pb file: line 17: .*unknown project"):
        tally(str(pb_file), "--rule", "greedy")


def test_equal_shares_on_ranked_ballots_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ranked.pb"
    path.write_text(ELECTION.replace("approval", "ordinal"))
    with pytest.raises(CommandError, match="approval ballots, not ordinal"):
        tally(str(path), "--rule", "equal-shares")
    assert tally(str(path), "--rule", "greedy").split() == ["x1", "x2"]


@pytest.mark.parametrize(
    ("name", "rule"),
    [("Netherlands_Assen_2024.pb", "equal-shares"), ("Poland_Warszawa_2026_Mokotow.pb", "greedy")],
)
def test_real_election(name: str, rule: str) -> None:
    path = data_path(name)
    election = load(name)
    result = equal_shares(election) if rule == "equal-shares" else greedy(election)
    data = json.loads(tally(str(path), "--rule", rule, "--json"))
    assert data == {"rule": rule, "selected": result.selected, "cost": result.cost}
    assert set(data["selected"]) == election.official_selection()
    assert tally(str(path), "--rule", rule).split() == result.selected


def test_decimal_costs_are_printed_exactly(tmp_path: Path) -> None:
    path = tmp_path / "decimal.pb"
    path.write_text(ELECTION.replace("x1;50", "x1;49.5"))
    data = json.loads(tally(str(path), "--rule", "greedy", "--json"))
    assert data["cost"] == "99.5"
    assert pabulib.parse_number(data["cost"]) * 2 == 199
