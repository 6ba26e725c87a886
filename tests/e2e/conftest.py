"""Browser journeys: real clicks in Debian's Chromium, axe-core on every page.

How to run
----------
    .venv/bin/python -m pytest tests/e2e            # just the journeys
    .venv/bin/python -m pytest -n 2 --dist loadgroup  # with the rest of the suite

Needs the vendored front-end assets (``make assets``) and Debian's ``/usr/bin/chromium``;
no browser is ever downloaded (never run ``playwright install``).

What the fixtures give a test
-----------------------------
* ``browser``: one headless Chromium for the whole session (per xdist worker).
* ``page`` / ``nojs_page``: a fresh browser context per test, 1280 px wide, pointed at
  pytest-django's ``live_server`` (``nojs_page`` has JavaScript switched off).
* ``mail_sink``: an SMTP server (``ecitizen.core.mailsink.MailSink``) on a free port; the
  platform sends to it over real SMTP and the test reads the ``.eml`` files it wrote.
* ``check_page(page, name)``: runs axe-core at 1280 px and at 375 px (zero violations
  allowed, no rule disabled), checks the page reflows at 375 px without sideways
  scrolling, and saves a full-page screenshot at both widths into ``test-artifacts/``.

``E2E_TIMING=1 ... -s`` prints how long each page check and each TOTP time-step wait took.

Every test module here sets ``pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]``
so that, under ``--dist loadgroup``, the journeys share one worker (and one browser) while the other
worker runs the unit tests.
"""

import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ecitizen.core.mailsink import MailSink

# Playwright's sync API keeps an asyncio loop in this thread; Django's ORM refuses to run
# in a thread with a running loop unless told this is fine (it is: the tests are sync).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
PASSWORD = "correct horse battery staple 2024"

_AXE = Axe()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser: Browser, base_url: str, **options: object) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-GB", **options)
    # Generous for a loaded CI machine: the first page also waits for the live server.
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.console_problems = problems  # type: ignore[attr-defined]
    page.javascript_enabled = options.get("java_script_enabled", True)  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    yield from _new_page(browser, live_server.url)


