"""Journey 2: a resident turns on an authenticator app, then needs it to sign in."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, make_user, sign_in, sign_out, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_enrol_authenticator_app_and_sign_in_with_it(page: Page, check_page) -> None:
    email = "mfa.resident@example.org"
    make_user(email, legal_name="Ada Mensah")
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    check_page(page, "mfa-01-overview")

    page.get_by_role("main").get_by_role("link", name="Activate").click()
    # Changing security settings asks for the password again, whatever the session's age.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check_page(page, "mfa-02-confirm-access")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    check_page(page, "mfa-03-activate-authenticator")

    # A wrong code is refused with the error at the field.
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    page.get_by_label("Authenticator code").fill(wrong)
    page.get_by_role("main").get_by_role("button", name="Activate").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Authenticator code")).to_have_attribute("aria-invalid", "true")
    check_page(page, "mfa-04-activate-wrong-code")

    used = {totp_code(secret)}
    page.get_by_label("Authenticator code").fill(next(iter(used)))
    page.get_by_role("main").get_by_role("button", name="Activate").click()

    # Recovery codes are generated and shown once TOTP is on.
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{8}", code) for code in codes), codes
    check_page(page, "mfa-05-recovery-codes")
    user_authenticators = Authenticator.objects.filter(user__email=email)
    assert {a.type for a in user_authenticators} == {"totp", "recovery_codes"}

    page.get_by_role("main").get_by_role("link", name="Back to your account").click()
    expect(page.get_by_text("Protect your account with two-factor authentication")).to_have_count(0)
    sign_out(page)

    # A recorded recovery code stands in for the app (and is then used up).
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    check_page(page, "mfa-06-sign-in-second-factor")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    page.goto("/accounts/2fa/")
    expect(page.get_by_role("main")).to_contain_text("There are 9 out of 10 recovery codes")
    sign_out(page)

    # Then the authenticator app, with a code it shows now (not the one used to activate).
    sign_in(page, email)
    page.get_by_label("Code").fill(totp_code(secret, not_in=used))
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    assert not page.console_problems, page.console_problems
