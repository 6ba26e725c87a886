import base64
import datetime
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.functional import Promise

from ecitizen.accounts.services import ProfileData, profile_update
from ecitizen.accounts.tests.factories import AreaFactory
from ecitizen.api.errors import STATUS_CODES
from ecitizen.api.models import ApiToken
from ecitizen.api.scopes import known_scopes
from ecitizen.api.services import api_token_revoke

from .conftest import assert_error_shape, bearer, days, signed_in

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


@pytest.fixture
def field_key(settings):
    # The default development key in base settings is not 32 bytes (reported); use a valid one.
    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    settings.ECITIZEN_FIELD_KEYS = f"apitest:{key}"


def test_me_returns_the_token_owners_profile_without_the_national_id(
    client, user, make_token, field_key
):
    area = AreaFactory(code="riverside", name="Riverside", name_fr="Bord de rivière")
    profile_update(
        actor=user,
        profile=user.profile,
        data=ProfileData(
            legal_name="Ada Lovelace",
            national_id="AB123456",
            phone="+33 6 12 34 56 78",
            address_line1="1 Main Street",
            town="Springfield",
            postcode="12345",
            area=area,
            preferred_language="fr",
            accessibility_needs=["large_text", "easy_read"],
            accessibility_notes="Call after noon",
        ),
    )
    _, plaintext = make_token(user)

    response = client.get(ME, headers=bearer(plaintext))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "email": user.email,
        "legal_name": "Ada Lovelace",
        "preferred_language": "fr",
        "area": {"code": "riverside", "name": "Riverside"},
        "phone": "+33 6 12 34 56 78",
        "address": {
            "line1": "1 Main Street",
            "line2": "",
            "town": "Springfield",
            "postcode": "12345",
        },
        "accessibility_needs": ["large_text", "easy_read"],
        "accessibility_notes": "Call after noon",
        "national_id_set": True,
    }
    assert b"AB123456" not in response.content
    assert "no-store" in response["Cache-Control"]
    # The area name follows the request's language.
    french = client.get(ME, headers={**bearer(plaintext), "Accept-Language": "fr"})
    assert french.json()["area"]["name"] == "Bord de rivière"


def test_me_with_an_empty_profile(client, user, make_token):
    _, plaintext = make_token(user)
    body = client.get(ME, headers=bearer(plaintext)).json()
    assert body["area"] is None and body["national_id_set"] is False and body["legal_name"] == ""


def test_me_runs_a_fixed_number_of_queries(client, user, make_token, django_assert_num_queries):
    profile_update(
        actor=user, profile=user.profile, data=ProfileData(legal_name="A", area=AreaFactory())
    )
    _, plaintext = make_token(user)
    # token with owner, profile and district; the rate-limit counter (one upsert);
    # last_used_at update
    with django_assert_num_queries(3):
        assert client.get(ME, headers=bearer(plaintext)).status_code == 200
    # last_used_at is written at most once a minute
    with django_assert_num_queries(2):
        assert client.get(ME, headers=bearer(plaintext)).status_code == 200


