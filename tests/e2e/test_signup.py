"""Journey 1: a resident signs up, verifies their email over real SMTP, signs out and in."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_uswds_styles_and_fonts_are_served(page: Page, check_page) -> None:
    css_responses = []
    page.on(
        "response",
        lambda response: css_responses.append(response) if response.url.endswith(".css") else None,
    )
    page.goto("/")
    page.wait_for_load_state("networkidle")
    statuses = {response.url.rsplit("/", 1)[-1]: response.status for response in css_responses}
    assert statuses.get("uswds.min.css") == 200, statuses
    assert statuses.get("ecitizen.css") == 200, statuses
    # USWDS really applies: its primary button colour and its self-hosted web font.
    button = page.locator("main .usa-button").first
    expect(button).to_have_css("background-color", "rgb(0, 94, 162)")
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Source Sans Pro Web" in font
    assert page.evaluate("document.fonts.check('1rem \"Source Sans Pro Web\"')")
    expect(page.locator(".usa-skipnav")).to_have_attribute("href", "#main-content")
    check_page(page, "home")
    assert not page.console_problems, page.console_problems


def test_sign_up_verify_email_sign_out_and_in(page: Page, mailbox: Mailbox, check_page) -> None:
    email = "amara.signup@example.org"
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    check_page(page, "signup-01-form")

    # A password shorter than 15 characters is refused, with the email kept.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("too short pwd")
    page.get_by_label("Password (again)").fill("too short pwd")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("at least 15 characters").first).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    check_page(page, "signup-02-password-too-short")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    check_page(page, "signup-03-verification-sent")

    # The verification email went out over SMTP to the sink; follow its link.
    message = mailbox.wait_for(email)
    assert "[eCitizen]" in message["Subject"]
    links = re.findall(r"https?://\S+/accounts/confirm-email/\S+/", mailbox.body(message))
    assert links, mailbox.body(message)
    page.goto(links[0])
    check_page(page, "signup-04-confirm-email")
    page.get_by_role("main").get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {email}.", exact=True)).to_be_visible()
    check_page(page, "signup-05-dashboard")

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    check_page(page, "signin-01-form")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the right passphrase")
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    check_page(page, "signin-02-wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    assert not page.console_problems, page.console_problems
