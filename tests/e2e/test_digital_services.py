"""Digital services journey (issue 3): a resident applies for the demo building permit with
an upload, pays in the sandbox (declined, then approved) and sees the confirmation; a case
officer asks for more information; the resident answers; the officer approves and a second
officer gives the second approval and issues the permit; the resident downloads the permit
PDF; its verification address says it is valid; staff revoke it; it then says revoked.

Every page goes through ``check_page`` (axe-core at 1280 px and 375 px, reflow, screenshots).
The whole journey runs twice: the resident clicks through at 1280 px, then at 375 px with
JavaScript switched off (the staff pages, the same in both runs, are checked in the first).
The sandbox provider's signed webhook is delivered to the live server over HTTP.
"""

import io
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from pypdf.generic import ContentStream

from ecitizen.accounts.models import StaffRole
from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.applications.permits import verify_jws
from ecitizen.catalogue import demo as catalogue_demo
from ecitizen.core import demo as core_demo
from ecitizen.core.models import Agency, Area
from ecitizen.payments.models import OutgoingWebhook, Payment
from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    _new_page,
    make_staff,
    make_user,
    sign_in,
    staff_sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FIRST_OFFICER_SECRET = "ECITIZENE2EPLANNINGFIRSTOFFICER2"
SECOND_OFFICER_SECRET = "ECITIZENE2EPLANNINGSECONDOFFICER"
PLANS = b"%PDF-1.4\n% plans of the works\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
# 48 m2: 48 x EUR 2.50 + EUR 100.
FEE = "€220.00"


