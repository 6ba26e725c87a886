"""Resident and staff pages of participatory budgeting: what each one shows, the ballot's
check-and-confirm steps, error summaries that keep the input, results with reasons, markup
that works at 375 px without inline styles or scripts, and a constant number of queries."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.budgeting import pabulib
from ecitizen.budgeting.demo import _png
from ecitizen.budgeting.models import (
    BallotContent,
    BallotParticipation,
    Budget,
    PaperBallot,
    Process,
    Project,
)
from ecitizen.budgeting.services import ballot_confirm, budget_close, budget_tally
from ecitizen.budgeting.tests.fixtures import *  # noqa: F403
from ecitizen.budgeting.tests.fixtures import (
    add_projects,
    close_voting,
    make_budget,
    make_process,
    make_voter,
)

pytestmark = pytest.mark.django_db


def html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_csp_safe(page: str) -> None:
    """No inline styles or scripts (the CSP forbids them), and the viewport is set."""
    assert 'name="viewport" content="width=device-width' in page
    assert not re.search(r"\sstyle=", page), "inline style attribute"
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), "inline script"


@pytest.fixture
def setup(voting_process, district):
    budget = make_budget(voting_process, district, amount=100_000_00, max_projects=3)
    projects = add_projects(budget, [60_000_00, 30_000_00, 20_000_00, 5_000_00])
    return voting_process, budget, projects


def url(process: Process, budget: Budget, suffix: str = "") -> str:
    return f"/participate/budgets/{process.slug}/budgets/{budget.pk}/{suffix}"


# --------------------------------------------------------------------------- browsing


def test_index_and_process_pages_show_the_current_phase(client, setup):
    process, budget, _ = setup
    hidden = make_process(phase="ideas")
    Process.objects.filter(pk=hidden.pk).update(is_published=False)
    page = html(client.get("/participate/budgets/"))
    assert str(process) in page and str(hidden) not in page
    page = html(client.get(f"/participate/budgets/{process.slug}/"))
    assert "<strong>Now:</strong> Voting" in page
    assert 'aria-current="step"' in page and "usa-step-indicator" in page
    assert url(process, budget, "vote/") in page
    assert client.get(f"/participate/budgets/{hidden.slug}/").status_code == 404
    assert_csp_safe(page)


def test_budget_page_lists_reviewed_projects_but_not_others_unreviewed_ideas(
    client, setup, district
):
    process, budget, projects = setup
    [idea] = add_projects(budget, [1_000_00], status="submitted")
    idea.title = {"en": "Secret idea"}
    idea.submitted_by = make_voter(district)
    idea.save()
    [rejected] = add_projects(budget, [2_000_00], status="rejected")
    rejected.status_reason = {"en": "Private land."}
    rejected.save()
    page = html(client.get(url(process, budget)))
    assert all(str(p) in page for p in projects)
    assert "Private land." in page and "Secret idea" not in page
    assert "You can change your ballot until voting closes" in page
    assert client.get(f"/participate/budgets/projects/{idea.pk}/").status_code == 404
    client.force_login(idea.submitted_by)
    assert "Secret idea" in html(client.get(f"/participate/budgets/projects/{idea.pk}/"))


def test_budget_and_results_pages_run_a_constant_number_of_queries(client, district):
    counts = []
    for n in (3, 12):
        process = make_process(phase="voting")
        budget = make_budget(process, district, budget_limit=False)
        projects = add_projects(budget, [1_000_00] * n)
        for project in projects[:2]:
            ballot_confirm(actor=make_voter(district), budget=budget, choice={project.pk: 1})
        close_voting(budget)
        budget_close(actor=None, budget=budget)
        budget_tally(actor=None, budget=budget)
        with CaptureQueriesContext(connection) as budget_page:
            html(client.get(url(process, budget)))
        with CaptureQueriesContext(connection) as results_page:
            html(client.get(url(process, budget, "results/")))
        counts.append((len(budget_page), len(results_page)))
    assert counts[0] == counts[1], counts


def test_budget_page_queries_are_pinned(client, setup, django_assert_num_queries):
    process, budget, _ = setup
    with django_assert_num_queries(4):  # session-less: process+budgets, projects, images
        client.get(url(process, budget))


# --------------------------------------------------------------------------- ballot


def test_the_ballot_needs_a_signed_in_eligible_resident(client, setup, other_district):
    process, budget, _ = setup
    response = client.get(url(process, budget, "vote/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_voter(other_district))
    page = html(client.get(url(process, budget, "vote/")))
    assert "You cannot vote in this budget yet" in page
    assert "Only residents of Riverside can vote" in page


def test_running_total_without_javascript(client, setup, voter):
    process, budget, (a, b, c, _d) = setup
    client.force_login(voter)
    page = html(client.get(url(process, budget, "vote/")))
    assert 'type="checkbox" name="project"' in page and "Running total" in page
    assert "Update the total" in page
    assert_csp_safe(page)
    page = html(
        client.post(
            url(process, budget, "vote/"),
            {"action": "update", "project": [a.pk, b.pk, c.pk]},
        )
    )
    assert "Over the budget by" in page and "€10,000.00" in page
    assert "There is a problem" not in page  # updating the total is not checking


def test_an_invalid_ballot_shows_an_error_summary_and_keeps_the_choices(client, setup, voter):
    process, budget, (a, b, c, _d) = setup
    client.force_login(voter)
    page = html(
        client.post(
            url(process, budget, "vote/"), {"action": "check", "project": [a.pk, b.pk, c.pk]}
        )
    )
    assert "<title>Error:" in page and 'id="error-summary"' in page
    assert f'href="#project-{a.pk}"' in page
    assert "Your choices cost €110,000.00, which is €10,000.00 more than the budget" in page
    for project in (a, b, c):
        assert re.search(rf'id="project-{project.pk}"[^>]*checked', page)
    assert not BallotParticipation.objects.exists()


def test_check_confirm_and_change_the_ballot(client, setup, voter):
    process, budget, (a, b, c, d) = setup
    client.force_login(voter)
    page = html(
        client.post(url(process, budget, "vote/"), {"action": "check", "project": [a.pk, d.pk]})
    )
    assert "Check your ballot" in page and "Confirm my ballot" in page
    assert f'name="project" value="{a.pk}"' in page
    assert not BallotParticipation.objects.exists()
    response = client.post(url(process, budget, "vote/confirm/"), {"project": [a.pk, d.pk]})
    assert response.status_code == 302 and response["Location"].endswith("vote/done/")
    page = html(client.get(response["Location"]))
    assert "Your ballot is confirmed" in page and "Change my ballot" in page
    assert BallotContent.objects.get().projects == sorted([a.pk, d.pk])

    page = html(client.get(url(process, budget, "vote/")))
    assert "You have voted already" in page
    assert re.search(rf'id="project-{a.pk}"[^>]*checked', page)
    assert not re.search(rf'id="project-{b.pk}"[^>]*checked', page)
    client.post(url(process, budget, "vote/confirm/"), {"project": [b.pk, c.pk]})
    page = html(client.get(url(process, budget, "vote/done/")))
    assert "Your new ballot is confirmed" in page
    assert BallotParticipation.objects.count() == 1
    assert BallotContent.objects.get().projects == sorted([b.pk, c.pk])


def test_a_forged_invalid_confirmation_is_refused(client, setup, voter):
    process, budget, (a, b, c, _d) = setup
    client.force_login(voter)
    page = html(client.post(url(process, budget, "vote/confirm/"), {"project": [a.pk, b.pk, c.pk]}))
    assert "more than the budget" in page and 'id="error-summary"' in page
    assert not BallotContent.objects.exists()


def test_cumulative_ballot_page(client, voting_process, district, voter):
    budget = make_budget(
        voting_process, district, ballot_kind="cumulative", points_total=5, budget_limit=False
    )
    a, b = add_projects(budget, [10_000_00, 20_000_00])
    client.force_login(voter)
    vote = url(voting_process, budget, "vote/")
    page = html(
        client.post(vote, {"action": "check", f"points-{a.pk}": "4", f"points-{b.pk}": "x"})
    )
    assert f'href="#points-{b.pk}"' in page and "Enter a whole number of points" in page
    assert 'value="x"' in page  # what was typed is kept
    page = html(
        client.post(vote, {"action": "check", f"points-{a.pk}": "4", f"points-{b.pk}": "3"})
    )
    assert "You have given 7 points, but you have only 5 points" in page
    page = html(
        client.post(vote, {"action": "check", f"points-{a.pk}": "3", f"points-{b.pk}": "2"})
    )
    assert "Check your ballot" in page and f'name="points-{a.pk}" value="3"' in page
    client.post(
        url(voting_process, budget, "vote/confirm/"), {f"points-{a.pk}": "3", f"points-{b.pk}": "2"}
    )
    content = BallotContent.objects.get()
    assert content.projects == [a.pk, b.pk] and content.points == [3, 2]


def test_no_ballot_page_once_voting_has_closed(client, setup, voter):
    process, budget, _ = setup
    close_voting(budget)
    client.force_login(voter)
    response = client.get(url(process, budget, "vote/"))
    assert response.status_code == 302 and response["Location"] == url(process, budget)


# --------------------------------------------------------------------------- results


def test_results_page_shows_winners_chart_table_and_reasons(client, setup, district):
    process, budget, (a, b, c, _d) = setup
    assert "not been counted yet" in html(client.get(url(process, budget, "results/")))
    for choice in ({a.pk, b.pk}, {a.pk}, {b.pk, c.pk}, {c.pk}):
        ballot_confirm(actor=make_voter(district), budget=budget, choice=dict.fromkeys(choice, 1))
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget_tally(actor=None, budget=budget)
    page = html(client.get(url(process, budget, "results/")))
    # Every project has 2 votes but d: the cheaper go first (c, b), then a no longer fits.
    assert "2 projects are funded." in page and "4 ballots were counted." in page
    assert "<svg" in page and 'preserveAspectRatio="none"' in page
    assert 'class="usa-table usa-table--borderless usa-table--stacked' in page
    assert "Funded: with 2 votes it was among the most supported" in page
    assert "Not funded: 2 votes, but its cost of €60,000.00 was more than what was left" in page
    assert "Not funded: nobody voted for it." in page  # d
    assert_csp_safe(page)


def test_implementation_page(client, setup, district, staff):
    from ecitizen.budgeting.services import implementation_update_post, milestone_save

    process, budget, (a, *_rest) = setup
    ballot_confirm(actor=make_voter(district), budget=budget, choice={a.pk: 1})
    close_voting(budget)
    budget_close(actor=None, budget=budget)
    budget_tally(actor=None, budget=budget)
    admin = staff()
    implementation_update_post(
        actor=admin, project=a, status="in_progress", progress=45, note={"en": "Digging."}
    )
    milestone_save(actor=admin, project=a, title={"en": "Design done"}, reached_on=None)
    page = html(client.get(f"/participate/budgets/{process.slug}/implementation/"))
    assert 'value="45"' in page and "Digging." in page and "Design done" in page
    page = html(client.get(f"/participate/budgets/projects/{a.pk}/"))
    assert "Funded" in page and "In progress" in page


# --------------------------------------------------------------------------- ideas


def test_idea_submission_with_pictures_checked_by_their_bytes(client, district, voter):
    process = make_process(phase="ideas")
    budget = make_budget(process, district)
    client.force_login(voter)
    new = f"/participate/budgets/{process.slug}/ideas/new/"
    assert "Propose an idea" in html(client.get(new))
    fake = SimpleUploadedFile("photo.png", b"not an image at all", "image/png")
    page = html(
        client.post(
            new,
            {"budget": budget.pk, "title": "Benches", "description": "Please.",
             "estimated_cost": "1200", "images": fake},
        )
    )  # fmt: skip
    assert "must be a PNG, JPEG or WebP file" in page and 'value="Benches"' in page
    picture = SimpleUploadedFile("x.bin", _png(4, 4, (0, 0, 0)), "application/octet-stream")
    response = client.post(
        new,
        {"budget": budget.pk, "title": "Benches", "description": "Please.",
         "estimated_cost": "1200.50", "images": picture, "image_description": "A bench"},
    )  # fmt: skip
    project = Project.objects.get()
    assert response["Location"] == f"/participate/budgets/projects/{project.pk}/"
    assert project.estimated_cost == 1200_50 and project.submitted_by == voter
    image = project.images.get()
    assert image.content_type == "image/png" and image.alt_text == "A bench"
    response = client.get(f"/participate/budgets/images/{image.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(f"/participate/budgets/images/{image.pk}/").status_code == 404


# --------------------------------------------------------------------------- staff


def test_staff_set_up_a_process_and_a_budget(client, make_staff):
    agency = AgencyFactory()
    admin = make_staff(StaffRole.Role.AGENCY_ADMIN, agency=agency)
    client.force_login(admin)
    assert "New process" in html(client.get("/staff/budgets/"))
    now = timezone.localtime()

    def when(days: int) -> str:
        return (now + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    form = {
        "agency": agency.pk, "slug": "budget-2030", "title_en": "Budget 2030",
        "ideas_from": when(1), "review_from": when(2), "voting_from": when(1),
        "results_from": when(4), "implementation_from": when(5), "is_published": "on",
    }  # fmt: skip
    page = html(client.post("/staff/budgets/new/", form))
    assert "Each phase must start after the one before it." in page
    assert 'value="Budget 2030"' in page
    form["voting_from"] = when(3)
    response = client.post("/staff/budgets/new/", form)
    process = Process.objects.get(slug="budget-2030")
    assert response["Location"] == f"/staff/budgets/{process.pk}/"
    response = client.post(
        f"/staff/budgets/{process.pk}/budgets/new/",
        {"currency": "EUR", "amount": "50000", "ballot_kind": "approval", "budget_limit": "on",
         "min_projects": 1, "min_spend_percent": 0, "rule": "equal-shares", "min_votes": 0,
         "minimum_age": 16},
    )  # fmt: skip
    budget = Budget.objects.get(process=process)
    assert response["Location"] == f"/staff/budgets/budget/{budget.pk}/"
    assert budget.amount == 50_000_00 and budget.rule == "equal-shares" and budget.ballot_key


def test_staff_of_another_agency_get_404(client, setup, make_staff):
    process, budget, _ = setup
    outsider = make_staff(StaffRole.Role.AGENCY_ADMIN, agency=AgencyFactory())
    client.force_login(outsider)
    for path in (
        f"/staff/budgets/{process.pk}/",
        f"/staff/budgets/budget/{budget.pk}/",
        f"/staff/budgets/budget/{budget.pk}/paper/",
        f"/staff/budgets/budget/{budget.pk}/export.pb",
    ):
        assert client.get(path).status_code == 404, path
    assert str(process) not in html(client.get("/staff/budgets/"))


def test_a_case_officer_enters_paper_ballots_but_cannot_close(client, setup, staff):
    _process, budget, (a, *_rest) = setup
    officer = staff(StaffRole.Role.CASE_OFFICER)
    client.force_login(officer)
    assert "Mark a voter" in html(client.get(f"/staff/budgets/budget/{budget.pk}/paper/"))
    response = client.post(
        f"/staff/budgets/budget/{budget.pk}/paper/enter/", {"serial": "B7", "project": [a.pk]}
    )
    assert response.status_code == 302
    assert PaperBallot.objects.get().status == "awaiting"
    page = html(
        client.post(
            f"/staff/budgets/budget/{budget.pk}/paper/enter/", {"serial": "B7", "project": [a.pk]}
        )
    )
    assert "A different member of staff must enter it the second time" in page
    close_voting(budget)
    assert client.post(f"/staff/budgets/budget/{budget.pk}/close/").status_code == 404


def test_staff_close_count_and_export(client, setup, district, staff):
    _process, budget, (a, b, *_rest) = setup
    for choice in ({a.pk}, {a.pk, b.pk}):
        ballot_confirm(actor=make_voter(district), budget=budget, choice=dict.fromkeys(choice, 1))
    client.force_login(staff())
    page = html(client.get(f"/staff/budgets/budget/{budget.pk}/"))
    assert "Voting is open until" in page and "Close voting" not in page
    close_voting(budget)
    client.post(f"/staff/budgets/budget/{budget.pk}/close/")
    budget.refresh_from_db()
    assert budget.status == "closed" and budget.ballot_key == ""
    client.post(f"/staff/budgets/budget/{budget.pk}/tally/")
    budget.refresh_from_db()
    assert budget.status == "tallied" and budget.result.selected == [a.pk, b.pk]
    response = client.get(f"/staff/budgets/budget/{budget.pk}/export.pb")
    assert response["Content-Disposition"].startswith("attachment;")
    election = pabulib.parse(response.content.decode())
    assert sorted(b.projects for b in election.ballots) == [("1",), ("1", "2")]
    assert election.official_selection() == {"1", "2"}


def test_staff_review_an_idea(client, district, make_staff):
    process = make_process(phase="review")
    budget = make_budget(process, district)
    [idea] = add_projects(budget, [3_000_00], status="submitted")
    client.force_login(make_staff(StaffRole.Role.AGENCY_ADMIN, agency=process.agency))
    page = html(client.post(f"/staff/budgets/ideas/{idea.pk}/", {"decision": "reject"}))
    assert "Say why the idea cannot go ahead" in page
    client.post(f"/staff/budgets/ideas/{idea.pk}/", {"decision": "accept", "final_cost": "3500"})
    idea.refresh_from_db()
    assert idea.status == "accepted" and idea.final_cost == 3500_00