@pytest.fixture
def nojs_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    yield from _new_page(browser, live_server.url, java_script_enabled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """What the platform sent to the mail sink, read back by recipient."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    def wait_for(self, to: str, timeout: float = 10.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [message for message in self.sink.messages() if to in str(message["To"])]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no email to {to} reached the SMTP sink within {timeout}s")

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        assert part is not None, "email has no text body"
        return str(part.get_content())


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    sink = MailSink(tmp_path_factory.mktemp("mailsink"), port=_free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox(mail_sink: MailSink, settings) -> Mailbox:
    """Route the platform's email over real SMTP to the sink for this test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return Mailbox(mail_sink)


def _run_axe(page: Page) -> dict:
    """axe-core's default rule set (WCAG 2.x A/AA and best practices), nothing disabled;
    injected once per document.

    A click returns before the navigation it starts has replaced the document, so the old
    document can go away under axe: then the check runs again on the new one, once loaded."""

    def run() -> dict:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(_AXE.axe_script)
        return page.evaluate("axe.run(document, {resultTypes: ['violations']})")

    try:
        return run()
    except PlaywrightError as error:
        if "context was destroyed" not in str(error) and "of null" not in str(error):
            raise
        page.wait_for_load_state("load")
        return run()


# Checks axe-core leaves out of its default set (duplicate-id is deprecated there).
_DOM_CHECKS = """() => {
  const problems = [];
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) {
    seen.set(el.id, (seen.get(el.id) || 0) + 1);
  }
  for (const [id, count] of seen) if (count > 1) problems.push(`duplicate id "${id}" x${count}`);
  const groups = new Map();
  for (const input of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    groups.set(input.name, [...(groups.get(input.name) || []), input]);
  }
  for (const [name, inputs] of groups) {
    if (inputs.length < 2) continue;
    const fieldset = inputs[0].closest('fieldset');
    if (!fieldset || !fieldset.querySelector(':scope > legend') ||
        inputs.some(input => input.closest('fieldset') !== fieldset)) {
      problems.push(`choices "${name}" are not grouped in a fieldset with a legend`);
    }
  }
  const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4')];
  if (!levels.length || levels[0].tagName !== 'H1') problems.push('main does not start with an h1');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems;
}"""


def _axe_report(results: dict, width: int) -> list[str]:
    lines = []
    for violation in results["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        lines.append(f"[{width}px] {violation['id']}: {violation['help']} -> {targets}")
        for node in violation["nodes"][:3]:
            lines.append(f"      {node.get('failureSummary', '').strip()}")
            lines.append(f"      {node['html'][:200]}")
    return lines


_audit_pages: dict[int, tuple[Page, dict[str, str]]] = {}


def _axe_target(page: Page) -> Page:
    """The page axe runs in. axe-core needs timers, which a page without JavaScript never
    fires: for such a page, its exact DOM is loaded into a JavaScript-enabled page at the
    same origin (so the stylesheets load), with the platform's own scripts blocked."""
    if getattr(page, "javascript_enabled", True):
        return page
    browser = page.context.browser
    assert browser is not None
    if id(browser) not in _audit_pages:
        snapshot: dict[str, str] = {}
        audit = browser.new_context(viewport=DESKTOP).new_page()
        audit.route("**/*.js", lambda route: route.abort())
        audit.route(
            "**/*__axe_snapshot__*",
            lambda route: route.fulfill(
                body=snapshot["html"], content_type="text/html; charset=utf-8"
            ),
        )
        _audit_pages[id(browser)] = (audit, snapshot)
    audit, snapshot = _audit_pages[id(browser)]
    # What a browser without JavaScript shows inside <noscript> must be checked too.
    snapshot["html"] = re.sub(r"<(/?)noscript\b", r"<\1div", page.content())
    audit.goto(page.url.split("#")[0].split("?")[0] + "?__axe_snapshot__")
    return audit


def check_accessibility(page: Page, name: str) -> None:
    """axe-core with zero violations and a screenshot, at 1280 px then 375 px wide."""
    started = time.monotonic()
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    problems: list[str] = []
    audit = _axe_target(page)
    for label, viewport in (("desktop", DESKTOP), ("mobile-375", MOBILE)):
        page.set_viewport_size(viewport)
        audit.set_viewport_size(viewport)
        problems += _axe_report(_run_axe(audit), viewport["width"])
        if viewport is DESKTOP:
            problems += page.evaluate(_DOM_CHECKS)
        if viewport is MOBILE:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"[375px] page scrolls sideways by {overflow}px (no reflow)")
        page.screenshot(path=str(ARTIFACTS / f"{safe}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    if os.environ.get("E2E_TIMING"):
        print(f"check_page {name}: {time.monotonic() - started:.2f}s")
    assert not problems, f"accessibility problems on {name} ({page.url}):\n" + "\n".join(problems)


@pytest.fixture
def check_page() -> Callable[[Page, str], None]:
    return check_accessibility


#: A code typed with less time than this left in its step may reach the server in the next
#: step, where allauth (no tolerance) rejects it.
TOTP_MARGIN_SECONDS = 5


def totp_code(secret: str, not_in: set[str] | None = None) -> str:
    """A current TOTP code that stays valid while the browser submits it: waits for the next
    time step when this one is about to end, or was already used (allauth rejects a code used
    once within its window)."""
    totp = pyotp.TOTP(secret)
    while True:
        left = totp.interval - time.time() % totp.interval
        code = totp.now()
        if left > TOTP_MARGIN_SECONDS and not (not_in and code in not_in):
            return code
        if os.environ.get("E2E_TIMING"):
            print(f"waiting {left + 0.2:.1f}s for the next TOTP time step")
        time.sleep(left + 0.2)


def make_user(email: str, **profile: object):  # -> ecitizen.accounts.models.User
    """A resident with a verified email address (through the real service)."""
    from ecitizen.accounts.services import ProfileData, user_create

    return user_create(
        actor=None,
        email=email,
        password=PASSWORD,
        email_verified=True,
        profile=ProfileData(**profile) if profile else None,  # type: ignore[arg-type]
    )


def make_staff(email: str, role: str, secret: str, *, agency=None, **profile: object):
    """A member of staff holding ``role`` (in ``agency`` for agency roles), with an
    authenticator app on ``secret`` and recovery codes, as staff pages require."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from ecitizen.accounts.services import staff_role_grant

    user = make_user(email, **profile)
    staff_role_grant(actor=None, user=user, role=role, agency=agency)
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return user


def staff_sign_in(page: Page, email: str, secret: str) -> None:
    """Sign in with the password, then the authenticator code; lands on the account page."""
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in from the header link (lands on the account page, or the second-factor step)."""
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.get_by_role("banner").get_by_role("link", name="Sign in").wait_for()
