"""Journey 4: switching language from the header (a plain form POST: no JavaScript here),
remembered on the profile so it follows the resident after signing out and in again."""

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from ecitizen.accounts.models import Profile
from tests.e2e.conftest import MOBILE, make_user, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _expect_translated(page: Page, language: str, english: str) -> None:
    """Assert on translated text only where a translation exists (catalogues grow)."""
    with translation.override(language):
        translated = translation.gettext(english)
    if translated != english:
        expect(page.get_by_text(translated, exact=True).first).to_be_visible()


def test_switch_language_in_header_and_keep_it(nojs_page: Page, check_page) -> None:
    page = nojs_page
    email = "polyglot@example.org"
    make_user(email, legal_name="Lucie Martin")
    sign_in(page, email)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # On a small phone the switcher is on screen, and each choice can be pressed.
    page.set_viewport_size(MOBILE)
    # Its accessible name is translated too, so find it by its class once, then by role.
    expect(page.get_by_role("form", name="Language")).to_be_visible()
    switcher = page.locator("form.ec-language")
    french = switcher.get_by_role("button", name="Français")
    expect(french).to_be_in_viewport()
    box = french.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
    assert box["height"] >= 24 and box["width"] >= 24, box  # WCAG 2.2 target size
    expect(switcher.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    french.click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(f"{page.url.split('/me/')[0]}/me/")  # back where they were
    expect(switcher.get_by_role("button", name="Français")).to_have_attribute(
        "aria-current", "true"
    )
    _expect_translated(page, "fr", "Your account")
    check_page(page, "language-01-french")

    switcher.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    _expect_translated(page, "es", "Your account")
    check_page(page, "language-02-spanish")
    assert Profile.objects.get(user__email=email).preferred_language == "es"

    # Signed out, on a browser that remembers nothing: English, and allauth's own
    # (translated) sign-in page follows the switcher too.
    page.get_by_role("banner").locator("form.ec-inline-form button").click()
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switcher.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    with translation.override("fr"):
        sign_in_fr = translation.gettext("Sign In")
    assert sign_in_fr != "Sign In"  # allauth ships French
    expect(page.get_by_role("heading", level=1)).to_have_text(sign_in_fr)
    check_page(page, "language-03-sign-in-french")

    # Signing in brings back the language saved on the profile.
    page.context.clear_cookies()
    sign_in(page, email)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    _expect_translated(page, "es", "Your account")
