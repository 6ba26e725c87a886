"""Journey 5: a case officer signs in with their second factor, looks a resident up for a
stated reason; the resident sees that access on "Who accessed my data"."""

import re

import pytest
from playwright.sync_api import Page, expect

from ecitizen.accounts.models import StaffRole
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.core.models import Agency
from tests.e2e.conftest import make_staff, make_user, sign_in, sign_out, staff_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

OFFICER_TOTP_SECRET = "ECITIZENE2EOFFICERTOTPSECRET2345"


def test_case_officer_reads_a_record_and_the_resident_sees_it(page: Page, check_page) -> None:
    agency = Agency.objects.create(code="planning", name="Planning and Building Department")
    make_staff(
        "officer@example.org",
        StaffRole.Role.CASE_OFFICER,
        OFFICER_TOTP_SECRET,
        agency=agency,
        legal_name="Tomás Rivera",
    )
    make_user("resident@example.org", legal_name="Amara Okafor", phone="+33 6 12 34 56 78")

    staff_sign_in(page, "officer@example.org", OFFICER_TOTP_SECRET)

    page.get_by_role("banner").get_by_role("link", name="Staff area").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff area")
    check_page(page, "staff-01-home")

    page.get_by_role("main").get_by_role("link", name="Find a resident").click()
    expect(page).to_have_url(re.compile(r"/staff/residents/$"))
    check_page(page, "staff-02-search")
    page.get_by_label("Email address or national ID number").fill("RESIDENT@example.org")
    page.get_by_role("main").get_by_role("button", name="Search").click()
    results = page.get_by_role("main").get_by_role("list").last
    expect(results.get_by_role("link")).to_have_count(1)
    check_page(page, "staff-03-search-results")

    results.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why do you need this record?")
    # No reason, no record: the error summary links to the first choice.
    page.get_by_role("main").get_by_role("button", name="Show the record").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary a")).to_have_attribute("href", "#id_purpose_0")
    assert PersonalDataAccess.objects.count() == 0
    check_page(page, "staff-04-purpose-error")
    purpose = page.get_by_role("group", name="Why do you need to see this person's details?")
    purpose.locator("label", has_text="Helping you at your request").click()
    expect(purpose.get_by_label("Helping you at your request")).to_be_checked()
    page.get_by_role("main").get_by_role("button", name="Show the record").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Amara Okafor")
    expect(page.get_by_role("main")).to_contain_text("+33 6 12 34 56 78")
    check_page(page, "staff-05-resident-record")
    sign_out(page)

    sign_in(page, "resident@example.org")
    page.get_by_role("main").get_by_role("link", name="Who accessed my data").click()
    table = page.get_by_role("table", name="Accesses to your personal data, newest first")
    expect(table.get_by_role("row")).to_have_count(2)
    row = table.get_by_role("row").nth(1)
    expect(row).to_contain_text("Case officer, Planning and Building Department")
    expect(row).to_contain_text("Helping you at your request")
    expect(row).to_contain_text("Profile: name, date of birth")
    check_page(page, "staff-06-resident-sees-access")
    assert not page.console_problems, page.console_problems
