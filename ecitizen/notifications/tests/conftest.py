"""Shared fixtures: see ecitizen/accounts/tests/fixtures.py, and the ones below."""

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.tests.factories import AreaFactory, UserFactory
from ecitizen.accounts.tests.fixtures import *  # noqa: F403
from ecitizen.core.mailsink import MailSink, _MaildirHandler
from ecitizen.core.models import Area


@pytest.fixture(autouse=True)
def notification_settings(settings: Any, tmp_path: Path) -> Path:
    """Texts go to a sink folder of the test's own; no rate limit, no waiting to retry."""
    settings.NOTIFICATIONS_SMS_PROVIDER = "sink"
    settings.NOTIFICATIONS_SMS_SINK_DIR = tmp_path / "sms"
    settings.NOTIFICATIONS_RATE_LIMITS = {}
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    settings.PUBLIC_BASE_URL = "http://testserver"
    from ecitizen.notifications import selectors

    selectors._district_alerts.clear()  # ids come back after a rolled-back test on SQLite
    return tmp_path / "sms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send_to(sink: MailSink, settings: Any) -> Iterator[MailSink]:
    """Start ``sink`` and point the platform's SMTP settings at it for the test."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(settings: Any, tmp_path: Path) -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) the platform sends to."""
    yield from _send_to(MailSink(tmp_path / "mail", port=free_port()), settings)


class PipeliningHandler(_MaildirHandler):
    """The sink's handler, offering PIPELINING (RFC 2920) like production MTAs do, refusing
    recipients whose address starts with ``refuse`` (550) or ``later`` (451), and hanging up
    without answering once it has the content of a message to an address starting with
    ``hangup`` (the sender cannot know whether it arrived)."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 No such user"
        if address.startswith("later"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(to.startswith("hangup") for to in envelope.rcpt_tos):
            server.transport.close()
            return "421 closing"
        return await super().handle_DATA(server, session, envelope)


class PipeliningMailSink(MailSink):
    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        from aiosmtpd.controller import Controller

        self.folder = folder
        self.controller = Controller(PipeliningHandler(folder), hostname=host, port=port)


@pytest.fixture
def pipelining_sink(settings: Any, tmp_path: Path) -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) that offers PIPELINING."""
    yield from _send_to(PipeliningMailSink(tmp_path / "mail", port=free_port()), settings)


@pytest.fixture
def riverside(db: None) -> Area:
    return AreaFactory(code="riverside", name="Riverside", name_fr="Bord-de-Rivière")


@pytest.fixture
def harbour(db: None) -> Area:
    return AreaFactory(code="harbour", name="Harbour", name_fr="Port")


@pytest.fixture
def make_resident(db: None) -> Callable[..., User]:
    def make(area: Area | None = None, language: str = "en", phone: str = "", **kw: Any) -> User:
        user = UserFactory(**kw)
        profile = user.profile
        profile.area = area
        profile.preferred_language = language
        profile.phone = phone
        profile.legal_name = "Amara Okafor"
        profile.save()
        return user

    return make


@pytest.fixture
def publisher(make_staff: Callable[..., User]) -> User:
    return make_staff(StaffRole.Role.ALERT_PUBLISHER)


@pytest.fixture
def approver(make_staff: Callable[..., User]) -> User:
    return make_staff(StaffRole.Role.ALERT_APPROVER)


@pytest.fixture
def alert_data(riverside: Area) -> Callable[..., Any]:
    from ecitizen.notifications.services import AlertData

    def make(severity: str = "warning", areas: list[Area] | None = None, **kw: Any) -> AlertData:
        return AlertData(
            severity=severity,
            title={"en": "Flooding", "fr": "Inondation", "es": "Inundación"},
            body={
                "en": "The river is rising.",
                "fr": "La rivière monte.",
                "es": "El río está subiendo.",
            },
            instructions={"en": "Move to higher ground.", "fr": "Montez en hauteur."},
            areas=[riverside] if areas is None else areas,
            **kw,
        )

    return make
