"""Participatory budgeting in the browser, on a 375 px phone: a resident casts an invalid
ballot (over the budget), then a valid one, confirms it, and sees the results after the
close. axe runs at 1280 and 375 px on every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.budgeting.models import BallotContent, BallotParticipation, Process, Project
from ecitizen.budgeting.services import budget_close, budget_save, budget_tally, process_save
from ecitizen.core.models import Area
from tests.e2e.conftest import MOBILE, make_user, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
DAY = datetime.timedelta(days=1)


def setup_budget() -> tuple[Process, Area]:
    area = Area.objects.create(code="riverside", name="Riverside", kind=Area.Kind.DISTRICT)
    now = timezone.now()
    process = process_save(
        actor=None,
        agency=AgencyFactory(),
        slug="city-budget",
        title={"en": "City budget"},
        description={"en": "Decide how the money is spent."},
        ideas_from=now - 30 * DAY,
        review_from=now - 20 * DAY,
        voting_from=now - DAY,
        results_from=now + 10 * DAY,
        implementation_from=now + 20 * DAY,
        is_published=True,
    )
    budget = budget_save(
        actor=None, process=process, area=area, amount=100_000_00, currency="EUR", minimum_age=16
    )
    for i, (title, cost) in enumerate(
        [("New playground", 60_000_00), ("Bike lanes", 30_000_00), ("Park benches", 20_000_00)],
        start=1,
    ):
        Project.objects.create(
            budget=budget, code=str(i), title={"en": title}, estimated_cost=cost,
            final_cost=cost, status="accepted",
        )  # fmt: skip
    return process, area


def tick(page: Page, name: str) -> None:
    # USWDS draws its own checkbox: the label is what people click.
    page.locator("label.usa-checkbox__label", has_text=name).click()


def test_resident_votes_at_375px_and_sees_the_results(page: Page, check_page) -> None:
    process, area = setup_budget()
    make_user("voter@example.org", area=area, date_of_birth=datetime.date(1990, 4, 2))
    sign_in(page, "voter@example.org")
    page.set_viewport_size(MOBILE)

    page.goto("/participate/budgets/")
    page.get_by_role("link", name="City budget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("City budget")
    expect(page.get_by_text("Now:")).to_be_visible()
    check_page(page, "budgeting-01-process")
    page.set_viewport_size(MOBILE)

    page.get_by_role("link", name=re.compile(r"^Vote")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot: Riverside")
    for name in ("New playground", "Bike lanes", "Park benches"):
        tick(page, name)
    # The running total follows the ticks (the optional script; the server does it too).
    total = page.locator("#ballot-total")
    expect(total).to_contain_text("Over the budget by")
    expect(total).to_contain_text("€10,000.00")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(
        "Your choices cost €110,000.00, which is €10,000.00 more than the budget of "
        "€100,000.00. Remove a project or choose a cheaper one."
    )
    assert page.title().startswith("Error:")
    for name in ("New playground", "Bike lanes", "Park benches"):
        expect(page.get_by_label(re.compile(name))).to_be_checked()  # choices kept
    check_page(page, "budgeting-02-ballot-error")
    page.set_viewport_size(MOBILE)
    assert not BallotParticipation.objects.exists()

    tick(page, "Park benches")
    expect(total).to_contain_text("Left")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your ballot")
    check_page(page, "budgeting-03-check")
    page.set_viewport_size(MOBILE)
    page.get_by_role("button", name="Confirm my ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot is confirmed")
    check_page(page, "budgeting-04-confirmed")
    page.set_viewport_size(MOBILE)
    assert BallotParticipation.objects.count() == 1
    assert len(BallotContent.objects.get().projects) == 2

    # Voting ends, staff close it and count the votes.
    budget = process.budgets.get()
    Process.objects.filter(pk=process.pk).update(
        results_from=timezone.now() - datetime.timedelta(seconds=1)
    )
    budget.process.refresh_from_db()
    budget_close(actor=None, budget=budget)
    budget_tally(actor=None, budget=budget)

    page.goto(f"/participate/budgets/{process.slug}/budgets/{budget.pk}/results/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results: Riverside")
    expect(page.get_by_text("2 projects are funded.")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("New playground"))).to_contain_text("Funded")
    expect(table.get_by_role("row", name=re.compile("Park benches"))).to_contain_text(
        "Not funded: nobody voted for it."
    )
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    check_page(page, "budgeting-05-results")


STAFF_TOTP_SECRET = "ECITIZENE2EBUDGETSTOTPSECRET2345"


def test_staff_type_in_a_paper_ballot_then_close_and_count(page: Page, check_page) -> None:
    from ecitizen.accounts.models import StaffRole
    from ecitizen.budgeting.services import paper_ballot_enter
    from tests.e2e.conftest import make_staff, staff_sign_in

    process, _area = setup_budget()
    budget = process.budgets.get()
    make_staff(
        "pb-admin@example.org",
        StaffRole.Role.AGENCY_ADMIN,
        STAFF_TOTP_SECRET,
        agency=process.agency,
    )
    colleague = make_user("pb-officer@example.org")
    playground = Project.objects.get(budget=budget, code="1")
    paper_ballot_enter(actor=colleague, budget=budget, serial="A1", choice={playground.pk: 1})

    staff_sign_in(page, "pb-admin@example.org", STAFF_TOTP_SECRET)

    page.goto("/staff/budgets/")
    page.get_by_role("link", name="City budget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("City budget")
    check_page(page, "budgeting-staff-01-process")
    page.get_by_role("link", name="Riverside").click()
    expect(page.get_by_text("Voting is open until")).to_be_visible()
    page.get_by_role("link", name="Paper ballots").click()
    expect(page).to_have_url(re.compile(r"/paper/$"))
    check_page(page, "budgeting-staff-02-paper")

    # The second entry of slip A1 disagrees with the first: flagged, not counted.
    page.get_by_role("link", name="Type in a paper ballot").click()
    page.get_by_label("Ballot number").fill("a1")
    page.locator("label.usa-checkbox__label", has_text="Bike lanes").click()
    check_page(page, "budgeting-staff-03-slip")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The two entries of ballot A1 differ")
    page.get_by_role("link", name="Paper ballots").click()
    expect(page.get_by_role("row", name=re.compile("A1"))).to_contain_text("differ")

    Process.objects.filter(pk=process.pk).update(
        results_from=timezone.now() - datetime.timedelta(seconds=1)
    )
    page.goto(f"/staff/budgets/budget/{budget.pk}/")
    page.get_by_role("button", name="Close voting").click()
    expect(page.get_by_role("status")).to_contain_text("Voting is closed")
    page.get_by_role("button", name="Count the votes").click()
    expect(page.get_by_role("alert")).to_contain_text("1 paper ballot still needs")
    check_page(page, "budgeting-staff-04-budget")
