"""The page people reach by a wrong or old link: accessible, in the frame, with a way on."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_missing_page_is_accessible_and_leads_on(nojs_page: Page, check_page) -> None:
    page = nojs_page
    response = page.goto("/no/such/page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page, "error-404")
    page.get_by_role("main").get_by_role("link", name="Find a service").click()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/services/$"))
