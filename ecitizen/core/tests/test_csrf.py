"""Form tokens made by ecitizen.core.csrf are Django's own: its middleware accepts them."""

import re
from collections import Counter

import pytest
from django.conf import settings
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_TOKEN_LENGTH,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory

from ecitizen.core.csrf import _random_chars, masked_token

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def test_the_token_is_the_cookie_secret_under_a_fresh_mask() -> None:
    request = RequestFactory().get("/")
    secret = "abcXYZ0123456789" * 2
    request.META["CSRF_COOKIE"] = secret
    first, second = masked_token(request), masked_token(request)
    assert first != second
    for token in (first, second):
        assert len(token) == CSRF_TOKEN_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META  # the browser has this cookie


def test_a_first_visit_gets_a_new_secret_sent_as_the_cookie() -> None:
    request = RequestFactory().get("/")
    token = masked_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_masks_use_the_whole_alphabet_evenly() -> None:
    counts = Counter("".join(_random_chars() for _ in range(2000)))  # 64,000 characters
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    expected = 64_000 / len(CSRF_ALLOWED_CHARS)  # ~1,032 each; a skewed map would show
    assert all(0.8 * expected < count < 1.2 * expected for count in counts.values()), counts


@pytest.mark.django_db
def test_the_cookie_is_sent_when_new_and_not_again_while_the_browser_has_it(resident) -> None:
    client = Client()
    client.force_login(resident)
    first = client.get("/me/")
    assert "csrftoken" in first.cookies
    secret = first.cookies["csrftoken"].value
    assert first.cookies["csrftoken"]["max-age"] == settings.CSRF_COOKIE_AGE

    again = client.get("/me/")  # the test client sends the cookie back, as a browser does
    assert "csrftoken" not in again.cookies
    assert _unmask_cipher_token(TOKEN_FIELD.findall(again.content.decode())[0]) == secret

    client.cookies["csrftoken"] = "not a secret"  # malformed: Django's middleware replaces it
    replaced = client.get("/me/")
    assert replaced.cookies["csrftoken"].value not in ("not a secret", secret)


@pytest.mark.django_db
def test_a_form_posted_with_the_page_token_passes_and_a_forged_one_is_refused(resident) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    page = client.get("/me/profile/")
    tokens = TOKEN_FIELD.findall(page.content.decode())
    assert len(tokens) >= 2  # the sign-out button and the profile form

    sign_out = client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[0]})
    assert sign_out.status_code == 302

    client.force_login(resident)
    other = RequestFactory().get("/")
    other.META["CSRF_COOKIE"] = "Z" * 32
    forged = client.post("/accounts/logout/", {"csrfmiddlewaretoken": masked_token(other)})
    assert forged.status_code == 403
