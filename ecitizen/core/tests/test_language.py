"""The language switcher: works without JavaScript, is remembered on the profile of a signed-in
person (on every device), refuses unknown languages and open redirects."""

import pytest
from django.conf import settings
from django.test import Client

from ecitizen.accounts.tests.fixtures import password_login
from ecitizen.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    html = response.content.decode()
    start = html.index("<html lang=") + len('<html lang="')
    return html[start : html.index('"', start)]


def test_switching_language_as_a_visitor_sets_a_cookie(client):
    response = client.post("/language/", {"language": "fr", "next": "/privacy/"})
    assert response.status_code == 302 and response["Location"] == "/privacy/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert page_language(client.get("/privacy/")) == "fr"
    client.post("/language/", {"language": "es"})
    assert page_language(client.get("/")) == "es"


@pytest.mark.parametrize("language", ["de", "", "fr-CA", "../en"])
def test_unknown_languages_are_refused(client, language):
    response = client.post("/language/", {"language": language, "next": "/"})
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_only_post_switches_language(client):
    assert client.get("/language/", {"language": "fr"}).status_code == 405


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://testserver.evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_open_redirects_are_refused(client, next_url):
    response = client.post("/language/", {"language": "fr", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_local_next_urls_with_a_query_are_kept(client):
    response = client.post("/language/", {"language": "fr", "next": "/me/?tab=1"})
    assert response["Location"] == "/me/?tab=1"


def test_a_signed_in_persons_choice_is_kept_on_their_profile(client, resident):
    password_login(client, resident.email)
    response = client.post("/language/", {"language": "fr", "next": "/me/"})
    assert response.status_code == 302
    resident.profile.refresh_from_db()
    assert resident.profile.preferred_language == "fr"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor) == ("accounts.profile.language_changed", resident)
    assert page_language(client.get("/me/")) == "fr"

    elsewhere = Client()  # another device: no cookie, a browser asking for English
    password_login(elsewhere, resident.email)
    response = elsewhere.get("/me/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert page_language(response) == "fr"


def test_a_visitors_choice_does_not_override_the_profile_after_sign_in(client, resident):
    client.post("/language/", {"language": "es"})
    password_login(client, resident.email)
    assert page_language(client.get("/me/")) == "en"
    resident.profile.refresh_from_db()
    assert resident.profile.preferred_language == "en"
