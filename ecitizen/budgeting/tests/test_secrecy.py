"""Ballot secrecy: no table, page, export or audit entry links a voter to what they chose.

Checked on the database tables themselves (what anyone who can read them sees), on every
staff page of a budget, on the public results, on the .pb export and on the audit trail."""

import json

import pytest
from django.db import models

from ecitizen.accounts.models import StaffRole, User
from ecitizen.audit.models import AuditEntry
from ecitizen.budgeting import pabulib
from ecitizen.budgeting.models import BallotContent, BallotParticipation, Budget
from ecitizen.budgeting.services import (
    ballot_confirm,
    budget_close,
    budget_tally,
    paper_ballot_enter,
    paper_voter_mark,
)
from ecitizen.budgeting.tests.fixtures import *  # noqa: F403
from ecitizen.budgeting.tests.fixtures import (
    add_projects,
    close_voting,
    make_budget,
    make_voter,
)

pytestmark = pytest.mark.django_db


def test_the_tables_have_no_column_that_could_join_voters_and_choices():
    content_fields = {f.name: f for f in BallotContent._meta.get_fields()}
    # No person, no time: nothing to join on or to line up with the participation rows.
    assert not any(
        isinstance(f, models.ForeignKey) and f.related_model is User
        for f in content_fields.values()
    )
    assert not any(
        isinstance(f, models.DateTimeField | models.DateField) for f in content_fields.values()
    )
    assert isinstance(content_fields["id"], models.UUIDField)  # random, not in casting order
    participation_relations = {
        f.related_model for f in BallotParticipation._meta.get_fields() if f.is_relation
    }
    assert BallotContent not in participation_relations


@pytest.fixture
def election(voting_process, district, staff):
    """Three voters online (one changes their ballot), one on paper; then closed."""
    budget = make_budget(voting_process, district, amount=100_000_00)
    a, b, c = add_projects(budget, [40_000_00, 30_000_00, 20_000_00])
    voters = [make_voter(district, national_id=f"ID{i}") for i in range(4)]
    ballot_confirm(actor=voters[0], budget=budget, choice={a.pk: 1})
    ballot_confirm(actor=voters[1], budget=budget, choice={b.pk: 1, c.pk: 1})
    ballot_confirm(actor=voters[2], budget=budget, choice={a.pk: 1, b.pk: 1})
    ballot_confirm(actor=voters[2], budget=budget, choice={c.pk: 1})
    first, second = staff(StaffRole.Role.CASE_OFFICER), staff()
    paper_voter_mark(actor=first, budget=budget, national_id="ID3", identity_checked=True)
    paper_ballot_enter(actor=first, budget=budget, serial="1", choice={a.pk: 1, c.pk: 1})
    paper_ballot_enter(actor=second, budget=budget, serial="1", choice={a.pk: 1, c.pk: 1})
    return budget, voters, (a, b, c)


def person_markers(voters: list[User]) -> list[str]:
    markers = []
    for voter in voters:
        markers += [voter.email, f'"voter": {voter.pk}', voter.profile.national_id_hash]
    return markers


def test_before_the_close_a_ballot_is_found_only_through_the_budgets_secret(election):
    budget, voters, _ = election
    rows = list(BallotContent.objects.filter(budget=budget).values())
    dump = json.dumps(rows, default=str)
    for marker in person_markers(voters):
        assert marker not in dump
    tokens = [r["token"] for r in rows if r["token"]]
    assert len(tokens) == 3 and all(len(t) == 64 for t in tokens)
    # The secret is stored encrypted, never in the clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ballot_key FROM budgeting_budget WHERE id = %s", [budget.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and budget.ballot_key not in stored


def test_after_the_close_nothing_links_voters_to_ballots(election):
    budget, voters, _ = election
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget.refresh_from_db()
    assert budget.ballot_key == ""
    rows = list(BallotContent.objects.filter(budget=budget).values())
    assert len(rows) == 4 and all(r["token"] is None for r in rows)
    dump = json.dumps(rows, default=str)
    for marker in person_markers(voters):
        assert marker not in dump
    participations = list(BallotParticipation.objects.filter(budget=budget).values())
    assert len(participations) == 4
    assert not any(str(r["id"]) in json.dumps(participations, default=str) for r in rows)


def test_the_audit_trail_records_that_people_voted_never_what(election):
    budget, _, _projects = election
    entries = AuditEntry.objects.filter(action__startswith="budgeting.ballot.")
    assert entries.count() == 4
    for entry in entries:
        assert entry.data == {"budget": budget.pk}
    # Paper slips are audited by their number, not by any voter.
    for entry in AuditEntry.objects.filter(action__startswith="budgeting.paper_ballot."):
        assert set(entry.data) == {"budget", "serial"}


def test_exports_results_and_staff_pages_never_name_a_voter(client, election, staff):
    budget, voters, _ = election
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget_tally(actor=None, budget=budget)
    client.force_login(staff())
    pages = {
        "export": client.get(f"/staff/budgets/budget/{budget.pk}/export.pb"),
        "staff budget": client.get(f"/staff/budgets/budget/{budget.pk}/"),
        "staff paper": client.get(f"/staff/budgets/budget/{budget.pk}/paper/"),
        "staff process": client.get(f"/staff/budgets/{budget.process_id}/"),
        "results": client.get(
            f"/participate/budgets/{budget.process.slug}/budgets/{budget.pk}/results/"
        ),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = response.content.decode()
        for voter in voters:
            assert voter.email not in text, name
            assert voter.profile.national_id_hash not in text, name
    election_file = pabulib.parse(pages["export"].content.decode())
    assert [b.voter_id for b in election_file.ballots] == ["1", "2", "3", "4"]
    assert all(not b.fields for b in election_file.ballots)  # nothing but the choices
    assert Budget.objects.get(pk=budget.pk).result.ballots_counted == 4


def test_no_api_endpoint_exposes_ballots(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "ballot" not in schema.content.decode().lower()
