"""Personal messages: outbox, channels by preference, quiet hours, languages, templates and
placeholders, delivery with retries and the failed state."""

import datetime
import smtplib
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.audit.models import AuditEntry
from ecitizen.notifications import delivery, placeholders, rendering
from ecitizen.notifications.models import Channel, Message, MessageTemplate, Preferences
from ecitizen.notifications.services import (
    TemplateProblem,
    notification_send,
    preferences_save,
    template_save,
    unsubscribe_apply,
)

VALUES = {
    "name": "Amara Okafor",
    "reference": "BP-1",
    "service": "Building permit",
    "url": "http://testserver/applications/BP-1/",
}


def send(user: Any, key: str = "k1", event: str = "application.approved", **kw: Any):
    return notification_send(
        actor=None, recipient=user, event=event, values=VALUES, idempotency_key=key, **kw
    )


def test_inbox_and_email_by_default_and_written_once(
    make_resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_resident(phone="+33 6 00 00 00 01")
    with django_capture_on_commit_callbacks(execute=True):
        created = send(user)
        again = send(user)  # the same event told twice: no second message
    assert sorted(m.channel for m in created) == ["email", "inbox"]  # no SMS by default
    assert again == []
    inbox = Message.objects.get(recipient=user, channel=Channel.INBOX)
    assert inbox.status == Message.Status.DELIVERED and "BP-1" in inbox.subject
    email = Message.objects.get(recipient=user, channel=Channel.EMAIL)
    assert email.status == Message.Status.SENT and email.attempts == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert AuditEntry.objects.filter(action="notifications.message.created").count() == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "has been approved"), ("fr", "approuvée"), ("es", "aprobada")],
)
def test_messages_follow_the_profile_language(
    make_resident: Any, language: str, words: str, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import translation

    user = make_resident(language=language)
    with django_capture_on_commit_callbacks(execute=True):
        send(user)
    inbox = Message.objects.get(recipient=user, channel=Channel.INBOX)
    assert inbox.language == language
    with translation.override(language):
        expected = str(
            rendering.event_for("application.approved").wording["inbox"].subject
        ).replace("((reference))", "BP-1")
    assert inbox.subject == expected
    if language == "en":
        assert words in inbox.subject
    assert mail.outbox[0].extra_headers["Content-Language"] == language


def test_preferences_choose_channels_and_sms_needs_a_phone(
    make_resident: Any, django_capture_on_commit_callbacks: Any, notification_settings: Any
) -> None:
    user = make_resident(phone="+33 6 00 00 00 02")
    preferences_save(
        actor=user, user=user, channels={"applications": ["sms"]}, quiet_start=None, quiet_end=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = send(user)
    assert sorted(m.channel for m in created) == ["inbox", "sms"]
    sms = Message.objects.get(recipient=user, channel=Channel.SMS)
    assert sms.status == Message.Status.DELIVERED  # the sink delivers at once
    files = list(notification_settings.glob("*.json"))
    assert [f.stem for f in files] == [str(sms.uuid)]

    no_phone = make_resident(phone="")
    preferences_save(
        actor=no_phone,
        user=no_phone,
        channels={"applications": ["sms", "email"]},
        quiet_start=None,
        quiet_end=None,
    )
    assert sorted(m.channel for m in send(no_phone, key="k2")) == ["email", "inbox"]
    with pytest.raises(PermissionDenied):
        preferences_save(actor=user, user=no_phone, channels={}, quiet_start=None, quiet_end=None)


def test_quiet_hours_hold_email_until_they_end(
    make_resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_resident()
    now = timezone.localtime()
    start = (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + datetime.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    preferences_save(actor=user, user=user, channels={}, quiet_start=start, quiet_end=end)
    with django_capture_on_commit_callbacks(execute=True):
        send(user)
    email = Message.objects.get(recipient=user, channel=Channel.EMAIL)
    assert email.status == Message.Status.CREATED and mail.outbox == []
    assert email.next_attempt_at > timezone.now() + datetime.timedelta(minutes=100)
    # The inbox is not held back.
    assert Message.objects.get(recipient=user, channel=Channel.INBOX).read_at is None
    # When they end, the sweep sends it.
    result = delivery.deliver([email.pk])
    assert result == {}  # not due yet
    with mock.patch("django.utils.timezone.now", return_value=email.next_attempt_at):
        assert delivery.deliver([email.pk])["sent"] == 1


def test_quiet_hours_may_span_midnight() -> None:
    from ecitizen.notifications.preferences import quiet_until

    tz = timezone.get_current_timezone()
    late = datetime.datetime(2026, 1, 1, 23, 30, tzinfo=tz)
    until = quiet_until(datetime.time(22), datetime.time(7), late)
    assert until == datetime.datetime(2026, 1, 2, 7, 0, tzinfo=tz)
    assert quiet_until(datetime.time(22), datetime.time(7), late.replace(hour=12)) is None
    assert quiet_until(None, datetime.time(7), late) is None


def test_transient_failures_back_off_then_fail_with_the_reason(
    make_resident: Any, settings: Any
) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    user = make_resident()
    email = next(m for m in send(user) if m.channel == Channel.EMAIL)
    broken = mock.patch.object(delivery, "get_connection", side_effect=lambda **kw: BrokenSmtp())
    delays = []
    with broken:
        for attempt in range(1, 4):
            email.refresh_from_db()
            with mock.patch("django.utils.timezone.now", return_value=email.next_attempt_at):
                result = delivery.deliver([email.pk])
            email.refresh_from_db()
            assert email.attempts == attempt
            if attempt < 3:
                assert result["retry"] == 1 and email.status == Message.Status.CREATED
                delays.append((email.next_attempt_at - timezone.now()).total_seconds())
    assert email.status == Message.Status.FAILED
    assert "Connection refused" in email.failed_reason
    # Exponential: the second wait is about twice the first (10 s then 20 s, with jitter).
    assert 1.5 < (delays[1] + 1) / (delays[0] + 1) < 3.5 or delays[1] > delays[0]


class BrokenSmtp:
    def open(self) -> None:
        raise ConnectionRefusedError("Connection refused")

    def close(self) -> None:
        pass


def test_a_refused_recipient_fails_at_once(make_resident: Any) -> None:
    user = make_resident()
    email = next(m for m in send(user) if m.channel == Channel.EMAIL)

    class Refusing:
        def open(self) -> None:
            pass

        def close(self) -> None:
            pass

        def send_messages(self, messages: Any) -> int:
            raise smtplib.SMTPRecipientsRefused({user.email: (550, b"No such user")})

    with mock.patch.object(delivery, "get_connection", side_effect=lambda **kw: Refusing()):
        assert delivery.deliver([email.pk])["failed"] == 1
    email.refresh_from_db()
    assert email.status == Message.Status.FAILED and email.attempts == 1
    assert "No such user" in email.failed_reason


def test_a_leased_message_is_not_claimed_twice(make_resident: Any) -> None:
    user = make_resident()
    email = next(m for m in send(user) if m.channel == Channel.EMAIL)
    assert [m.pk for m in delivery.claim([email.pk])] == [email.pk]
    assert delivery.claim([email.pk]) == []  # leased to the first worker
    assert delivery.sweep_ids() == []
    later = timezone.now() + datetime.timedelta(seconds=10_000)
    assert delivery.sweep_ids(now=later) == [email.pk]  # the worker died: hand it on
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert [m.pk for m in delivery.claim([email.pk])] == [email.pk]


# --- Placeholders and templates --------------------------------------------------------------


def test_placeholder_problems() -> None:
    allowed, required = ("name", "reference", "url"), ("reference",)
    assert (
        placeholders.problems(["Hi ((name)), ((reference))"], allowed=allowed, required=required)
        == []
    )
    unknown = placeholders.problems(["((reference)) ((colour))"], allowed=allowed)
    assert len(unknown) == 1 and "((colour))" in unknown[0]
    missing = placeholders.problems(["Hello ((name))"], allowed=allowed, required=required)
    assert missing == ["The message must include ((reference))."]
    unclosed = placeholders.problems(["((reference)) and ((name"], allowed=allowed)
    assert "double brackets" in unclosed[0]
    assert placeholders.render("Hi ((name)) (((reference)))", {"name": "A", "reference": "R"}) == (
        "Hi A (R)"
    )


def test_template_versions_are_validated_and_used(
    make_resident: Any, make_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = make_staff(StaffRole.Role.PLATFORM_ADMIN)
    with pytest.raises(TemplateProblem) as problem:
        template_save(
            actor=admin,
            event="application.approved",
            channel="email",
            language="fr",
            subject="Bonne nouvelle ((prenom))",
            body="Bonjour",
        )
    assert any("((prenom))" in m for m in problem.value.messages)
    assert any("((reference))" in m for m in problem.value.messages)
    for n in (1, 2):
        template = template_save(
            actor=admin,
            event="application.approved",
            channel="email",
            language="fr",
            subject=f"Bonne nouvelle {n} : ((reference))",
            body="Bonjour ((name)), ((reference)) est acceptée. ((url))",
        )
    assert template.version == 2 and MessageTemplate.objects.count() == 2
    with pytest.raises(PermissionDenied):
        template_save(
            actor=make_resident(),
            event="application.approved",
            channel="email",
            language="fr",
            subject="x",
            body="((reference))",
        )
    user = make_resident(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        send(user)
    assert mail.outbox[0].subject == "Bonne nouvelle 2 : BP-1"
    assert "Bonjour Amara Okafor, BP-1 est acceptée." in mail.outbox[0].body


def test_unsubscribe_switches_off_the_topic_email_only(make_resident: Any) -> None:
    user = make_resident()
    assert unsubscribe_apply(user_id=user.pk, topic="applications")
    assert not unsubscribe_apply(user_id=user.pk, topic="applications")  # already
    assert not unsubscribe_apply(user_id=user.pk, topic="alert_emergency")  # never
    assert Preferences.objects.get(user=user).channels == {"applications": []}
    assert sorted(m.channel for m in send(user)) == ["inbox"]
    with pytest.raises(ValidationError):
        raise ValidationError("x")
