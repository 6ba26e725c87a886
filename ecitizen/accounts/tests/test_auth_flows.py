"""Sign-up, email verification, sign-in, sign-out and password reset through allauth, with
throttling of failed sign-ins."""

import logging
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import override_settings

from ecitizen.accounts.models import User
from ecitizen.accounts.tests.factories import PASSWORD, UserFactory
from ecitizen.accounts.tests.fixtures import password_login
from ecitizen.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase for me"


def link_in_last_mail(pattern: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{pattern}[^\s]*)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_sign_up_verify_email_then_sign_in_and_out(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Nadia@Example.org", "password1": PASSWORD, "password2": PASSWORD},
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email__iexact="nadia@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert user.profile.preferred_language == "es"
    assert AuditEntry.objects.filter(action="accounts.user.signed_up", actor=user).exists()
    assert signed_in_user_id(client) is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nadia@example.org"]
    confirm_path = link_in_last_mail("accounts/confirm-email/")

    # Signing in before verifying does not sign in.
    client.post("/accounts/logout/")
    response = password_login(client, "nadia@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user_id(client) is None
    assert client.get("/me/").status_code == 302

    # The link asks for a click (no change on GET), then verifies.
    assert client.get(confirm_path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    assert client.post(confirm_path).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    client.post("/accounts/logout/")
    response = password_login(client, "nadia@example.org")
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert signed_in_user_id(client) == str(user.pk)
    assert client.get("/me/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert client.get("/me/").status_code == 302


def test_sign_up_refuses_a_short_password_and_keeps_the_email(client):
    short = "fourteen chars"
    response = client.post(
        "/accounts/signup/", {"email": "kim@example.org", "password1": short, "password2": short}
    )
    assert response.status_code == 200
    assert "at least 15 characters" in response.content.decode()
    assert 'value="kim@example.org"' in response.content.decode()
    assert not User.objects.filter(email="kim@example.org").exists()


def test_the_session_key_changes_on_sign_in(client):
    user = UserFactory()
    session = client.session
    session["visited"] = True
    session.save()
    before = client.session.session_key
    response = password_login(client, user.email)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session.session_key != before


def test_password_reset(client):
    user = UserFactory()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    reset_path = link_in_last_mail("accounts/password/reset/key/")

    response = client.get(reset_path)  # the key moves into the session, out of the URL
    assert response.status_code == 302
    set_password_path = response["Location"]
    assert "set-password" in set_password_path
    response = client.post(
        set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302

    client.logout()
    assert password_login(client, user.email).status_code == 200  # old password refused
    assert signed_in_user_id(client) is None
    assert password_login(client, user.email, NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_a_used_reset_link_cannot_be_used_again(client):
    user = UserFactory()
    client.post("/accounts/password/reset/", {"email": user.email})
    reset_path = link_in_last_mail("accounts/password/reset/key/")
    set_password_path = client.get(reset_path)["Location"]
    client.post(set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    other = client.__class__()
    response = other.get(reset_path, follow=True)
    assert 'name="password1"' not in response.content.decode()


def test_repeated_failed_sign_ins_for_one_account_are_throttled_and_logged(client, caplog):
    user = UserFactory()
    caplog.set_level(logging.WARNING, logger="ecitizen.security")
    for attempt in range(5):
        response = password_login(client, user.email, f"wrong passphrase number {attempt}")
        assert response.status_code == 200, attempt
    failures = [r for r in caplog.records if r.name == "ecitizen.security"]
    assert len(failures) == 5
    assert all(user.email in r.getMessage() and "127.0.0.1" in r.getMessage() for r in failures)

    response = password_login(client, user.email, "wrong again, sixth time")
    assert response.status_code == 429
    # Even the right password waits for the cool-off: the limit is on the account.
    assert password_login(client, user.email).status_code == 429
    assert signed_in_user_id(client) is None
    security = [r.getMessage() for r in caplog.records if r.name == "ecitizen.security"]
    assert security[-1] == f"login throttled for {user.email} from 127.0.0.1"

    # Another account from the same address is not locked out by this one.
    other = UserFactory()
    assert password_login(client, other.email).status_code == 302


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_load_balancer_residents_do_not_share_one_address_limit(client):
    def fail_from(address: str) -> int:
        user = UserFactory()
        response = client.post(
            "/accounts/login/",
            {"login": user.email, "password": "not the right passphrase"},
            headers={"X-Forwarded-For": address},
            REMOTE_ADDR="10.0.0.2",  # the load balancer
        )
        return response.status_code

    assert [fail_from(f"198.51.100.{n}") for n in range(12)] == [200] * 12
    assert [fail_from("203.0.113.9") for _ in range(11)] == [200] * 10 + [429]
