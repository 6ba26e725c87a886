"""The profile form: errors at the field, an error summary linking to each field, nothing the
person typed is lost; valid input is saved through the service and audited."""

import datetime
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from ecitizen.accounts.tests.factories import AreaFactory, UserFactory
from ecitizen.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The form controls, ids and error-summary links of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.summary_links: list[str] = []
        self.textareas: dict[str, str] = {}
        self._in_summary = False
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])  # type: ignore[arg-type]
        if attributes.get("id") == "error-summary":
            self._in_summary = True
        if tag == "a" and self._in_summary:
            self.summary_links.append(attributes.get("href") or "")
        if tag in {"input", "textarea", "select"}:
            self.controls.append(attributes)
        if tag == "textarea":
            self._textarea = attributes["name"]
            self.textareas[self._textarea or ""] = ""
        if tag == "select":
            self._select = attributes["name"]
        if tag == "option" and "selected" in attributes:
            self.controls.append(
                {"name": self._select, "value": attributes["value"], "selected": ""}
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_summary = False
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.textareas[self._textarea] += data

    def value_of(self, name: str) -> str | None:
        for control in self.controls:
            if control.get("name") != name or control.get("type") in {"checkbox", "radio"}:
                continue
            if "selected" in control or control.get("value") is not None:
                return control.get("value")
        return self.textareas.get(name)

    def checked(self, name: str) -> set[str]:
        return {
            c.get("value") or "" for c in self.controls if c.get("name") == name and "checked" in c
        }


@pytest.fixture
def district():
    return AreaFactory(name="Riverside")


def valid_data(district) -> dict[str, object]:
    return {
        "legal_name": "  Ada   Lovelace ",
        "date_of_birth": "1990-12-10",
        "national_id": "ab-123 456",
        "phone": "+33 6 12 34 56 78",
        "address_line1": "1 Rue de la Paix",
        "address_line2": "",
        "town": "Lyon",
        "postcode": "69001",
        "area": district.pk,
        "preferred_language": "en",
        "accessibility_needs": ["large_text", "easy_read"],
        "accessibility_notes": "Please call after 10am.",
    }


def test_invalid_input_is_shown_at_each_field_with_a_summary_and_kept(client, resident, district):
    client.force_login(resident)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data = valid_data(district) | {
        "date_of_birth": future,
        "national_id": "AB!12",
        "phone": "call me maybe",
    }
    before = AuditEntry.objects.count()
    response = client.post("/me/profile/", data)
    assert response.status_code == 200
    html = response.content.decode()
    page = Page(html)

    assert "Date of birth must be in the past." in html
    assert "Enter a national ID number of 6 to 20 letters and numbers." in html
    assert "Enter a phone number, like 01632 960 001 or +33 6 12 34 56 78." in html
    assert page.summary_links == ["#id_date_of_birth", "#id_national_id", "#id_phone"]
    for link in page.summary_links:
        assert link[1:] in page.ids
    for name in ("date_of_birth", "national_id", "phone"):
        assert f"{name}_error" in "".join(page.ids)

    for name in ("legal_name", "date_of_birth", "national_id", "phone", "address_line1"):
        assert page.value_of(name) == data[name], name
    assert page.value_of("town") == "Lyon" and page.value_of("postcode") == "69001"
    assert page.value_of("area") == str(district.pk)
    assert page.value_of("accessibility_notes").strip() == "Please call after 10am."  # type: ignore[union-attr]
    assert page.checked("accessibility_needs") == {"large_text", "easy_read"}
    assert page.value_of("preferred_language") == "en"

    assert AuditEntry.objects.count() == before
    resident.profile.refresh_from_db()
    assert resident.profile.legal_name == ""


def test_a_bad_choice_links_to_the_first_checkbox(client, resident, district):
    client.force_login(resident)
    data = valid_data(district) | {"accessibility_needs": ["teleportation"]}
    page = Page(client.post("/me/profile/", data).content.decode())
    assert page.summary_links == ["#id_accessibility_needs_0"]
    assert "id_accessibility_needs_0" in page.ids


def test_valid_input_is_saved_through_the_service_and_audited(client, resident, district):
    client.force_login(resident)
    response = client.post(
        "/me/profile/",
        valid_data(district) | {"preferred_language": "es"},
        headers={"X-Request-ID": "profile-save-0001"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/profile/"
    profile = resident.profile
    profile.refresh_from_db()
    assert profile.legal_name == "Ada Lovelace"
    assert profile.date_of_birth == datetime.date(1990, 12, 10)
    assert profile.national_id == "AB123456" and profile.national_id_hash
    assert profile.area == district
    assert profile.accessibility_needs == ["large_text", "easy_read"]
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "accounts.profile.updated" and entry.actor == resident
    assert entry.request_id == "profile-save-0001"
    assert {"legal_name", "national_id", "preferred_language"} <= set(entry.data["fields"])
    page = client.get("/me/profile/").content.decode()
    assert 'lang="es"' in page.split(">", 2)[1]  # the new language applies at once
    assert Page(page).value_of("national_id") == "AB123456"


def test_a_national_id_on_another_account_is_a_field_error(client, resident, district):
    other = UserFactory()
    client.force_login(other)
    assert client.post("/me/profile/", valid_data(district)).status_code == 302

    client.force_login(resident)
    response = client.post("/me/profile/", valid_data(district))
    assert response.status_code == 200
    page = Page(response.content.decode())
    assert page.summary_links == ["#id_national_id"]
    assert page.value_of("national_id") == "ab-123 456"


def switch_to_french(client) -> None:
    response = client.post("/language/", {"language": "fr", "next": "/me/profile/"})
    assert response.status_code == 302


def test_errors_are_in_french_when_the_language_is_french(client, resident, district):
    client.force_login(resident)
    switch_to_french(client)
    data = valid_data(district) | {"legal_name": "", "date_of_birth": "27/03/1987x"}
    response = client.post("/me/profile/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Ce champ est obligatoire." in html
    assert "Saisissez une date valide." in html
    assert "This field is required." not in html


def test_the_platforms_own_errors_are_in_french_too(client, resident, district):
    client.force_login(resident)
    switch_to_french(client)
    response = client.post("/me/profile/", valid_data(district) | {"phone": "nope"})
    assert "Enter a phone number" not in response.content.decode()