def test_use_is_recorded_on_the_token(client, user, make_token):
    token, plaintext = make_token(user)
    client.get(ME, headers=bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_without_credentials_answers_401(client, db):
    response = client.get(ME)
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ect_000000000000_" + "A" * 43,
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_bad_credentials_answer_401(client, user, header):
    response = client.get(ME, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"invalid_token", "not_authenticated"}
    assert_error_shape(response, 401, response.json()["error"]["code"])


def test_a_tampered_secret_answers_401(client, user, make_token):
    _, plaintext = make_token(user)
    tampered = plaintext[:-2] + ("xx" if not plaintext.endswith("xx") else "yy")
    response = client.get(ME, headers=bearer(tampered))
    assert_error_shape(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_token_answers_401(client, user, make_token):
    token, plaintext = make_token(user)
    assert client.get(ME, headers=bearer(plaintext)).status_code == 200
    api_token_revoke(actor=user, token=token)

    body = assert_error_shape(client.get(ME, headers=bearer(plaintext)), 401, "invalid_token")
    assert "revoked" in body["error"]["message"]


def test_an_expired_token_answers_401(client, user, make_token):
    token, plaintext = make_token(user, expires_at=days(1))
    assert client.get(ME, headers=bearer(plaintext)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    body = assert_error_shape(client.get(ME, headers=bearer(plaintext)), 401, "invalid_token")
    assert "expired" in body["error"]["message"]


def test_a_deactivated_persons_token_answers_401(client, user, make_token):
    _, plaintext = make_token(user)
    user.is_active = False
    user.save()
    assert_error_shape(client.get(ME, headers=bearer(plaintext)), 401, "invalid_token")


def test_a_token_without_the_scope_answers_403(client, user, make_token):
    _, plaintext = make_token(user, scopes=["tokens:read"])

    response = client.get(ME, headers=bearer(plaintext))

    body = assert_error_shape(response, 403, "insufficient_scope")
    assert body["error"]["details"][0]["code"] == "missing_scope"
    assert "profile:read" in body["error"]["details"][0]["message"]
    assert 'scope="profile:read"' in response["WWW-Authenticate"]


def test_rate_limit_per_token_answers_429_with_retry_after(client, user, make_token, settings):
    settings.API_TOKEN_RATE_LIMIT = "3/m"
    _, plaintext = make_token(user)
    _, other_plaintext = make_token(user, name="other")

    for _ in range(3):
        assert client.get(ME, headers=bearer(plaintext)).status_code == 200
    response = client.get(ME, headers=bearer(plaintext))

    assert_error_shape(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token of the same person has its own allowance.
    assert client.get(ME, headers=bearer(other_plaintext)).status_code == 200


def test_requests_refused_for_scope_count_towards_the_limit(client, user, make_token, settings):
    settings.API_TOKEN_RATE_LIMIT = "2/m"
    _, plaintext = make_token(user, scopes=["tokens:read"])
    assert client.get(ME, headers=bearer(plaintext)).status_code == 403
    assert client.get(ME, headers=bearer(plaintext)).status_code == 403
    assert_error_shape(client.get(ME, headers=bearer(plaintext)), 429, "rate_limited")


def test_the_browser_session_may_read(client, user):
    signed_in(client, user)
    response = client.get(ME)
    assert response.status_code == 200 and response.json()["email"] == user.email


def test_the_browser_session_may_not_write(client, user, make_token):
    token, _ = make_token(user)
    signed_in(client, user)
    response = client.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert_error_shape(response, 401, "not_authenticated")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_list_shows_only_the_owners_tokens_and_never_secrets(
    client, user, other_user, make_token
):
    mine, mine_plaintext = make_token(user, name="Mine", scopes=["tokens:read"])
    make_token(other_user, name="Theirs")

    response = client.get("/api/v1/tokens", headers=bearer(mine_plaintext))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    assert [item["name"] for item in body["items"]] == ["Mine"]
    item = body["items"][0]
    assert item["prefix"] == mine.display_prefix and item["status"] == "active"
    assert mine_plaintext not in response.content.decode()
    assert mine.secret_hash not in response.content.decode()


def test_revoke_through_the_api(client, user, make_token):
    target, target_plaintext = make_token(user, name="Leaked")
    _, plaintext = make_token(user, name="Admin", scopes=["tokens:revoke"])

    response = client.post(f"/api/v1/tokens/{target.pk}/revoke", headers=bearer(plaintext))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert client.get(ME, headers=bearer(target_plaintext)).status_code == 401


def test_nobody_revokes_another_persons_token_through_the_api(client, user, other_user, make_token):
    victim, victim_plaintext = make_token(user)
    _, attacker = make_token(other_user, scopes=["tokens:revoke", "tokens:read"])

    response = client.post(f"/api/v1/tokens/{victim.pk}/revoke", headers=bearer(attacker))
    assert_error_shape(response, 404, "not_found")
    response = client.post(f"/api/v1/tokens/{victim.pk + 1000}/revoke", headers=bearer(attacker))
    assert_error_shape(response, 404, "not_found")

    victim.refresh_from_db()
    assert victim.revoked_at is None
    assert client.get(ME, headers=bearer(victim_plaintext)).status_code == 200


def test_validation_errors_have_the_error_shape(client, user, make_token):
    _, plaintext = make_token(user, scopes=["tokens:read"])
    response = client.get("/api/v1/tokens?limit=lots", headers=bearer(plaintext))
    body = assert_error_shape(response, 422, "validation_error")
    assert body["error"]["details"][0]["field"] == "query.limit"
    assert body["error"]["details"][0]["code"] == "int_parsing"


def test_unknown_paths_and_methods_have_the_error_shape(client, user, make_token):
    _, plaintext = make_token(user)
    assert_error_shape(client.get("/api/v1/nowhere", headers=bearer(plaintext)), 404, "not_found")
    assert_error_shape(client.get("/api/v1/"), 404, "not_found")
    response = client.delete(ME, headers=bearer(plaintext))
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_error_messages_are_marked_for_translation_and_follow_the_language(client, db):
    for _code, message in STATUS_CODES.values():
        assert isinstance(message, Promise)  # gettext_lazy: translated when rendered
    for scope in known_scopes():
        assert isinstance(scope.label, Promise) and isinstance(scope.description, Promise)

    response = client.get(ME, headers={"Accept-Language": "fr"})

    assert_error_shape(response, 401, "not_authenticated")
    assert response["Content-Language"] == "fr"


def test_health_needs_no_token(client, db):
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_an_unexpected_failure_is_a_json_500_without_internals(client, user, make_token, caplog):
    _, plaintext = make_token(user)
    with mock.patch("ecitizen.api.apis.me_profile", side_effect=RuntimeError("secret detail")):
        response = client.get(ME, headers=bearer(plaintext))

    body = assert_error_shape(response, 500, "server_error")
    assert "secret detail" not in response.content.decode() and body["error"]["details"] == []
    assert "secret detail" in caplog.text  # logged for the operators
