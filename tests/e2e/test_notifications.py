"""Notifications journey: a resident chooses how to be contacted; a publisher writes an
emergency alert and a second person approves it; the resident sees it in their inbox (count
in the header) and on the public alerts page; the web app manifest and service worker
register."""

import re

import pytest
from playwright.sync_api import Page, expect

from ecitizen.accounts.models import StaffRole
from ecitizen.core.models import Area
from ecitizen.notifications.models import Alert, Preferences
from tests.e2e.conftest import make_staff, make_user, sign_in, sign_out, staff_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PUBLISHER_SECRET = "ECITIZENE2EPUBLISHERTOTPSECRET23"
APPROVER_SECRET = "ECITIZENE2EAPPROVERTOTPSECRET234"


def test_alert_reaches_the_resident_inbox_and_public_page(page: Page, check_page) -> None:
    riverside = Area.objects.create(code="riverside", name="Riverside")
    Area.objects.create(code="harbour", name="Harbour")
    make_user("resident@example.org", legal_name="Amara Okafor", area=riverside, phone="+336")
    make_staff(
        "publisher@example.org",
        StaffRole.Role.ALERT_PUBLISHER,
        PUBLISHER_SECRET,
        legal_name="Publisher",
    )
    make_staff(
        "approver@example.org",
        StaffRole.Role.ALERT_APPROVER,
        APPROVER_SECRET,
        legal_name="Approver",
    )

    # The resident chooses text messages for warnings and sets quiet hours.
    sign_in(page, "resident@example.org")
    page.get_by_role("banner").get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    page.get_by_role("main").get_by_role("link", name="Choose how we contact you").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How we contact you")
    warnings = page.get_by_role("group", name="Warnings")
    warnings.locator("label", has_text="Email").click()  # untick: texts only
    page.get_by_label("Quiet hours start").fill("22:00")
    page.get_by_label("Quiet hours end").fill("07:00")
    check_page(page, "notifications-01-preferences")
    page.get_by_role("main").get_by_role("button", name="Save your choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices have been saved")
    assert Preferences.objects.get().channels["alert_warning"] == ["sms"]
    sign_out(page)

    # A publisher writes an emergency alert; it waits for a second person.
    staff_sign_in(page, "publisher@example.org", PUBLISHER_SECRET)
    page.goto("/staff/alerts/new/")
    page.get_by_role("group", name="How serious is it?").locator(
        "label", has_text="Emergency"
    ).click()
    page.get_by_role("group", name="Districts").locator("label", has_text="Riverside").click()
    for language, title, body in [
        ("English", "Flood emergency", "The river has burst its banks."),
        ("French", "Urgence inondation", "La rivière a débordé."),
        ("Spanish", "Emergencia por inundación", "El río se ha desbordado."),
    ]:
        page.get_by_label(f"Title ({language})").fill(title)
        page.get_by_label(f"What is happening ({language})").fill(body)
    page.get_by_label("What people should do (English)").fill("Move to higher ground.")
    check_page(page, "notifications-02-publish-form")
    page.get_by_role("main").get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("A second person must approve")
    sign_out(page)

    staff_sign_in(page, "approver@example.org", APPROVER_SECRET)
    page.goto("/staff/alerts/")
    page.get_by_role("link", name="Flood emergency").click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Approved and published")
    check_page(page, "notifications-03-approved")
    assert Alert.objects.get().status == Alert.Status.PUBLISHED
    sign_out(page)

    # The resident sees it at once: count in the header, the inbox, the public page.
    sign_in(page, "resident@example.org")
    inbox_link = page.get_by_role("banner").get_by_role("link", name=re.compile(r"^Inbox"))
    expect(inbox_link).to_have_text(re.compile(r"Inbox\s*1\s*unread"))
    inbox_link.click()
    expect(page.get_by_role("main")).to_contain_text("Flood emergency")
    expect(page.get_by_role("main")).to_contain_text("Move to higher ground.")
    check_page(page, "notifications-04-inbox")
    page.get_by_role("main").get_by_role("link", name="Flood emergency").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flood emergency")
    expect(page.get_by_role("banner").get_by_role("link", name="Inbox", exact=True)).to_be_visible()

    page.goto("/alerts/")
    page.get_by_label("District", exact=True).select_option(label="Harbour")
    page.get_by_role("button", name="Show alerts").click()
    expect(page.get_by_role("main")).not_to_contain_text("Flood emergency")
    page.get_by_label("District", exact=True).select_option(label="Riverside")
    page.get_by_role("button", name="Show alerts").click()
    expect(page.get_by_role("main")).to_contain_text("Flood emergency")
    check_page(page, "notifications-05-public-alerts")

    # Installable: the manifest is linked and the service worker takes control.
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone" and manifest["icons"]
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/")
    assert not page.console_problems, page.console_problems
