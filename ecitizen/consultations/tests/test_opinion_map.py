"""The opinion map in the app: votes through the service, recomputation in the background
task (debounced), stored results that are the same for the same votes whatever the order,
moderated statements, and the pages."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ecitizen.consultations import mapping, selectors, services, tasks
from ecitizen.consultations.models import (
    Consultation,
    OpinionMapResult,
    OpinionParticipant,
    Statement,
    Vote,
)
from ecitizen.consultations.opinion import compute_opinion_map
from ecitizen.consultations.tests.factories import make_survey, planted_votes, resident_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def map_consultation(agency, admin) -> Consultation:
    return make_survey(agency=agency, admin=admin, questions=[], opinion_map=True, statements=16)


def test_a_vote_recomputes_the_map_in_the_background(
    map_consultation, area, django_capture_on_commit_callbacks
) -> None:
    planted_votes(map_consultation, order_seed=1)
    resident = resident_in(area)
    statement = selectors.next_statement(map_consultation, None)
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_vote(
            actor=resident, consultation=map_consultation, statement=statement, vote=Vote.AGREE
        )
    stored = OpinionMapResult.objects.get(consultation=map_consultation)
    assert stored.status == "clustered"
    assert stored.n_votes == Vote.objects.count()
    assert len(stored.data["groups"]) == 3
    assert stored.svg["fr"].startswith("<svg") and "Groupe A" in stored.svg["fr"]
    assert 'role="img"' in stored.svg["en"] and "style=" not in stored.svg["en"]


def test_same_votes_same_stored_map_whatever_the_order(agency, admin) -> None:
    first = make_survey(agency=agency, admin=admin, questions=[], opinion_map=True, statements=16)
    second = make_survey(agency=agency, admin=admin, questions=[], opinion_map=True, statements=16)
    votes_a = planted_votes(first, order_seed=1)
    planted_votes(second, order_seed=2)
    tasks.recompute_opinion_map.call(first.pk)
    tasks.recompute_opinion_map.call(second.pk)
    a = OpinionMapResult.objects.get(consultation=first)
    b = OpinionMapResult.objects.get(consultation=second)

    def canonical(result: OpinionMapResult, consultation: Consultation) -> Any:
        """Ids differ between the two consultations: compare by rank of id."""
        people = sorted(
            OpinionParticipant.objects.filter(consultation=consultation).values_list(
                "pk", flat=True
            )
        )
        statements = sorted(
            Statement.objects.filter(consultation=consultation).values_list("pk", flat=True)
        )
        p_rank = {pk: i for i, pk in enumerate(people)}
        s_rank = {pk: i for i, pk in enumerate(statements)}
        data = result.data
        return (
            [[p_rank[p], x, y, g] for p, x, y, g in data["positions"]],
            data["groups"],
            {
                g: [(s_rank[r["statement_id"]], r["direction"], r["probability"]) for r in reps]
                for g, reps in data["representative"].items()
            },
            [s_rank[c["statement_id"]] for c in data["consensus_agree"]],
            data["silhouette_by_k"],
            data["explained_variance"],
        )

    assert canonical(a, first) == canonical(b, second)
    # Running the task again changes nothing, and it is what the core computes directly.
    tasks.recompute_opinion_map.call(first.pk)
    again = OpinionMapResult.objects.get(consultation=first)
    assert again.data == a.data and again.svg == a.svg
    direct = compute_opinion_map(votes_a, statement_ids=[s for _p, s, _v in votes_a])
    assert mapping.to_json(direct)["positions"] == a.data["positions"]


def test_recomputation_is_debounced(map_consultation, settings) -> None:
    """While a run is pending, more votes queue nothing; the run clears the mark before it
    reads the votes, so a vote after that queues the next run."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    cache.delete(tasks.pending_key(map_consultation.pk))
    assert tasks.schedule_recompute(map_consultation.pk) is True
    assert tasks.schedule_recompute(map_consultation.pk) is False
    assert tasks.schedule_recompute(map_consultation.pk) is False
    queued = default_task_backend.results
    assert len(queued) == 1 and queued[0].args == [map_consultation.pk]
    assert queued[0].task.run_after is not None  # waits for the burst of votes to end
    tasks.recompute_opinion_map.call(map_consultation.pk)
    assert tasks.schedule_recompute(map_consultation.pk) is True
    assert len(default_task_backend.results) == 2


def test_statements_from_participants_wait_for_moderation(map_consultation, admin, area) -> None:
    resident = resident_in(area)
    mine = services.statement_submit(
        actor=resident, consultation=map_consultation, text="  Plant   more oaks. ", language="fr"
    )
    assert mine.status == Statement.Status.PENDING and mine.text == {"fr": "Plant more oaks."}
    assert mine not in selectors.approved_statements(map_consultation)
    with pytest.raises(Exception, match="why"):
        services.statement_moderate(actor=admin, statement=mine, approve=False, reason="")
    services.statement_moderate(actor=admin, statement=mine, approve=True)
    assert mine in selectors.approved_statements(map_consultation)
    too_long = "x" * 141
    with pytest.raises(Exception, match="140 characters"):
        services.statement_submit(
            actor=resident, consultation=map_consultation, text=too_long, language="en"
        )


def test_voting_again_replaces_the_vote_and_moves_on(map_consultation, area) -> None:
    resident = resident_in(area)
    first = selectors.next_statement(map_consultation, None)
    services.opinion_vote(
        actor=resident, consultation=map_consultation, statement=first, vote=Vote.AGREE
    )
    services.opinion_vote(
        actor=resident, consultation=map_consultation, statement=first, vote=Vote.DISAGREE
    )
    participant = selectors.opinion_participant(map_consultation, resident)
    assert list(participant.votes.values_list("vote", flat=True)) == [Vote.DISAGREE]
    assert selectors.next_statement(map_consultation, participant) != first
    assert selectors.opinion_progress(map_consultation, participant) == (1, 16)


def test_the_voting_page_shows_one_statement_and_works_without_javascript(
    map_consultation, area
) -> None:
    client = Client()
    client.force_login(resident_in(area))
    url = reverse("consultations:opinions", args=[map_consultation.pk])
    page = client.get(url).content.decode()
    assert page.count('name="vote"') == 3 and "Statement 1 of 16" in page
    statement = selectors.next_statement(map_consultation, None)
    response = client.post(url, {"statement": statement.pk, "vote": "0"})
    assert response.status_code == 302 and response["Location"] == url
    assert Vote.objects.get().vote == Vote.PASS
    assert "Statement 2 of 16" in client.get(url).content.decode()


def test_the_map_page_marks_you_and_has_a_table(
    map_consultation, area, django_capture_on_commit_callbacks
) -> None:
    planted_votes(map_consultation, order_seed=5)
    resident = resident_in(area)
    with django_capture_on_commit_callbacks(execute=True):
        for statement in selectors.approved_statements(map_consultation)[:9]:
            services.opinion_vote(
                actor=resident, consultation=map_consultation, statement=statement, vote=1
            )
    client = Client()
    client.force_login(resident)
    page = client.get(reverse("consultations:opinion_map", args=[map_consultation.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and ">You<" in html and "You are in Group" in html
    assert "<table" in html and "Common ground" in html
    anonymous = Client().get(reverse("consultations:opinion_map", args=[map_consultation.pk]))
    assert ">You<" not in anonymous.content.decode()


def test_no_map_pages_when_staff_did_not_turn_it_on(consultation) -> None:
    for name in ("opinions", "opinion_map"):
        assert (
            Client().get(reverse(f"consultations:{name}", args=[consultation.pk])).status_code
            == 404
        )
