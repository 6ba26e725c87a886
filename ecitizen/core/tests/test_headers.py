"""Security headers on every page, no caching of signed-in pages, and production settings that
pass Django's deployment checks."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/privacy/",
    "/accessibility/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/no-such-page/",
]
RESIDENT_PAGES = ["/me/", "/me/profile/", "/me/who-accessed-my-data/", "/accounts/email/"]
STAFF_PAGES = ["/staff/", "/staff/residents/", "/staff/residents/?q=nobody@example.org"]

# Scripts must come from files; JSON data blocks are not run, so CSP allows them.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


def assert_strict_csp(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def assert_nothing_inline(response) -> None:
    """What a strict CSP would block must not be in the page (it would silently break)."""
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html)


def assert_no_store(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_a_strict_csp(client, path):
    response = client.get(path)
    assert response.status_code in {200, 404}
    assert_strict_csp(response)
    assert_nothing_inline(response)


@pytest.mark.parametrize("path", RESIDENT_PAGES)
def test_signed_in_pages_have_a_strict_csp_and_are_not_stored(client, resident, path):
    client.force_login(resident)
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_csp(response)
    assert_nothing_inline(response)
    assert_no_store(response)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_have_a_strict_csp_and_are_not_stored(client, officer, path):
    client.force_login(officer)
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_csp(response)
    assert_nothing_inline(response)
    assert_no_store(response)


def test_an_error_page_for_a_signed_in_person_is_not_stored(client, resident):
    client.force_login(resident)
    response = client.get("/staff/")
    assert response.status_code == 404
    assert_no_store(response)


def test_the_policy_is_djangos_and_a_nonce_is_new_on_every_response(client, settings):
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.csp import CSP, build_policy

    from ecitizen.core.middleware import ContentSecurityPolicyMiddleware

    assert client.get("/")["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)
    settings.SECURE_CSP = {**settings.SECURE_CSP, "script-src": [CSP.SELF, CSP.NONCE]}
    settings.SECURE_CSP_REPORT_ONLY = {"default-src": [CSP.NONE]}

    def page_using_the_nonce(request):
        return HttpResponse(f"<script nonce='{request._csp_nonce}'></script>")

    middleware = ContentSecurityPolicyMiddleware(page_using_the_nonce)
    first, second = (middleware(RequestFactory().get("/")) for _ in range(2))
    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]) for r in (first, second)]
    assert all(nonces) and nonces[0].group(1) != nonces[1].group(1)  # type: ignore[union-attr]
    assert second["Content-Security-Policy-Report-Only"] == "default-src 'none'"


def test_healthz_is_not_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"
    assert "no-store" in response["Cache-Control"]


@pytest.fixture(scope="module")
def production_env() -> dict[str, str]:
    """The environment the Makefile's ``lint`` target gives the deployment check, taken from
    the Makefile itself so that the two never drift apart."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(
        ["make", "-n", "lint"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    command = dry_run[dry_run.index("DJANGO_SETTINGS_MODULE=config.settings.production") :]
    check = command.index("manage.py check --deploy")
    assignments = command[: command.rindex("\\\n", 0, check) + 2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    printed = subprocess.run(
        ["bash", "-c", assignments + " env -0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(item.split("=", 1) for item in printed.split("\0") if "=" in item)


def run_production(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_check(production_env):
    assert production_env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    result = run_production(
        production_env, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_uses_host_prefixed_secure_cookies_and_hsts(production_env):
    names = [
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "DEBUG",
        "SESSION_COOKIE_PATH",
        "CSRF_COOKIE_PATH",
        "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_DOMAIN",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    ]
    code = (
        "import json; from django.conf import settings; "  # settings only: no app loading
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = run_production(production_env, "-c", code)
    assert result.returncode == 0, result.stderr
    prod = json.loads(result.stdout.strip().splitlines()[-1])
    assert prod["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert prod["CSRF_COOKIE_NAME"].startswith("__Host-")
    # __Host- cookies are only accepted when Secure, on Path=/ and without a Domain.
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_PATH"] == prod["CSRF_COOKIE_PATH"] == "/"
    assert prod["SESSION_COOKIE_DOMAIN"] is None and prod["CSRF_COOKIE_DOMAIN"] is None
    assert prod["LANGUAGE_COOKIE_SECURE"]
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000 and prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert prod["SECURE_SSL_REDIRECT"] and prod["DEBUG"] is False
    # Behind the load balancer that sets X-Forwarded-Proto, client addresses come from
    # X-Forwarded-For, or everyone would share one sign-in rate limit.
    assert prod["ALLAUTH_TRUSTED_PROXY_COUNT"] >= 1


def test_production_refuses_to_start_without_its_secrets(production_env):
    env = {k: v for k, v in production_env.items() if k != "ECITIZEN_FIELD_KEYS"}
    result = run_production(env, "manage.py", "check")
    assert result.returncode != 0
    assert "ECITIZEN_FIELD_KEYS" in result.stderr
