"""Who may use staff pages: staff only (everyone else gets 404), with a second factor, with an
idle timeout, and with fresh authentication before changing credentials."""

import re
import time

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.factories import PASSWORD
from ecitizen.accounts.tests.fixtures import password_login, staff_login, totp_code
from ecitizen.backoffice import urls as backoffice_urls
from ecitizen.core.middleware import SESSION_LAST_SEEN_KEY

pytestmark = pytest.mark.django_db

SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
PLATFORM_ADMIN_PATHS = [
    "/staff/reference-data/",
    "/staff/areas/new/",
    "/staff/areas/1/",
    "/staff/agencies/new/",
    "/staff/agencies/1/",
]


def _route(pattern: URLPattern | URLResolver) -> str:
    route = str(pattern.pattern)
    assert "^" not in route, f"regex URL pattern {route!r}: give this test a sample path"

    def sample(match: re.Match[str]) -> str:
        return SAMPLE[match.group(1) or "str"]

    return re.sub(r"<(?:(\w+):)?\w+>", sample, route)


def all_staff_paths(patterns=backoffice_urls.urlpatterns, prefix="/staff/") -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            paths += all_staff_paths(pattern.url_patterns, prefix + _route(pattern))
        else:
            paths.append(prefix + _route(pattern))
    return paths


def test_the_list_of_staff_urls_is_complete():
    paths = all_staff_paths()
    assert {"/staff/", "/staff/residents/1/", *PLATFORM_ADMIN_PATHS} <= set(paths)


@pytest.mark.parametrize("path", all_staff_paths())
def test_a_resident_gets_404_on_every_staff_url(client, resident, path):
    client.force_login(resident)
    assert client.get(path).status_code == 404
    assert client.post(path, {"purpose": "support"}).status_code == 404


@pytest.mark.parametrize("path", all_staff_paths())
def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_url(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", PLATFORM_ADMIN_PATHS)
def test_platform_admin_pages_are_404_for_a_case_officer(client, officer, path):
    client.force_login(officer)
    assert client.get(path).status_code == 404
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize("path", all_staff_paths())
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, make_staff, path):
    admin = make_staff(StaffRole.Role.PLATFORM_ADMIN, mfa=False)
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_sign_in_asks_for_the_second_factor(client, officer):
    response = password_login(client, officer.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302  # not signed in yet

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)
    assert client.get("/staff/").status_code == 200


def set_last_seen(client, seconds_ago: int) -> None:
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_a_staff_session_ends_after_the_idle_timeout(client, officer):
    client.force_login(officer)
    assert client.get("/staff/").status_code == 200
    set_last_seen(client, settings.STAFF_IDLE_TIMEOUT_SECONDS + 5)
    response = client.get("/staff/residents/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/residents/"
    assert "_auth_user_id" not in client.session
    assert client.get("/me/").status_code == 302


def test_staff_activity_within_the_timeout_keeps_the_session(client, officer):
    client.force_login(officer)
    set_last_seen(client, settings.STAFF_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/me/").status_code == 200
    assert int(time.time()) - client.session[SESSION_LAST_SEEN_KEY] < 5  # refreshed
    set_last_seen(client, settings.STAFF_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/staff/").status_code == 200


def test_residents_are_not_timed_out(client, resident):
    client.force_login(resident)
    set_last_seen(client, settings.STAFF_IDLE_TIMEOUT_SECONDS * 10)
    assert client.get("/me/").status_code == 200


def age_authentication(client, seconds: int) -> None:
    """Pretend the sign-in happened ``seconds`` ago."""
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= seconds
    session["account_authentication_methods"] = records
    session.save()


def reauthenticate(client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_deactivating_the_second_factor_needs_fresh_authentication(client, officer):
    staff_login(client, officer)
    reauthenticate(client)
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 5)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/?next=")
    assert officer.authenticator_set.filter(type="totp").exists()

    reauthenticate(client)
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 30)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert not response["Location"].startswith("/accounts/reauthenticate/")
    assert not officer.authenticator_set.filter(type="totp").exists()


def test_changing_the_email_address_needs_fresh_authentication(client, resident):
    password_login(client, resident.email)
    reauthenticate(client)
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 5)
    response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.org"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/?next=")
    assert not resident.emailaddress_set.filter(email="new@example.org").exists()


def test_changing_the_password_needs_the_current_one(client, resident):
    client.force_login(resident)
    new = "another long passphrase"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not my password at all", "password1": new, "password2": new},
    )
    assert response.status_code == 200
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)
