"""The .pb reader and writer: real files, round trips, quoting and clear errors."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest

from ecitizen.budgeting import pabulib
from ecitizen.budgeting.pabulib import Ballot, Election, PabulibError, Project
from ecitizen.budgeting.rules import project_scores
from ecitizen.budgeting.tests.conftest import (
    ALL_FILES,
    APPROVAL_FILES,
    data_path,
    load,
    pabutools_election,
)

SMALL = """META
key;value
description;A test
budget;100
vote_type;approval
PROJECTS
project_id;cost;name;selected
a;60;"Park ""Green"" path; phase 1";1
b;50;Benches;0
c;40;Trees;
VOTES
voter_id;vote
v1;a,b
v2;
v3;c
"""


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_file_parses_consistently_with_its_meta_and_columns(name: str) -> None:
    election = load(name)
    meta = election.meta
    assert len(election.projects) == int(meta["num_projects"])
    assert len(election.ballots) == int(meta["num_votes"])
    assert election.vote_type == meta["vote_type"]
    assert election.budget == int(meta["budget"])
    # The PROJECTS columns votes/score are derived from the ballots: recompute them.
    points, votes = project_scores(election, "points")
    for pid, project in election.projects.items():
        if "votes" in project.fields:
            assert votes[pid] == int(project.fields["votes"]), pid
        if "score" in project.fields:
            assert points[pid] == int(project.fields["score"]), pid


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_file_round_trips(name: str) -> None:
    election = load(name)
    text = pabulib.write(election)
    again = pabulib.parse(text)
    assert again == election
    assert pabulib.write(again) == text


@pytest.mark.parametrize("name", APPROVAL_FILES)
def test_selected_column_is_kept(name: str) -> None:
    election = load(name)
    raw = data_path(name).read_text(encoding="utf-8-sig")
    # Count the 1s in the raw PROJECTS section's selected column, independently of the parser.
    section = raw.split("\nPROJECTS\n", 1)[1].split("\nVOTES\n", 1)[0].splitlines()
    header = section[0].split(";")
    col = header.index("selected")
    ones = sum(1 for line in section[1:] if line.split(";")[col] == "1")
    assert ones > 0
    assert len(election.official_selection()) == ones
    assert all(p.selected is not None for p in election.projects.values())


@pytest.mark.parametrize(
    "name", ["Netherlands_Assen_2024.pb", "Poland_Czestochowa_2020_Grabowka.pb"]
)
def test_ballots_match_pabutools_reading_of_the_same_file(name: str) -> None:
    election = load(name)
    instance, profile = pabutools_election(name)
    assert {p.name for p in instance} == set(election.projects)
    assert {p.name: p.cost for p in instance} == {
        pid: p.cost for pid, p in election.projects.items()
    }
    assert instance.budget_limit == election.budget
    ours = Counter(frozenset(b.projects) for b in election.ballots)
    theirs = Counter(frozenset(p.name for p in ballot) for ballot in profile)
    assert ours == theirs


def test_quoted_names_from_real_files() -> None:
    wieliczka = load("Poland_Wieliczka_2023_Green_Budget.pb")
    assert wieliczka.projects["80"].name == (
        'Drzewne przytulasy i relaksacyjne gniazda w Parku "Stok pod Baranem"'
    )
    # A name that only starts with a quote is not a quoted field: it is kept as written.
    czestochowa = load("Poland_Czestochowa_2020_Grabowka.pb")
    assert czestochowa.projects["47"].name.startswith('"Odkupmy" i my - zakup')
    assert czestochowa.ballots[0] == Ballot("35", ("196", "198"), (6, 4), {})


def test_ordinal_ballots_keep_rank_order() -> None:
    krakow = load("Poland_Krakow_2018_Podgorze.pb")
    assert krakow.ballots[0].projects == ("18", "2", "23")
    assert krakow.ballots[0].fields == {"voting_method": "paper"}


# --------------------------------------------------------------------------- hand-built


def test_parse_small_file() -> None:
    election = pabulib.parse(SMALL)
    assert election.budget == 100
    assert election.vote_type == "approval"
    assert list(election.projects) == ["a", "b", "c"]
    a = election.projects["a"]
    assert a.cost == 60
    assert a.name == 'Park "Green" path; phase 1'
    assert a.selected is True
    assert election.projects["b"].selected is False
    assert election.projects["c"].selected is None
    assert [b.projects for b in election.ballots] == [("a", "b"), (), ("c",)]
    assert election.official_selection() == {"a"}


def test_crlf_bom_blank_lines_and_spaces() -> None:
    text = "\ufeff" + SMALL.replace("\n", "\r\n").replace("v1;a,b", "\r\n v1 ; a, b ")
    election = pabulib.parse(text)
    assert election == pabulib.parse(SMALL)


def test_multiline_quoted_field_round_trips() -> None:
    text = SMALL.replace("Benches", '"Benches\nand tables"')
    election = pabulib.parse(text)
    assert election.projects["b"].name == "Benches\nand tables"
    assert election.ballots[0].projects == ("a", "b")
    assert pabulib.parse(pabulib.write(election)) == election


def test_decimal_budget_and_costs_are_exact() -> None:
    text = SMALL.replace("budget;100", "budget;100.25").replace("b;50;", "b;49,5;")
    election = pabulib.parse(text)
    assert election.budget == Fraction(401, 4)
    assert election.projects["b"].cost == Fraction(99, 2)
    written = pabulib.write(election)
    assert "budget;100.25" in written
    assert "b;49.5;" in written
    assert pabulib.parse(written) == election


def test_cumulative_points_and_empty_ballot() -> None:
    text = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost
1;5
2;7
VOTES
voter_id;vote;points
x;1,2;3,2
y;;
"""
    election = pabulib.parse(text)
    assert election.ballots[0].points == (3, 2)
    assert election.ballots[1] == Ballot("y", (), (), {})
    assert pabulib.parse(pabulib.write(election)) == election


