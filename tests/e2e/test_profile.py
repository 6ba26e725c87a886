"""Journey 3: profile edit, wrong input first (error summary, field errors, values kept),
then fixed and saved. Runs with JavaScript on and off: every page works without it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from ecitizen.accounts.models import Profile
from ecitizen.core.models import Area
from tests.e2e.conftest import _new_page, make_user, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(params=["js", "nojs"])
def any_page(request, browser: Browser, live_server, transactional_db):
    options = {"java_script_enabled": False} if request.param == "nojs" else {}
    yield from _new_page(browser, live_server.url, **options)


def test_profile_edit_with_invalid_then_valid_input(any_page: Page, check_page, request) -> None:
    page = any_page
    mode = request.node.callspec.params["any_page"]
    Area.objects.create(code="riverside", name="Riverside", kind=Area.Kind.DISTRICT)
    email = f"profile-{mode}@example.org"
    make_user(email)
    sign_in(page, email)
    page.get_by_role("main").get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    check_page(page, f"profile-01-form-{mode}")

    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    page.get_by_label("Full legal name").fill("  Amara   Okafor ")
    page.get_by_label("Date of birth").fill(future)
    page.get_by_label("Phone number").fill("call me maybe")
    page.get_by_label("Town or city").fill("Metropolis")
    page.get_by_label("District").select_option(label="Riverside")
    page.locator("label", has_text="I need large text").click()  # USWDS styles the label
    expect(page.get_by_label("I need large text")).to_be_checked()
    page.get_by_role("button", name="Save your profile").click()

    # Error summary at the top, linking to each field in error.
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    dob_link = summary.get_by_role("link", name="Date of birth must be in the past.")
    phone_link = summary.get_by_role("link", name=re.compile(r"^Enter a phone number"))
    expect(dob_link).to_have_attribute("href", "#id_date_of_birth")
    expect(phone_link).to_have_attribute("href", "#id_phone")
    assert page.title().startswith("Error:")
    # Field errors, announced with the field; what the person typed is kept.
    dob = page.get_by_label("Date of birth")
    expect(dob).to_have_attribute("aria-invalid", "true")
    expect(dob).to_have_attribute("aria-describedby", re.compile(r"\bid_date_of_birth_error\b"))
    expect(page.locator("#id_date_of_birth_error")).to_have_text(
        "Date of birth must be in the past."
    )
    expect(page.locator("#id_phone_error")).to_contain_text("Enter a phone number")
    expect(dob).to_have_value(future)
    expect(page.get_by_label("Phone number")).to_have_value("call me maybe")
    expect(page.get_by_label("Town or city")).to_have_value("Metropolis")
    expect(page.get_by_label("District")).to_have_value(str(Area.objects.get().pk))
    expect(page.get_by_label("I need large text")).to_be_checked()
    check_page(page, f"profile-02-errors-{mode}")

    # The summary links take you to the field.
    phone_link.click()
    expect(page).to_have_url(re.compile(r"#id_phone$"))
    expect(page.locator(":target")).to_have_attribute("id", "id_phone")

    page.get_by_label("Date of birth").fill("1987-03-27")
    page.get_by_label("Phone number").fill("+33 6 12 34 56 78")
    page.get_by_role("button", name="Save your profile").click()
    expect(page.get_by_role("status")).to_have_text("Your profile has been saved.")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.get_by_label("Full legal name")).to_have_value("Amara Okafor")
    check_page(page, f"profile-03-saved-{mode}")

    profile = Profile.objects.get(user__email=email)
    assert profile.legal_name == "Amara Okafor"
    assert profile.date_of_birth == datetime.date(1987, 3, 27)
    assert profile.phone == "+33 6 12 34 56 78"
    assert profile.accessibility_needs == ["large_text"]
    assert not page.console_problems, page.console_problems
