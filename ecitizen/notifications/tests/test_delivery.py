"""Email delivery on a server that offers PIPELINING (RFC 2920): each message's content goes
with the next message's envelope, and is still recorded as sent before the next content is
handed over; refusals, retries and a lost connection are handled per message."""

import datetime
import re
import smtplib
from typing import Any
from unittest import mock

import pytest
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone

from ecitizen.notifications import delivery
from ecitizen.notifications.models import Alert, Channel, Message


def _email(user: Any, to: str, body: str = "Hello.", **kw: Any) -> Message:
    return Message.objects.create(
        recipient=user,
        channel=Channel.EMAIL,
        topic="applications",
        event="application.approved",
        subject=f"About {to}",
        body=body,
        to=to,
        next_attempt_at=timezone.now(),
        **kw,
    )


def _ids(sink: Any) -> list[str]:
    return [m["Message-ID"] for m in sink.messages()]


def _no_sendmail() -> Any:
    """Fail if the one-by-one path (smtplib's sendmail) is used instead of pipelining."""
    return mock.patch.object(smtplib.SMTP, "sendmail", side_effect=AssertionError("sendmail"))


def test_pipelined_messages_arrive_whole_and_once(
    make_resident: Any, pipelining_sink: Any, riverside: Any, alert_data: Any, publisher: Any
) -> None:
    from ecitizen.notifications.services import alert_create, alert_fanout_batch

    user = make_resident(riverside)
    dotted = _email(user, "a@example.org", body="Line one.\n.hidden line\n..two dots\nEnd.")
    plain = _email(user, "b@example.org")
    alert = alert_create(actor=publisher, data=alert_data(severity="warning"))
    due, _ = alert_fanout_batch(alert_id=alert.pk, start=0, end=10**9)
    assert len(due) == 1
    with _no_sendmail():
        result = delivery.deliver([dotted.pk, plain.pk, *due])
    assert result["sent"] == 3
    assert set(Message.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True)) == {
        "sent"
    }
    received = {m["To"]: m for m in pipelining_sink.messages()}
    assert len(pipelining_sink.messages()) == 3
    text = received["a@example.org"].get_body(preferencelist=("plain",)).get_content()
    text = text.replace("\r\n", "\n")
    assert ".hidden line\n..two dots\n" in text  # dot-stuffing undone by the server
    warning = received[user.email]
    assert warning["X-Alert-Identifier"] == alert.identifier
    assert warning["Message-ID"] == delivery.message_id_header(Message.objects.get(pk=due[0]))
    assert warning["List-Unsubscribe"]  # a warning can be switched off
    assert warning.get_content_type() == "multipart/alternative"


def test_refusals_fail_or_wait_and_the_others_still_go(
    make_resident: Any, pipelining_sink: Any, settings: Any
) -> None:
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    user = make_resident()
    first = _email(user, "first@example.org")
    refused = _email(user, "refuse@example.org")
    later = _email(user, "later@example.org")
    last = _email(user, "last@example.org")
    with _no_sendmail():
        result = delivery.deliver([first.pk, refused.pk, later.pk, last.pk])
    assert (result["sent"], result["failed"], result["retry"]) == (2, 1, 1)
    for message in (first, refused, later, last):
        message.refresh_from_db()
    assert first.status == last.status == Message.Status.SENT
    assert refused.status == Message.Status.FAILED and "No such user" in refused.failed_reason
    assert later.status == Message.Status.CREATED and later.attempts == 1
    assert later.next_attempt_at > timezone.now() and "451" in later.failed_reason
    assert sorted(m["To"] for m in pipelining_sink.messages()) == [
        "first@example.org",
        "last@example.org",
    ]


def test_a_lost_connection_leaves_one_message_in_doubt_and_releases_the_rest(
    make_resident: Any, pipelining_sink: Any
) -> None:
    user = make_resident()
    before = [_email(user, f"before{i}@example.org") for i in range(3)]
    doubt = _email(user, "hangup@example.org")
    after = [_email(user, f"after{i}@example.org") for i in range(3)]
    with _no_sendmail():
        result = delivery.deliver([m.pk for m in [*before, doubt, *after]])
    assert result["sent"] == 3 and result["retry"] == 1 and result["released"] == 3
    states = {m.pk: m for m in Message.objects.all()}
    assert all(states[m.pk].status == Message.Status.SENT for m in before)
    # Handed over but not answered: retried later, the attempt counted.
    assert states[doubt.pk].status == Message.Status.CREATED and states[doubt.pk].attempts == 1
    # Never handed over: due again at once, no attempt counted.
    for message in after:
        assert states[message.pk].status == Message.Status.CREATED
        assert states[message.pk].attempts == 0
        assert states[message.pk].next_attempt_at <= timezone.now()
    assert len(pipelining_sink.messages()) == 3
    # The next task sends the released ones (and the one in doubt once it is due).
    with mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + datetime.timedelta(hours=1),
    ):
        assert delivery.deliver([m.pk for m in after])["sent"] == 3