@pytest.fixture
def new_page(browser: Browser, live_server, transactional_db) -> Iterator[Callable[[], Page]]:
    """More signed-in people at once: each call opens another browser context (the same
    set-up as the ``page`` fixture), closed at the end of the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(contextmanager(_new_page)(browser, live_server.url))


def _open_case(page: Page, reference: str, status: str = "") -> None:
    """From the work queue (filtered by status if given: it lists open cases by default)."""
    page.goto("/staff/cases/")
    if status:
        page.get_by_label("Status").select_option(label=status)
        page.get_by_role("main").get_by_role("button", name="Show cases").click()
    page.get_by_role("table").get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")


def _qr_modules(pdf: bytes) -> list[tuple[int, ...]]:
    """The dark runs of the QR code on a PDF's first page, in module units (reportlab draws
    the code as rectangles on a white square)."""
    reader = PdfReader(io.BytesIO(pdf))
    content = ContentStream(reader.pages[0].get_contents(), reader)
    rects = [[float(v) for v in operands] for operands, op in content.operations if op == b"re"]
    background = max(rects, key=lambda r: r[2] * r[3])
    module = min(r[3] for r in rects)
    return sorted(tuple(round(v / module) for v in r) for r in rects if r is not background)


def _qr_pdf(value: str) -> bytes:
    """A PDF with nothing but reportlab's QR code for ``value``."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    drawing = Drawing(200, 200)
    drawing.add(QrCodeWidget(value))
    renderPDF.draw(drawing, pdf, 0, 0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _h1(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


@pytest.mark.parametrize(
    ("viewport", "javascript"), [(DESKTOP, True), (MOBILE, False)], ids=["1280px", "375px-no-js"]
)
def test_building_permit_from_application_to_revocation(
    request, new_page, check_page, live_server, settings, viewport: dict, javascript: bool
) -> None:
    core_demo.seed_reference_data()
    catalogue_demo.seed()
    settings.PAYMENTS_SANDBOX_WEBHOOK_URL = f"{live_server.url}/payments/webhooks/sandbox/"
    settings.PUBLIC_BASE_URL = live_server.url
    planning = Agency.objects.get(code="planning")
    make_user(
        "resident@example.org",
        legal_name="Amara Okafor",
        phone="+33 6 12 34 56 78",
        area=Area.objects.get(code="riverside"),
    )
    for email, name, secret in (
        ("tomas@example.org", "Tomás Rivera", FIRST_OFFICER_SECRET),
        ("grace@example.org", "Grace Lee", SECOND_OFFICER_SECRET),
    ):
        make_staff(email, StaffRole.Role.CASE_OFFICER, secret, agency=planning, legal_name=name)

    resident: Page = request.getfixturevalue("page" if javascript else "nojs_page")
    resident.set_viewport_size(viewport)

    def check(on: Page, name: str) -> None:
        """axe at 1280 and 375 px, then back to the width the resident is using. Staff pages
        are the same in both runs: checked once, in the first."""
        if on is resident:
            check_page(on, f"ds-{request.node.callspec.id}-{name}")
            on.set_viewport_size(viewport)
        elif javascript:
            check_page(on, f"ds-staff-{name}")

    main = resident.get_by_role("main")

    # --- The resident applies --------------------------------------------------------------
    sign_in(resident, "resident@example.org")
    _h1(resident, "Your account")
    resident.goto("/services/building-permit/")
    _h1(resident, "Apply for a building permit")
    check(resident, "01-service")
    main.get_by_role("link", name="Start now").first.click()
    _h1(resident, "Apply for a building permit")
    check(resident, "02-before-you-start")
    main.get_by_role("button", name="Start now").click()

    _h1(resident, "About the site")
    reference = Application.objects.get().reference
    # Nothing entered: the error summary links to each field.
    main.get_by_role("button", name="Save and continue").click()
    expect(resident.locator("#error-summary")).to_be_visible()
    expect(resident).to_have_title(re.compile(r"^Error:"))
    summary_links = resident.locator("#error-summary a")
    expect(summary_links).to_have_count(5)  # address line 1, town, district, works, description
    for href in summary_links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        expect(resident.locator(href)).to_have_count(1)
    check(resident, "03-site-errors")
    site = resident.get_by_role("group", name="Address of the site")
    site.get_by_label("Address line 1").fill("14 Quay Street")
    site.get_by_label("Town or city").fill("Metropolis")
    site.get_by_label("Postcode").fill("75001")
    site.get_by_label("District").select_option(label="Riverside")
    works = resident.get_by_role("group", name="What are you planning?")
    works.locator("label", has_text="An extension").click()
    expect(works.get_by_label("An extension")).to_be_checked()
    main.get_by_label("Describe the works").fill(
        "A single-storey timber extension at the back of the house, used as a kitchen."
    )
    check(resident, "04-site-filled")
    main.get_by_role("button", name="Save and continue").click()

    _h1(resident, "Size of the works")
    main.get_by_label("Floor area of the works, in square metres").fill("48")
    main.get_by_label("Number of storeys").fill("1")
    basement = resident.get_by_role("group", name="Will there be a basement?")
    basement.locator("label", has_text="No").click()
    main.get_by_label("When do you plan to start?").fill("2099-05-01")
    check(resident, "05-size")
    main.get_by_role("button", name="Save and continue").click()

    _h1(resident, "Plans and photos")
    # By name: USWDS's file-input script replaces the field's accessible name with its own
    # English "Drag files here or choose from folder" (reported, not fixed here).
    main.locator("input[type=file][name=plans]").set_input_files(
        {"name": "plans.pdf", "mimeType": "application/pdf", "buffer": PLANS}
    )
    check(resident, "06-documents")
    main.get_by_role("button", name="Save and continue").click()

    _h1(resident, "About you")
    role = resident.get_by_role("group", name="You are applying as")
    role.locator("label", has_text="The owner").click()
    check(resident, "07-about-you")
    main.get_by_role("button", name="Save and continue").click()

    _h1(resident, "Check your answers before sending your application")
    expect(main).to_contain_text("14 Quay Street")
    expect(main).to_contain_text("plans.pdf")
    expect(main).to_contain_text("+33 6 12 34 56 78")  # from the profile, not asked again
    # Application pages format money as "220.00 EUR", payment pages as "€220.00" (reported).
    expect(main).to_contain_text(re.compile(r"The fee is (€220\.00|220\.00\sEUR)"))
    check(resident, "08-check-answers")
    main.locator("label", has_text="I confirm that the information").click()
    main.get_by_role("button", name="Send and continue to payment").click()

    # --- The resident pays: declined first, then approved ----------------------------------
    _h1(resident, "Pay the fee")
    expect(main).to_contain_text(f"Amount to pay: {FEE}")
    check(resident, "09-pay")
    resident.get_by_role("group", name="How do you want to pay?").locator(
        "label", has_text="Card"
    ).click()
    main.get_by_role("button", name="Continue to payment").click()
    _h1(resident, f"Pay {FEE}")
    check(resident, "10-sandbox-card")
    main.get_by_label("Card number").fill("4000 0000 0000 0002")
    main.get_by_label("Name on card").fill("Amara Okafor")
    main.get_by_role("button", name="Pay now").click()
    _h1(resident, "Your payment was declined")
    check(resident, "11-declined")
    assert Application.objects.get().status == Application.Status.AWAITING_PAYMENT

    main.get_by_role("link", name="Try again").click()
    _h1(resident, "Pay the fee")
    expect(main).to_contain_text("Your last payment attempt was declined")
    check(resident, "12-pay-again")
    main.get_by_role("button", name="Continue to payment").click()
    main.get_by_label("Card number").fill("4242 4242 4242 4242")
    main.get_by_label("Name on card").fill("Amara Okafor")
    main.get_by_role("button", name="Pay now").click()
    _h1(resident, "Payment received")
    expect(main).to_contain_text(f"You paid {FEE}")
    check(resident, "13-paid")
    # The provider's signed webhook reached the platform over HTTP (not only the poll).
    paid = Payment.objects.get(status=Payment.Status.SUCCEEDED)
    assert paid.application.reference == reference
    assert OutgoingWebhook.objects.filter(payment=paid, delivered_at__isnull=False).exists()

    main.get_by_role("link", name="Continue").click()
    _h1(resident, "Application sent")
    expect(main).to_contain_text(reference)
    check(resident, "14-confirmation")
    resident.get_by_role("banner").get_by_role("link", name="Your applications").click()
    _h1(resident, "My applications")
    row = main.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Submitted")
    check(resident, "15-my-applications")

    # --- A case officer claims it and asks for more information ----------------------------
    tomas = new_page()
    staff_sign_in(tomas, "tomas@example.org", FIRST_OFFICER_SECRET)
    tomas.get_by_role("banner").get_by_role("link", name="Staff area").click()
    tomas.get_by_role("main").get_by_role("link", name="Work queue").click()
    _h1(tomas, "Work queue")
    queue_row = tomas.get_by_role("row").filter(has_text=reference)
    expect(queue_row).to_contain_text("Nobody")
    check(tomas, "16-queue")
    queue_row.get_by_role("button", name=f"Claim {reference}").click()
    expect(tomas.get_by_role("status")).to_contain_text(f"You are now handling case {reference}")
    _h1(tomas, f"Case {reference}")
    expect(tomas.get_by_role("main")).to_contain_text("plans.pdf")
    check(tomas, "17-case")
    tomas.get_by_role("main").get_by_role("link", name="Ask for more information").click()
    _h1(tomas, "Ask the resident for more information")
    tomas.get_by_role("main").get_by_role("button", name="Send the request").click()
    expect(tomas.locator("#error-summary")).to_be_visible()
    check(tomas, "18-request-info-error")
    tomas.get_by_label("What do you need from the resident?").fill(
        "Please send the elevation drawings of the extension with its height marked."
    )
    tomas.get_by_role("main").get_by_role("button", name="Send the request").click()
    expect(tomas.get_by_role("status")).to_contain_text("The request for information")
    assert Application.objects.get().status == Application.Status.INFO_REQUESTED

    # --- The resident answers --------------------------------------------------------------
    resident.get_by_role("banner").get_by_role("link", name="Your applications").click()
    row = main.get_by_role("row").filter(has_text=reference)
    expect(row.get_by_role("link", name="Answer")).to_be_visible()
    row.get_by_role("link", name="Apply for a building permit", exact=True).click()
    expect(main).to_contain_text("We need more information")
    expect(main).to_contain_text("elevation drawings")
    check(resident, "19-information-requested")
    main.get_by_role("link", name="Answer this request").click()
    _h1(resident, "Answer our request for information")
    check(resident, "20-respond")
    main.get_by_label("Your answer").fill("The elevations are attached; the ridge is 3.8 m high.")
    main.locator("input[type=file][name=files]").set_input_files(
        {"name": "elevations.pdf", "mimeType": "application/pdf", "buffer": PLANS}
    )
    main.get_by_role("button", name="Send your answer").click()
    expect(resident.get_by_role("status")).to_contain_text("We have your answer")
    expect(main).to_contain_text("elevations.pdf")
    assert Application.objects.get().status == Application.Status.SUBMITTED

    # --- First approval, then a second officer approves and issues -------------------------
    _open_case(tomas, reference)
    expect(tomas.get_by_role("main")).to_contain_text("the ridge is 3.8 m high")
    tomas.get_by_role("main").get_by_role("link", name="Approve", exact=True).click()
    _h1(tomas, f"Approve application {reference}")
    expect(tomas.get_by_role("main")).to_contain_text("This service needs a second approval")
    check(tomas, "21-approve")
    tomas.get_by_role("main").get_by_role("button", name="Approve").click()
    expect(tomas.get_by_role("main")).to_contain_text("a different officer must now check it")
    assert Application.objects.get().status == Application.Status.AWAITING_SECOND_APPROVAL

    grace = new_page()
    staff_sign_in(grace, "grace@example.org", SECOND_OFFICER_SECRET)
    _open_case(grace, reference)
    expect(grace.get_by_role("main")).to_contain_text("This decision waits for a second approval")
    expect(grace.get_by_role("main")).to_contain_text("First approval by Tomás Rivera")
    check(grace, "22-second-approval")
    grace.get_by_role("main").get_by_role("link", name="Approve", exact=True).click()
    expect(grace.get_by_role("main")).to_contain_text("You are giving the second approval")
    grace.get_by_label("Reason for the decision (optional)").fill(
        "The extension meets the local plan."
    )
    grace.get_by_role("main").get_by_role("button", name="Approve").click()
    expect(grace.get_by_role("status")).to_contain_text("Your approval of")
    grace.get_by_role("main").get_by_role("link", name="Issue the permit").click()
    _h1(grace, f"Issue the permit for {reference}")
    check(grace, "23-issue")
    grace.get_by_role("main").get_by_role("button", name="Issue the permit").click()
    expect(grace.get_by_role("status")).to_contain_text("has been issued")
    permit = IssuedPermit.objects.get()

    # --- The resident downloads the permit; its QR address says it is valid ----------------
    resident.goto(f"/applications/{reference}/")
    expect(main).to_contain_text("The extension meets the local plan.")
    check(resident, "24-issued")
    with resident.expect_download() as download_info:
        main.get_by_role("link", name="Download your permit (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"permit-{permit.number}.pdf"
    pdf_bytes = download.path().read_bytes()
    pdf = PdfReader(io.BytesIO(pdf_bytes))
    text = pdf.pages[0].extract_text()
    assert permit.number in text and "Amara Okafor" in text
    # The address is printed under the QR code; the code encodes that address with the signed
    # token (docs/permits.md), which is also in the PDF's metadata for offline checks.
    found = re.search(r"https?://\S+/verify/[A-Z0-9-]+/", text)
    assert found, text
    qr_url = found.group(0)
    assert qr_url == f"{live_server.url}/verify/{permit.number}/"
    jws = pdf.metadata.subject
    assert verify_jws(jws)["num"] == permit.number
    signed_url = f"{qr_url}?t={jws}"
    assert _qr_modules(pdf_bytes) == _qr_modules(_qr_pdf(signed_url))

    resident.goto(qr_url)
    _h1(resident, "Check a permit")
    expect(resident.get_by_role("status")).to_contain_text("This permit is valid")
    check(resident, "25-verify-valid")
    resident.goto(signed_url)
    expect(resident.get_by_role("status")).to_contain_text("This permit is valid")
    expect(main).to_contain_text("The electronic signature is genuine.")

    # --- Staff revoke; the same address now says revoked -----------------------------------
    _open_case(grace, reference, status="Issued")
    grace.get_by_role("main").get_by_role("link", name="Revoke the permit").click()
    _h1(grace, f"Revoke the permit for {reference}")
    grace.get_by_label("Reason for revoking the permit").fill(
        "The works started before the conditions were met."
    )
    check(grace, "26-revoke")
    grace.get_by_role("main").get_by_role("button", name="Revoke the permit").click()
    expect(grace.get_by_role("status")).to_contain_text("has been revoked")

    resident.goto(signed_url)
    expect(resident.get_by_role("status")).to_contain_text("This permit has been revoked")
    check(resident, "27-verify-revoked")
    resident.goto(f"/applications/{reference}/")
    expect(main).to_contain_text("Revoked")
    check(resident, "28-revoked")

    for person in (resident, tomas, grace):
        assert not person.console_problems, person.console_problems