def test_write_then_parse_built_election() -> None:
    election = Election(
        meta={"budget": "30", "vote_type": "scoring", "comment": 'a "quote"; and more'},
        projects={
            "p1": Project("p1", 10, True, {"name": " padded "}),
            "p2": Project("p2", Fraction(41, 2), False, {"name": "x"}),
        },
        ballots=[Ballot("1", ("p2", "p1"), (Fraction(3, 2), -1), {"age": "30"})],
        project_columns=("project_id", "cost", "name", "selected"),
        vote_columns=("voter_id", "vote", "points", "age"),
    )
    assert pabulib.parse(pabulib.write(election)) == election


@pytest.mark.parametrize(
    "name",
    [
        "  leading and trailing  ",
        'a "quoted" word',
        '"starts with a quote',
        "semi;colon",
        "line\nbreak",
        "spaces before a break   \nand after",
        "comma, and ünïcödé",
        '""',
        "\t",
    ],
)
def test_awkward_names_round_trip(name: str) -> None:
    election = pabulib.parse(SMALL)
    election.projects["b"].fields["name"] = name
    election.meta["description"] = name
    again = pabulib.parse(pabulib.write(election))
    assert again.projects["b"].name == name
    assert again.meta["description"] == name
    assert again == election


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing META section"),
        (SMALL.replace("budget;100\n", ""), "META has no budget"),
        (SMALL.replace("budget;100", "budget;lots"), "budget must be a number"),
        (SMALL.replace("b;50;", "b;-5;"), "negative cost"),
        (SMALL.replace("b;50;", "b;;"), "cost must be a number"),
        (SMALL.replace("v3;c", "v3;zz"), "unknown project 'zz'"),
        (SMALL.replace("v3;c", "v3;c,c"), "the same project twice"),
        (SMALL.replace("c;40;Trees;", "a;40;Trees;"), "project 'a' appears twice"),
        (SMALL.replace("approval", "quadratic"), "unsupported vote_type 'quadratic'"),
        (SMALL.replace("project_id;cost", "id;cost"), "no 'project_id' column"),
        (SMALL.replace("Trees;", "Trees;1;extra"), "5 fields but the PROJECTS header has 4"),
        (SMALL.replace(";1\nb", ";yes\nb"), "selected must be 0 or 1"),
        (SMALL.replace("VOTES\n", "VOTES\nVOTES\n"), "section VOTES appears twice"),
        ("budget;1\n", "expected a META, PROJECTS or VOTES section header"),
        (
            SMALL.replace('"Park ""Green"" path; phase 1"', '"Park\nGreen" path'),
            "text after a closing quote",
        ),
        (SMALL.replace('1";1', "1;1"), "unterminated quoted field"),
        (
            SMALL.replace("approval", "cumulative").replace("voter_id;vote", "voter_id;vote"),
            "no 'points' column",
        ),
        (
            SMALL.replace("approval", "cumulative")
            .replace("voter_id;vote", "voter_id;vote;points")
            .replace("v1;a,b", "v1;a,b;1"),
            "vote and points have different lengths",
        ),
    ],
)
def test_malformed_input_gives_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(PabulibError, match=message.replace("(", r"\(")):
        pabulib.parse(text)


def test_error_reports_the_line() -> None:
    with pytest.raises(PabulibError) as info:
        pabulib.parse(SMALL.replace("v3;c", "v3;zz"))
    assert info.value.line == 15
    assert str(info.value).startswith("line 15:")


def test_parse_file_rejects_non_utf8(tmp_path) -> None:
    path = tmp_path / "bad.pb"
    path.write_bytes(SMALL.encode("utf-16"))
    with pytest.raises(PabulibError, match="not UTF-8"):
        pabulib.parse_file(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (12, "12"),
        (Fraction(1, 8), "0.125"),
        (Fraction(-5, 2), "-2.5"),
        (Fraction(4), "4"),
    ],
)
def test_format_number(value: int | Fraction, text: str) -> None:
    assert pabulib.format_number(value) == text
    assert pabulib.parse_number(text) == value


def test_format_number_refuses_non_decimal_fraction() -> None:
    with pytest.raises(ValueError, match="no exact decimal"):
        pabulib.format_number(Fraction(1, 3))
