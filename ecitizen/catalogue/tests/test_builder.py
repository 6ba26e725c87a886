"""The back-office service builder, through its pages (agency admins only)."""

import pytest

from ecitizen.audit.models import AuditEntry
from ecitizen.catalogue.models import Service, ServiceVersion
from ecitizen.catalogue.tests.factories import TopicFactory, make_service

pytestmark = pytest.mark.django_db
BASE = "/staff/services/"


@pytest.fixture
def admin_client(client, agency_admin):
    client.force_login(agency_admin)
    return client


def _translated(prefix, en, fr=None, es=None):
    return {f"{prefix}_en": en, f"{prefix}_fr": fr or f"{en} FR", f"{prefix}_es": es or f"{en} ES"}


def test_full_flow_create_add_page_add_question_publish(admin_client, agency):
    topic = TopicFactory(slug="pets")
    response = admin_client.post(
        f"{BASE}new/",
        {
            "agency": agency.pk,
            "slug": "dog-licence",
            "code": "dl",
            **_translated("title", "Dog licence", "Licence pour chien", "Licencia para perros"),
            "topics": [topic.pk],
        },
    )
    service = Service.objects.get(slug="dog-licence")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{service.pk}/draft/"
    assert service.code == "DL" and list(service.topics.all()) == [topic]
    draft_url = f"{BASE}{service.pk}/draft/"
    assert admin_client.get(draft_url).status_code == 200

    response = admin_client.post(
        f"{draft_url}content/",
        {
            **_translated("title", "Dog licence", "Licence pour chien", "Licencia para perros"),
            **_translated("summary", "Licence your dog"),
            **_translated("eligibility", "Dog owners"),
            **_translated("what_you_need", "Microchip number"),
        },
    )
    assert response.status_code == 302
    response = admin_client.post(
        f"{draft_url}settings/",
        {
            "fee_kind": "fixed",
            "currency": "EUR",
            "fee_amount": "25.00",
            "fee_timing": "on_submit",
            "sla_working_days": "10",
            "refund_on_rejection": "on",
            "issues_document": "on",
            **_translated("document_type", "Dog licence"),
            **_translated("permitted", "Keep a dog"),
            "validity_days": "365",
        },
    )
    assert response.status_code == 302, response.content.decode()
    response = admin_client.post(
        f"{draft_url}pages/new/", {"id": "dog", **_translated("title", "Your dog")}
    )
    assert response.status_code == 302
    assert admin_client.get(f"{draft_url}pages/dog/questions/new/").status_code == 200
    assert admin_client.get(f"{draft_url}pages/dog/questions/new/?type=yes_no").status_code == 200
    response = admin_client.post(
        f"{draft_url}pages/dog/questions/new/?type=yes_no",
        {"type": "yes_no", "id": "neutered", "required": "on", **_translated("label", "Neutered?")},
    )
    assert response.status_code == 302, response.content.decode()
    response = admin_client.post(
        f"{draft_url}pages/dog/questions/new/",
        {
            "type": "text",
            "id": "chip",
            "required": "on",
            **_translated("label", "Microchip"),
            "pattern": "^[0-9]{15}$",
            "max_length": "15",
            "condition_question": "neutered",
            "condition_values": "yes",
        },
    )
    assert response.status_code == 302, response.content.decode()

    version = service.versions.get()
    chip = version.definition["form"]["pages"][0]["questions"][1]
    assert chip["validation"] == {"max_length": 15, "pattern": "^[0-9]{15}$"}
    assert chip["condition"] == {"question": "neutered", "equals": True}
    assert version.definition["fee"] == {"kind": "fixed", "amount": 2500, "currency": "EUR"}

    preview = admin_client.get(f"{draft_url}preview/").content.decode()
    assert "Microchip" in preview and "Only if “Neutered?” is Yes" in preview
    assert "<form" not in preview.split("<main", 1)[1].split("</main>")[0]

    assert "Publish version 1" in admin_client.get(f"{draft_url}publish/").content.decode()
    response = admin_client.post(f"{draft_url}publish/")
    assert response.status_code == 302
    version.refresh_from_db()
    service.refresh_from_db()
    assert version.status == ServiceVersion.Status.PUBLISHED
    assert service.published_version == version
    assert admin_client.get("/services/dog-licence/").status_code == 200
    assert AuditEntry.objects.filter(action="catalogue.service_version.published").count() == 1

    # History page; a new draft copies version 1.
    overview = admin_client.get(f"{BASE}{service.pk}/").content.decode()
    assert "Version history" in overview and "Published" in overview
    assert admin_client.post(f"{BASE}{service.pk}/draft/new/").status_code == 302
    assert service.versions.get(number=2).definition == version.definition


