"""Error pages are pages of the platform: in the visitor's language, in the page frame (skip
link, header, footer), with a way on; the 500 page needs nothing that may have failed."""

import pytest
from django.test import Client

from ecitizen.core.tests.test_language import page_language

PAGES = {
    "en": ("Page not found", "Find a service"),
    "fr": ("Page introuvable", "Trouver un service"),
    "es": ("Página no encontrada", "Buscar un servicio"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_a_missing_page_is_a_translated_page_of_the_platform(language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    heading, link = PAGES[language]
    assert page_language(response) == language
    assert f"<h1>{heading}</h1>" in html and f"<title>{heading} – eCitizen</title>" in html
    assert f'<a href="/services/">{link}</a>' in html
    assert 'class="usa-skipnav"' in html and "</footer>" in html


@pytest.mark.django_db
def test_a_residents_look_at_the_staff_area_is_the_same_missing_page(client, resident) -> None:
    client.force_login(resident)
    response = client.get("/staff/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()
    assert "Sign out" in response.content.decode()  # the header knows who is signed in


@pytest.mark.django_db
def test_an_expired_form_says_so_and_is_refused(resident) -> None:
    resident.profile.preferred_language = "fr"
    resident.profile.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = client.post("/me/profile/", {"legal_name": "Mallory"})  # no form token
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Ce formulaire a expiré</h1>" in html and page_language(response) == "fr"
    resident.profile.refresh_from_db()
    assert resident.profile.legal_name != "Mallory"


@pytest.mark.django_db
def test_a_refusal_gets_the_403_page(client, settings) -> None:
    settings.ROOT_URLCONF = "ecitizen.core.tests.failing_urls"
    response = client.get("/forbidden/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 403
    assert "<h1>No puede ver esta página</h1>" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_request_gets_the_400_page(client) -> None:
    response = client.post("/language/", {"language": "de"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "<h1>Lo sentimos, no pudimos entender esa solicitud</h1>" in response.content.decode()


@pytest.mark.django_db
def test_the_500_page_is_translated_and_touches_no_database(
    client, django_assert_num_queries, settings
) -> None:
    settings.ROOT_URLCONF = "ecitizen.core.tests.failing_urls"
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/fails/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "<h1>Désolé, le service rencontre un problème</h1>" in html
    assert "uswds.min.css" in html and 'href="/"' in html


def test_the_platform_uses_that_500_page() -> None:
    from config import urls

    assert urls.handler500 == "ecitizen.core.views.server_error"
