import re

import pytest
from django.urls import reverse

from ecitizen.api.models import ApiToken
from ecitizen.api.services import api_token_revoke
from ecitizen.audit.models import AuditEntry

from .conftest import bearer, signed_in

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:api_tokens")
NEW = reverse("accounts:api_token_create")


def revoke_url(token: ApiToken) -> str:
    return reverse("accounts:api_token_revoke", args=[token.pk])


def test_pages_need_a_signed_in_person(client, user, make_token):
    token, _ = make_token(user)
    for url in (LIST, NEW, revoke_url(token)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.post(revoke_url(token))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_list_shows_own_tokens_in_an_accessible_table(client, user, other_user, make_token):
    make_token(user, name="Tax helper")
    revoked, _ = make_token(user, name="Old app")
    api_token_revoke(actor=user, token=revoked)
    make_token(other_user, name="Someone else's")

    html = signed_in(client, user).get(LIST).content.decode()

    assert "<caption>" in html and 'scope="col"' in html
    assert "Tax helper" in html and "Old app" in html and "Someone else" not in html
    assert "Read your profile" in html
    assert html.count(">Revoke<") == 1  # only the active token can be revoked
    assert "Revoked on" in html


def test_list_when_there_are_no_tokens(client, user):
    html = signed_in(client, user).get(LIST).content.decode()
    assert "You have no API tokens." in html and "<table" not in html


def test_create_asks_to_confirm_the_password_first(client, user):
    response = signed_in(client, user).get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(NEW, {"name": "App", "scopes": ["profile:read"]})
    assert response.status_code == 302 and not ApiToken.objects.exists()


def test_create_form_is_accessible(client, user):
    html = signed_in(client, user, reauthenticated=True).get(NEW).content.decode()
    assert '<label class="usa-label" for="id_name">' in html
    assert "<fieldset" in html and "<legend" in html and "What the token may do" in html
    for scope in ("profile:read", "tokens:read", "tokens:revoke"):
        assert f'value="{scope}"' in html
    assert 'type="date"' in html


def test_create_shows_the_secret_once(client, user):
    signed_in(client, user, reauthenticated=True)

    response = client.post(
        NEW, {"name": "Tax helper", "scopes": ["profile:read", "tokens:read"], "expires_on": ""}
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    html = response.content.decode()
    plaintext = re.search(r'id="api-token-value"[^>]*>(ect_[^<]+)</textarea>', html).group(1)
    assert html.count(plaintext) == 1
    assert plaintext.startswith(f"ect_{token.prefix}_")
    assert "no-store" in response["Cache-Control"]
    assert token.name == "Tax helper" and token.scopes == ["profile:read", "tokens:read"]
    assert token.user == user and token.expires_at is None
    assert AuditEntry.objects.filter(action="api.token.created", actor_id=user.pk).count() == 1
    # It works, and is never shown again.
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    assert plaintext not in client.get(LIST).content.decode()
    assert plaintext not in client.get(revoke_url(token)).content.decode()


def test_create_with_an_expiry_date(client, user):
    signed_in(client, user, reauthenticated=True)
    client.post(NEW, {"name": "Short", "scopes": ["profile:read"], "expires_on": "2099-06-30"})
    token = ApiToken.objects.get()
    from django.utils import timezone

    local = timezone.localtime(token.expires_at)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2099-07-01", 0, 0)


def test_create_errors_are_summarised_and_input_kept(client, user):
    signed_in(client, user, reauthenticated=True)

    response = client.post(NEW, {"name": "Keep me", "expires_on": "2000-01-01"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert 'href="#id_scopes_0"' in html and "Choose at least one permission." in html
    assert 'href="#id_expires_on"' in html and "today or later" in html
    assert 'value="Keep me"' in html
    assert "<title>Error:" in html
    assert not ApiToken.objects.exists()


def test_create_rejects_an_unknown_scope(client, user):
    signed_in(client, user, reauthenticated=True)
    response = client.post(NEW, {"name": "x", "scopes": ["admin:all"]})
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_asks_for_confirmation_then_revokes(client, user, make_token):
    token, plaintext = make_token(user, name="Leaked")
    signed_in(client, user)

    page = client.get(revoke_url(token))
    assert page.status_code == 200
    assert "Revoke the token “Leaked”?" in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # GET changes nothing

    response = client.post(revoke_url(token))
    assert response.status_code == 302 and response["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "has been revoked" in client.get(LIST).content.decode()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 401


def test_nobody_sees_or_revokes_another_persons_token_by_page(client, user, other_user, make_token):
    token, plaintext = make_token(user, name="Private")
    signed_in(client, other_user)

    assert client.get(revoke_url(token)).status_code == 404
    assert client.post(revoke_url(token)).status_code == 404

    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEntry.objects.filter(action="api.token.revoked").exists()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