def test_without_pipelining_messages_go_one_by_one(make_resident: Any, smtp_sink: Any) -> None:
    user = make_resident()
    messages = [_email(user, f"r{i}@example.org") for i in range(3)]
    pipelined = mock.patch.object(
        delivery.MailSession, "_send_pipelined", side_effect=AssertionError("pipelined")
    )
    with pipelined:
        assert delivery.deliver([m.pk for m in messages])["sent"] == 3
    assert sorted(m["To"] for m in smtp_sink.messages()) == [f"r{i}@example.org" for i in range(3)]


def test_addresses_are_checked_and_only_plain_ones_skip_the_parser() -> None:
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert delivery.addr_spec(backend, "amara.okafor+x@mail.example.org") == (
        "amara.okafor+x@mail.example.org"
    )
    assert delivery.addr_spec(backend, "eCitizen <no-reply@ecitizen.example>") == (
        "no-reply@ecitizen.example"
    )
    assert delivery.addr_spec(backend, "lucia@bücher.example") == "lucia@xn--bcher-kva.example"
    for bad in ["a@example.org\r\nRCPT TO:<b@example.org>", "a@example.org>", ".a@example.org"]:
        with pytest.raises(ValueError):
            delivery.addr_spec(backend, bad)


def test_hand_written_sql_names_real_columns() -> None:
    columns = {f.column for f in Message._meta.concrete_fields}
    for sql in (delivery._SENT_SQL, delivery._SENT_SQL_ASYNC, delivery._CLAIM_SQL):
        assert re.search(rf"UPDATE\s+{Message._meta.db_table}\s", sql)
        named = set(re.findall(r"\b([a-z_]+) (?:=|<|IN\b)", sql)) - {"id", "WHERE"}
        assert named and named <= columns, named - columns


@pytest.mark.django_db(transaction=True)
def test_sent_marks_can_commit_asynchronously_on_postgresql_and_only_themselves(
    make_resident: Any, riverside: Any, settings: Any
) -> None:
    """With NOTIFICATIONS_ASYNC_SENT_MARKS each "sent" mark is its own transaction with
    synchronous_commit off (it does not wait for the WAL flush); the connection's other
    transactions keep the server's setting. Off (the default): the plain statement."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg

    user = make_resident(riverside)
    messages = [_email(user, f"r{i}@example.org", status=Message.Status.SENDING) for i in range(4)]
    prepared: list[str] = []
    execute = psycopg.Cursor.execute

    def spy(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        if kw.get("prepare"):
            prepared.append(query)
        return execute(self, query, params, **kw)

    def show() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")  # whatever the test cluster's default
    settings.NOTIFICATIONS_ASYNC_SENT_MARKS = True  # opt-in
    try:
        with mock.patch.object(psycopg.Cursor, "execute", spy):
            delivery._mark_sent(messages[0], "smtp")  # autocommit: its own transaction
            with transaction.atomic():  # a caller's transaction: the caller's commit decides
                delivery._mark_sent(messages[1], "smtp")
                assert show() == "on"
            settings.NOTIFICATIONS_ASYNC_SENT_MARKS = False
            delivery._mark_sent(messages[2], "smtp")
        assert prepared == [delivery._SENT_SQL_ASYNC, delivery._SENT_SQL, delivery._SENT_SQL]
        assert show() == "on"  # nothing leaked into the session
        # The setting holds for the rest of the mark's own transaction, which its commit reads.
        with transaction.atomic():
            with connection.cursor() as cursor:
                now = timezone.now()
                cursor.execute(
                    delivery._SENT_SQL_ASYNC,
                    ["sent", now, None, "smtp", "", messages[3].pk, "sending"],
                )
            assert show() == "off"
        assert show() == "on"
        assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


@pytest.mark.parametrize("severity", ["emergency", "warning"])
def test_alert_emails_are_filled_in_from_one_template(
    make_resident: Any,
    riverside: Any,
    alert_data: Any,
    publisher: Any,
    severity: str,
    settings: Any,
) -> None:
    from ecitizen.notifications.services import alert_create, alert_fanout_batch

    settings.NOTIFICATIONS_APPROVAL_SEVERITIES = []
    residents = [make_resident(riverside, language=lang) for lang in ("en", "fr", "fr")]
    alert = alert_create(actor=publisher, data=alert_data(severity=severity))
    alert_fanout_batch(alert_id=alert.pk, start=0, end=10**9)
    messages = list(Message.objects.filter(alert=alert, channel=Channel.EMAIL).order_by("pk"))
    assert len(messages) == 3
    for message in messages:
        message.alert = Alert.objects.get(pk=alert.pk)
        raw, fast = delivery.wire_bytes(message)
        assert fast
        assert f"To: {message.to}".encode() in raw
        assert delivery.message_id_header(message).encode() in raw
        others = [r.email for r in residents if r.email != message.to]
        assert not any(o.encode() in raw for o in others)
        if severity == "emergency":
            assert b"List-Unsubscribe" not in raw
        else:
            from ecitizen.notifications import rendering

            assert rendering.unsubscribe_url(message).encode() in raw
