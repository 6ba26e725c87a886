"""Consultations journey: a resident answers a survey (a validation error first, then every
kind of question), checks and sends the answers; comments and reports someone else's
comment; votes agree / disagree / pass on statements one at a time and finds themself on
the opinion map. axe-core at 1280 px and 375 px on every page along the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from ecitizen.consultations import services
from ecitizen.consultations.models import Comment, CommentReport, OpinionMapResult, Response
from ecitizen.consultations.tests.factories import make_survey, planted_votes, resident_in
from ecitizen.core.models import Area
from tests.e2e.conftest import make_user, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def choose(page: Page, label: str) -> None:
    """Tick a USWDS radio button or checkbox by clicking its label, as people do."""
    page.get_by_role("main").locator("label", has_text=label).click()
    expect(page.get_by_label(label, exact=True)).to_be_checked()


def test_resident_answers_comments_reports_and_votes(page: Page, check_page) -> None:
    riverside = Area.objects.create(code="riverside", name="Riverside")
    consultation = make_survey(opinion_map=True, statements=16)
    planted_votes(consultation, order_seed=1)
    services.opinion_map_recompute(consultation_id=consultation.pk)
    neighbour = resident_in(riverside, name="Lucie Martin")
    services.comment_post(
        actor=neighbour, consultation=consultation, body="Buy cheap garden furniture now!!!"
    )
    make_user("resident@example.org", legal_name="Amara Okafor", area=riverside)

    sign_in(page, "resident@example.org")
    page.goto("/consultations/")
    page.get_by_role("link", name="Riverside Park renewal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Park renewal")
    check_page(page, "consultations-01-consultation")

    # The survey: one question per page; continuing without an answer is an error.
    page.get_by_role("link", name="Answer the survey").click()
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How often do you visit the park?")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Select an answer to “How often do you visit the park?”")
    check_page(page, "consultations-02-question-error")
    summary.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"#id_answer_0$"))
    choose(page, "Every day")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like?")
    choose(page, "Benches")
    choose(page, "Lighting")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Rank these priorities")
    for option, rank in (("Trees", "2"), ("Play", "3"), ("Safety", "1")):
        page.get_by_label(option).select_option(rank)
    check_page(page, "consultations-03-ranking")
    page.get_by_role("button", name="Save and continue").click()

    choose(page, "4 – Agree")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Anything else?").fill("Please keep the old lime trees.")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_role("main")).to_contain_text("3. Play")
    check_page(page, "consultations-04-check-answers")
    page.get_by_role("button", name="Send my response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Response sent")
    check_page(page, "consultations-05-sent")
    response = Response.objects.get(user__email="resident@example.org")
    assert response.is_submitted
    assert response.answers == {
        "q1": "every-day",
        "q3": ["benches", "lighting"],
        "q4": ["safety", "trees", "play"],
        "q5": 4,
        "q6": "Please keep the old lime trees.",
    }

    # Comments: publish one, then report someone else's.
    page.get_by_role("link", name="Back to the consultation and its comments").click()
    page.get_by_label("Your comment").fill("More benches in the shade, please.")
    page.get_by_role("button", name="Publish comment").click()
    expect(page.get_by_role("status")).to_contain_text("Your comment is published.")
    expect(page.get_by_role("main")).to_contain_text("More benches in the shade, please.")
    assert Comment.objects.filter(author__email="resident@example.org").count() == 1
    page.get_by_role("link", name="Report the comment by Lucie M.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a comment")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose why you are reporting")
    choose(page, "It is spam or advertising")
    check_page(page, "consultations-06-report")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("A moderator will look at the comment")
    assert CommentReport.objects.get().reason == "spam"
    check_page(page, "consultations-07-comments")

    # The opinion map: one statement at a time, three buttons, no script needed.
    page.get_by_role("link", name="Vote on statements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote on statements")
    check_page(page, "consultations-08-statement")
    for i in range(9):
        expect(
            page.get_by_role("heading", level=2, name=f"Statement {i + 1} of 16")
        ).to_be_visible()
        page.get_by_role(
            "button", name=("Agree", "Disagree", "Pass / unsure")[i % 3], exact=True
        ).click()
    page.get_by_role("link", name="See the opinion map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opinion map")
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"You are in Group [ABC]"))
    expect(page.get_by_role("img", name="Opinion map")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Group A")
    assert OpinionMapResult.objects.get().n_participants == 61
    check_page(page, "consultations-09-map")
