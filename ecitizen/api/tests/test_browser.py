"""Real Chromium (Debian's /usr/bin/chromium, never downloaded) against a live server:
Swagger UI renders under the site's CSP with no request to another origin, and the token
pages pass axe-core with zero violations, with and without JavaScript."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecitizen.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + the ORM

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Collected in the page before any of its own scripts run.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _page(browser, live_server, **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, **options
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    page.foreign_requests = []
    page.errors = []
    page.on(
        "request",
        lambda request: (
            page.foreign_requests.append(request.url)
            if not request.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def _axe(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations]


def _check_mobile(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """At 375 px wide: no sideways scrolling, no axe violation; screenshot for review."""
    page.set_viewport_size({"width": 375, "height": 812})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 376)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 8)"
    )
    assert overflow <= 0, f"{wide} {name} scrolls sideways by {overflow}px at 375 px"
    assert _axe(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-mobile-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/me/**")


def test_swagger_ui_renders_under_the_csp_from_our_own_origin(browser, live_server, db):
    page = _page(browser, live_server)

    page.goto("/api/v1/docs")
    page.wait_for_selector("#swagger-ui .opblock")

    assert page.locator("#swagger-ui .opblock-summary-path", has_text="/api/v1/me").count() == 1
    page.locator("#swagger-ui .opblock-summary-path", has_text="/api/v1/me").click()
    page.wait_for_selector("#swagger-ui .opblock.is-open")
    assert page.evaluate("window.__csp") == []
    assert page.foreign_requests == []
    assert page.errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-desktop.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_token_pages_journey_is_accessible(browser, live_server):
    user = UserFactory()
    for javascript in (True, False):
        page = _page(browser, live_server, java_script_enabled=javascript)
        _sign_in(page, user.email)

        page.goto("/me/tokens/")
        if javascript:
            assert _axe(page) == []
        page.get_by_role("link", name="Create a token").click()
        # Creating a credential asks for the password again.
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/me/tokens/new/")
        if javascript:
            assert _axe(page) == []

        page.get_by_role("button", name="Create token").click()  # nothing filled in
        assert page.locator("#error-summary").is_visible()
        if javascript:
            assert _axe(page) == []

        page.get_by_label("Token name").fill(f"Journey {javascript}")
        page.locator("label", has_text="Read your profile (profile:read)").click()  # USWDS tile
        page.get_by_role("button", name="Create token").click()
        token = page.get_by_label("Your new token").input_value()
        assert token.startswith("ect_")
        if javascript:
            assert _axe(page) == []
            _check_mobile(page, "api-token-created")

        page.get_by_role("link", name="I have copied the token").click()
        page.get_by_role("link", name=f"Revoke Journey {javascript}").click()
        if javascript:
            assert _axe(page) == []
        page.get_by_role("button", name="Yes, revoke this token").click()
        page.wait_for_url("**/me/tokens/")
        assert page.get_by_text("has been revoked").is_visible()
        if javascript:
            assert _axe(page) == []
            _check_mobile(page, "api-tokens-list")
            assert page.evaluate("window.__csp") == []
        assert page.foreign_requests == []
        page.context.close()