def test_invalid_question_shows_error_summary_and_keeps_input(admin_client, agency):
    service = make_service(agency, publish=False)
    url = f"{BASE}{service.pk}/draft/pages/site/questions/new/?type=single_choice"
    response = admin_client.post(
        url,
        {
            "type": "single_choice",
            "id": "Bad Id",
            **_translated("label", "Kind of works", "Type de travaux", "Tipo de obras"),
            "options": "garage|Garage|Garage|Garaje\nnot valid line",
            "condition_question": "floor_area",
            "condition_values": "lots",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="error-summary"' in body
    assert 'href="#id_id"' in body
    assert "Line 2: write value|English|Français|Español" in body
    assert "“lots” is not an answer “floor_area” can have." in body
    assert 'value="Type de travaux"' in body and 'value="Bad Id"' in body
    assert "garage|Garage|Garage|Garaje" in body
    assert len(service.versions.get().definition["form"]["pages"][0]["questions"]) == 3


def test_service_refusal_is_shown_on_the_form(admin_client, agency):
    """The formula uses floor_area: changing that question to a later page is refused."""
    service = make_service(agency, publish=False)
    response = admin_client.post(
        f"{BASE}{service.pk}/draft/settings/",
        {
            "fee_kind": "formula",
            "currency": "EUR",
            "fee_formula": "floor_area * 250 + nope",
            "fee_timing": "on_submit",
            "sla_working_days": "10",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not one: nope" in body
    assert 'value="floor_area * 250 + nope"' in body
    response = admin_client.post(f"{BASE}{service.pk}/draft/questions/floor_area/delete/")
    assert response.status_code == 302
    messages = admin_client.get(response["Location"]).content.decode()
    assert "The fee formula uses “floor_area”" in messages
    assert "floor_area" in str(service.versions.get().definition)


def test_reorder_pages_and_questions_with_buttons(admin_client, agency):
    service = make_service(agency, publish=False)
    draft = f"{BASE}{service.pk}/draft/"
    admin_client.post(f"{draft}questions/has_basement/move/", {"direction": "up"})
    version = service.versions.get()
    ids = [q["id"] for q in version.definition["form"]["pages"][0]["questions"]]
    assert ids == ["site_address", "has_basement", "floor_area"]
    # Moving the page with the condition before its question is refused.
    response = admin_client.post(f"{draft}pages/basement/move/", {"direction": "up"})
    assert response.status_code == 302
    assert "must refer to a question asked before it" in admin_client.get(draft).content.decode()
    version.refresh_from_db()
    assert [p["id"] for p in version.definition["form"]["pages"]] == ["site", "basement"]


def test_admin_of_another_agency_gets_404_everywhere(client, other_admin, agency):
    service = make_service(agency, publish=False)
    client.force_login(other_admin)
    for url in (
        f"{BASE}{service.pk}/",
        f"{BASE}{service.pk}/draft/",
        f"{BASE}{service.pk}/draft/content/",
        f"{BASE}{service.pk}/draft/preview/",
        f"{BASE}{service.pk}/draft/publish/",
        f"{BASE}{service.pk}/draft/pages/site/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{BASE}{service.pk}/draft/publish/").status_code == 404
    assert client.post(f"{BASE}{service.pk}/draft/questions/floor_area/delete/").status_code == 404
    assert "building-permit" not in client.get(BASE).content.decode()
    assert service.versions.get().status == ServiceVersion.Status.DRAFT


def test_residents_and_case_officers_cannot_use_the_builder(client, resident, officer):
    client.force_login(resident)
    assert client.get(BASE).status_code == 404
    client.force_login(officer)
    assert client.get(BASE).status_code == 404


def test_publish_page_lists_problems(admin_client, agency):
    service = make_service(agency, publish=False, title={"en": "Only English"})
    response = admin_client.get(f"{BASE}{service.pk}/draft/publish/")
    assert "This draft cannot be published yet" in response.content.decode()
    assert "missing in: fr, es" in response.content.decode()
    response = admin_client.post(f"{BASE}{service.pk}/draft/publish/")
    assert response.status_code == 200
    assert service.versions.get().status == ServiceVersion.Status.DRAFT
