"""Participatory-budgeting services against a real database: eligibility, every ballot rule,
confirming and changing ballots, paper ballots, closing, tallying, ideas, implementation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.audit.models import AuditEntry, PersonalDataAccess
from ecitizen.budgeting import rules
from ecitizen.budgeting.election import budget_election
from ecitizen.budgeting.models import (
    BallotContent,
    BallotParticipation,
    Budget,
    PaperBallot,
    Project,
)
from ecitizen.budgeting.selectors import (
    voter_current_ballot,
    voter_eligibility,
)
from ecitizen.budgeting.services import (
    Review,
    ballot_confirm,
    ballot_validate,
    budget_close,
    budget_save,
    budget_tally,
    idea_review,
    idea_submit,
    implementation_update_post,
    milestone_save,
    paper_ballot_enter,
    paper_ballot_resolve,
    paper_voter_mark,
)
from ecitizen.budgeting.tests.fixtures import *  # noqa: F403
from ecitizen.budgeting.tests.fixtures import (
    add_projects,
    close_voting,
    make_budget,
    make_process,
    make_voter,
)

pytestmark = pytest.mark.django_db


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --------------------------------------------------------------------------- eligibility


def test_a_verified_adult_resident_of_the_area_may_vote(voting_process, district, voter):
    budget = make_budget(voting_process, district, minimum_age=16)
    assert voter_eligibility(budget=budget, user=voter) == []


def test_an_unverified_email_address_may_not_vote(voting_process, district):
    budget = make_budget(voting_process, district)
    user = make_voter(district, verified=False)
    assert "Confirm your email address" in " ".join(voter_eligibility(budget=budget, user=user))


def test_a_resident_of_another_district_may_not_vote(voting_process, district, other_district):
    budget = make_budget(voting_process, district)
    problems = voter_eligibility(budget=budget, user=make_voter(other_district))
    assert problems == [
        "Only residents of Riverside can vote in this budget. Your profile says you live in "
        "Harbour."
    ]


def test_a_city_wide_budget_takes_residents_of_every_district_but_not_people_without_one(
    voting_process, district, other_district
):
    budget = make_budget(voting_process, None)
    assert voter_eligibility(budget=budget, user=make_voter(other_district)) == []
    assert "Add your district" in voter_eligibility(budget=budget, user=make_voter(None))[0]


def test_a_region_budget_takes_residents_of_its_districts(voting_process, district):
    budget = make_budget(voting_process, district.parent)
    assert voter_eligibility(budget=budget, user=make_voter(district)) == []


def test_minimum_age_is_checked_from_the_date_of_birth(voting_process, district):
    budget = make_budget(voting_process, district, minimum_age=16)
    today = timezone.localdate()
    sixteen_today = today.replace(year=today.year - 16)
    almost = sixteen_today + datetime.timedelta(days=1)
    assert voter_eligibility(budget=budget, user=make_voter(district, born=sixteen_today)) == []
    assert voter_eligibility(budget=budget, user=make_voter(district, born=almost)) == [
        "You must be 16 or older to vote in this budget."
    ]
    no_birth_date = make_voter(district)
    no_birth_date.profile.date_of_birth = None
    no_birth_date.profile.save()
    assert "Add your date of birth" in voter_eligibility(budget=budget, user=no_birth_date)[0]


def test_no_minimum_age_needs_no_date_of_birth(voting_process, district):
    budget = make_budget(voting_process, district, minimum_age=0)
    user = make_voter(district)
    user.profile.date_of_birth = None
    user.profile.save()
    assert voter_eligibility(budget=budget, user=user) == []


def test_ineligible_voters_cannot_confirm_a_ballot(voting_process, district, other_district):
    budget = make_budget(voting_process, district)
    [project] = add_projects(budget, [10_000_00])
    with pytest.raises(ValidationError) as exc:
        ballot_confirm(actor=make_voter(other_district), budget=budget, choice={project.pk: 1})
    assert "Only residents of Riverside" in messages(exc)
    assert not BallotParticipation.objects.exists() and not BallotContent.objects.exists()


# --------------------------------------------------------------------------- ballot rules


@pytest.fixture
def approval(voting_process, district):
    budget = make_budget(voting_process, district, amount=100_000_00)
    projects = add_projects(budget, [60_000_00, 30_000_00, 20_000_00, 5_000_00])
    return budget, projects


def test_a_valid_ballot_has_its_running_total(approval):
    budget, (a, b, _c, d) = approval
    check = ballot_validate(budget=budget, choice={a.pk: 1, b.pk: 1, d.pk: 1})
    assert check.ok
    assert check.total_cost == 95_000_00 and check.remaining == 5_000_00
    assert [p.pk for p in check.chosen] == [a.pk, b.pk, d.pk]


def test_an_empty_ballot_is_refused(approval):
    budget, _ = approval
    assert ballot_validate(budget=budget, choice={}).errors == ["Choose at least one project."]


def test_a_ballot_over_the_budget_is_refused_when_the_budget_limit_is_on(approval):
    budget, (a, b, c, _d) = approval
    check = ballot_validate(budget=budget, choice={a.pk: 1, b.pk: 1, c.pk: 1})
    assert check.errors == [
        "Your choices cost €110,000.00, which is €10,000.00 more than the budget of "
        "€100,000.00. Remove a project or choose a cheaper one."
    ]
    assert check.over_budget == 10_000_00
    budget.budget_limit = False
    assert ballot_validate(budget=budget, choice={a.pk: 1, b.pk: 1, c.pk: 1}).ok


def test_minimum_and_maximum_number_of_projects(approval):
    budget, (a, b, c, d) = approval
    budget.min_projects, budget.max_projects = 2, 3
    assert ballot_validate(budget=budget, choice={d.pk: 1}).errors == [
        "Choose at least 2 projects. You have chosen 1."
    ]
    budget.budget_limit = False
    assert ballot_validate(budget=budget, choice={a.pk: 1, b.pk: 1, c.pk: 1, d.pk: 1}).errors == [
        "Choose at most 3 projects. You have chosen 4."
    ]
    assert ballot_validate(budget=budget, choice={b.pk: 1, d.pk: 1}).ok


def test_minimum_share_of_the_budget_to_spend(approval):
    budget, (a, b, _c, d) = approval
    budget.min_spend_percent = 50
    assert ballot_validate(budget=budget, choice={b.pk: 1, d.pk: 1}).errors == [
        "Your choices must add up to at least €50,000.00 (50% of the budget); they add up "
        "to €35,000.00. Choose more projects."
    ]
    assert ballot_validate(budget=budget, choice={a.pk: 1}).ok


def test_a_project_not_on_the_ballot_is_refused(approval):
    budget, (a, *_rest) = approval
    [idea] = add_projects(budget, [1_00], status="submitted")
    check = ballot_validate(budget=budget, choice={a.pk: 1, idea.pk: 1})
    assert check.errors == ["One of your choices is not on the ballot. Choose again."]


def test_cumulative_points(voting_process, district):
    budget = make_budget(
        voting_process,
        district,
        ballot_kind="cumulative",
        points_total=10,
        max_points_per_project=5,
        budget_limit=False,
    )
    a, b, c = add_projects(budget, [50_000_00, 40_000_00, 30_000_00])
    check = ballot_validate(budget=budget, choice={a.pk: 5, b.pk: 4, c.pk: 1})
    assert check.ok and check.points_used == 10 and check.points_left == 0
    assert ballot_validate(budget=budget, choice={a.pk: 5, b.pk: 5, c.pk: 2}).errors == [
        "You have given 12 points, but you have only 10 points to share out. Take away 2."
    ]
    assert ballot_validate(budget=budget, choice={a.pk: 6}).errors == [
        "You can give at most 5 points to one project."
    ]
    assert ballot_validate(budget=budget, choice={a.pk: 0}).errors == [
        "Give points to at least one project."
    ]


def test_budget_settings_are_checked(voting_process, district):
    with pytest.raises(ValidationError) as exc:
        budget_save(
            actor=None,
            process=voting_process,
            area=district,
            amount=0,
            currency="EUR",
            ballot_kind="cumulative",
            rule="equal-shares",
            min_projects=3,
            max_projects=2,
        )
    fields = exc.value.message_dict
    assert set(fields) == {"amount", "points_total", "rule", "max_projects"}


# --------------------------------------------------------------------------- casting


def test_confirming_a_ballot_records_participation_and_an_anonymous_content(approval, voter):
    budget, (a, b, *_rest) = approval
    confirmation = ballot_confirm(actor=voter, budget=budget, choice={b.pk: 1, a.pk: 1})
    assert not confirmation.changed
    participation = BallotParticipation.objects.get()
    assert participation.voter == voter and participation.channel == "online"
    content = BallotContent.objects.get()
    assert content.projects == sorted([a.pk, b.pk]) and content.points is None
    assert len(content.token) == 64 and voter.email not in str(vars(content))
    assert voter_current_ballot(budget=budget, user=voter) == {a.pk: 1, b.pk: 1}
    entry = AuditEntry.objects.get(action="budgeting.ballot.confirmed")
    assert entry.data == {"budget": budget.pk}


def test_the_last_confirmed_ballot_counts(approval, voter):
    budget, (a, _b, c, d) = approval
    ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    confirmation = ballot_confirm(actor=voter, budget=budget, choice={c.pk: 1, d.pk: 1})
    assert confirmation.changed
    assert BallotParticipation.objects.get().times_changed == 1
    assert BallotContent.objects.get().projects == sorted([c.pk, d.pk])
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    result = budget_tally(actor=None, budget=budget)
    assert set(result.selected) == {c.pk, d.pk}


def test_an_invalid_ballot_is_refused_and_the_earlier_one_stays(approval, voter):
    budget, (a, b, c, _d) = approval
    ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    with pytest.raises(ValidationError) as exc:
        ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1, b.pk: 1, c.pk: 1})
    assert "more than the budget" in messages(exc)
    assert BallotContent.objects.get().projects == [a.pk]


def test_no_ballot_before_voting_opens_or_after_it_closes(district, voter):
    early = make_budget(make_process(phase="review"), district)
    [project] = add_projects(early, [1_000_00])
    with pytest.raises(ValidationError, match="not started"):
        ballot_confirm(actor=voter, budget=early, choice={project.pk: 1})
    late = make_budget(make_process(phase="results"), district)
    [project] = add_projects(late, [1_000_00])
    with pytest.raises(ValidationError, match="Voting has closed"):
        ballot_confirm(actor=voter, budget=late, choice={project.pk: 1})


def test_closing_destroys_the_link_between_voters_and_ballots(approval, voter, district):
    budget, (a, b, *_rest) = approval
    other = make_voter(district)
    ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    ballot_confirm(actor=other, budget=budget, choice={b.pk: 1})
    with pytest.raises(ValidationError, match="open until"):
        budget_close(actor=None, budget=budget)
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget.refresh_from_db()
    assert budget.ballot_key == "" and budget.status == Budget.Status.CLOSED
    assert list(BallotContent.objects.values_list("token", flat=True)) == [None, None]
    assert voter_current_ballot(budget=budget, user=voter) is None
    with pytest.raises(ValidationError, match="closed already"):
        budget_close(actor=None, budget=budget)


# --------------------------------------------------------------------------- tally


def test_tally_equals_the_rules_on_the_same_ballots(voting_process, district):
    budget = make_budget(voting_process, district, amount=100_000_00, min_votes=2)
    a, b, c, d = add_projects(budget, [60_000_00, 30_000_00, 20_000_00, 5_000_00])
    ballots = [{a.pk, b.pk}, {a.pk}, {c.pk, b.pk}, {c.pk}, {c.pk, a.pk}, {d.pk}]
    for choice in ballots:
        ballot_confirm(actor=make_voter(district), budget=budget, choice=dict.fromkeys(choice, 1))
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    expected = rules.greedy(budget_election(budget), threshold=2)
    result = budget_tally(actor=None, budget=budget)
    code_to_pk = {p.code: p.pk for p in (a, b, c, d)}
    assert result.selected == [code_to_pk[code] for code in expected.selected]
    # a and c have 3 votes each (tie: the cheaper first); b (2 votes) no longer fits.
    assert result.selected == [c.pk, a.pk]
    assert result.cost == 80_000_00 and result.ballots_counted == 6
    assert result.decisions[str(b.pk)]["reason"] == "did-not-fit"
    assert result.decisions[str(d.pk)]["reason"] == "below-threshold"
    again = budget_tally(actor=None, budget=budget)
    assert again.selected == result.selected and again.decisions == result.decisions


def test_equal_shares_tally(voting_process, district):
    budget = make_budget(voting_process, district, amount=300_00, rule="equal-shares")
    a, b, c = add_projects(budget, [200_00, 100_00, 100_00])
    # Two voters want a and b; one voter wants c: MES gives the minority its share.
    for choice in ({a.pk, b.pk}, {a.pk, b.pk}, {c.pk}):
        ballot_confirm(actor=make_voter(district), budget=budget, choice=dict.fromkeys(choice, 1))
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    election = budget_election(budget)
    expected = rules.equal_shares(election)
    result = budget_tally(actor=None, budget=budget)
    pk = {p.code: p.pk for p in (a, b, c)}
    assert result.selected == [pk[code] for code in expected.selected]
    assert c.pk in result.selected
    assert result.add1_steps == expected.add1_steps


def test_tally_needs_the_vote_closed_and_every_paper_ballot_settled(approval, staff):
    budget, (a, *_rest) = approval
    with pytest.raises(ValidationError, match="Close voting"):
        budget_tally(actor=None, budget=budget)
    paper_ballot_enter(actor=staff(), budget=budget, serial="P-1", choice={a.pk: 1})
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    with pytest.raises(ValidationError, match="1 paper ballot still needs"):
        budget_tally(actor=None, budget=budget)


# --------------------------------------------------------------------------- paper


def test_paper_voter_is_marked_once_and_cannot_vote_online(approval, district, staff):
    budget, (a, *_rest) = approval
    officer = staff(StaffRole.Role.CASE_OFFICER)
    voter = make_voter(district, national_id="AB123456")
    with pytest.raises(ValidationError) as exc:
        paper_voter_mark(actor=officer, budget=budget, national_id="", identity_checked=False)
    assert set(exc.value.message_dict) == {"national_id", "identity_checked"}
    participation = paper_voter_mark(
        actor=officer, budget=budget, national_id="ab 123 456", identity_checked=True
    )
    assert participation.voter == voter and participation.channel == "paper"
    assert PersonalDataAccess.objects.filter(subject=voter, accessor=officer).exists()
    with pytest.raises(ValidationError, match="already voted"):
        paper_voter_mark(
            actor=officer, budget=budget, national_id="AB123456", identity_checked=True
        )
    with pytest.raises(ValidationError, match="voted on paper"):
        ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    # Someone without an account is marked by national ID alone.
    stranger = paper_voter_mark(
        actor=officer, budget=budget, national_id="ZZ999", identity_checked=True
    )
    assert stranger.voter is None and stranger.national_id_hash


def test_an_online_voter_cannot_also_vote_on_paper(approval, district, staff):
    budget, (a, *_rest) = approval
    voter = make_voter(district, national_id="CD555")
    ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    with pytest.raises(ValidationError, match="already voted"):
        paper_voter_mark(actor=staff(), budget=budget, national_id="CD555", identity_checked=True)


def test_paper_voter_from_another_district_is_refused(approval, other_district, staff):
    budget, _ = approval
    make_voter(other_district, national_id="EF777")
    with pytest.raises(ValidationError, match="may not vote"):
        paper_voter_mark(actor=staff(), budget=budget, national_id="EF777", identity_checked=True)


def test_paper_ballot_double_entry(approval, staff):
    budget, (a, b, c, d) = approval
    first, second, supervisor = staff(StaffRole.Role.CASE_OFFICER), staff(), staff()
    slip = paper_ballot_enter(actor=first, budget=budget, serial="p 1", choice={a.pk: 1})
    assert slip.status == PaperBallot.Status.AWAITING_SECOND and slip.serial == "P1"
    assert not BallotContent.objects.exists()
    with pytest.raises(ValidationError, match="different member of staff"):
        paper_ballot_enter(actor=first, budget=budget, serial="P1", choice={a.pk: 1})
    slip = paper_ballot_enter(actor=second, budget=budget, serial="P1", choice={a.pk: 1})
    assert slip.status == PaperBallot.Status.MATCHED
    content = BallotContent.objects.get()
    assert content.source == "paper" and content.projects == [a.pk] and content.token is None
    with pytest.raises(ValidationError, match="entered twice already"):
        paper_ballot_enter(actor=supervisor, budget=budget, serial="P1", choice={a.pk: 1})

    # The two entries differ: flagged, not counted, until someone else checks the paper.
    paper_ballot_enter(actor=first, budget=budget, serial="P2", choice={b.pk: 1})
    slip = paper_ballot_enter(actor=second, budget=budget, serial="P2", choice={c.pk: 1})
    assert slip.status == PaperBallot.Status.MISMATCH
    assert BallotContent.objects.count() == 1
    with pytest.raises(ValidationError, match="did not type in"):
        paper_ballot_resolve(actor=second, slip=slip, choice={b.pk: 1}, note="Checked")
    slip = paper_ballot_resolve(
        actor=supervisor, slip=slip, choice={b.pk: 1}, note="The cross is on project 2."
    )
    assert slip.status == PaperBallot.Status.RESOLVED
    assert BallotContent.objects.count() == 2

    # Both agree on a ballot that breaks the rules: a spoilt ballot, not counted.
    paper_ballot_enter(actor=first, budget=budget, serial="P3", choice={a.pk: 1, b.pk: 1, c.pk: 1})
    slip = paper_ballot_enter(
        actor=second, budget=budget, serial="P3", choice={a.pk: 1, b.pk: 1, c.pk: 1}
    )
    assert slip.status == PaperBallot.Status.INVALID and "more than the budget" in slip.note
    assert BallotContent.objects.count() == 2

    close_voting(budget)
    budget_close(actor=None, budget=budget)
    result = budget_tally(actor=None, budget=budget)
    assert result.ballots_counted == 2 and set(result.selected) == {a.pk, b.pk}
    assert d.pk not in result.selected


# --------------------------------------------------------------------------- ideas


def test_idea_submission_only_in_the_idea_phase(district, voter):
    budget = make_budget(make_process(phase="ideas"), district)
    project = idea_submit(
        actor=voter,
        budget=budget,
        title="More benches",
        description="In the park.",
        location="Riverside Park",
        estimated_cost=2_000_00,
    )
    assert project.status == "submitted" and project.code == "1" and project.area == district
    assert project.title == {"en": "More benches"}
    with pytest.raises(ValidationError) as exc:
        idea_submit(actor=voter, budget=budget, title="", description="", estimated_cost=0)
    assert set(exc.value.message_dict) == {"title", "description", "estimated_cost"}
    closed = make_budget(make_process(phase="voting"), district)
    with pytest.raises(ValidationError, match="only be submitted"):
        idea_submit(actor=voter, budget=closed, title="x", description="y", estimated_cost=1_00)


def test_feasibility_review(district, voter, make_staff):
    process = make_process(phase="review")
    budget = make_budget(process, district)
    reviewer = make_staff(StaffRole.Role.AGENCY_ADMIN, agency=process.agency)
    a, b, c = add_projects(budget, [1_000_00, 2_000_00, 3_000_00], status="submitted")
    a = idea_review(actor=reviewer, project=a, decision=Review.FEASIBLE, final_cost=1_500_00)
    assert a.status == "feasible" and a.final_cost == 1_500_00
    a = idea_review(actor=reviewer, project=a, decision=Review.ACCEPT)
    assert a.status == "accepted" and a.cost == 1_500_00
    with pytest.raises(ValidationError) as exc:
        idea_review(actor=reviewer, project=b, decision=Review.REJECT)
    assert "reason" in exc.value.message_dict
    b = idea_review(actor=reviewer, project=b, decision=Review.REJECT, reason="Private land.")
    assert b.status == "rejected" and b.status_reason == {"en": "Private land."}
    c = idea_review(actor=reviewer, project=c, decision=Review.MERGE, merge_into=a)
    assert c.status == "merged" and c.merged_into == a
    with pytest.raises(ValidationError) as exc:
        idea_review(actor=reviewer, project=b, decision=Review.MERGE, merge_into=b)
    assert "merge_into" in exc.value.message_dict


# --------------------------------------------------------------------------- implementation


def test_implementation_updates_are_for_funded_projects(approval, voter, staff):
    budget, (a, b, *_rest) = approval
    ballot_confirm(actor=voter, budget=budget, choice={a.pk: 1})
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget_tally(actor=None, budget=budget)
    admin = staff()
    update = implementation_update_post(
        actor=admin, project=a, status="in_progress", progress=40, note={"en": "Works started."}
    )
    assert update.progress == 40
    with pytest.raises(ValidationError, match="Only funded"):
        implementation_update_post(
            actor=admin, project=b, status="in_progress", progress=10, note={"en": "x"}
        )
    with pytest.raises(ValidationError) as exc:
        implementation_update_post(actor=admin, project=a, status="nope", progress=140, note={})
    assert set(exc.value.message_dict) == {"status", "progress", "note_en"}
    milestone = milestone_save(
        actor=admin, project=a, title={"en": "Design"}, reached_on=timezone.localdate()
    )
    assert milestone.reached_on is not None
    assert Project.objects.get(pk=a.pk).updates.count() == 1
