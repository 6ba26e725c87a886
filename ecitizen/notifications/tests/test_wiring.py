"""The seams: application status changes (in the caller's transaction), permit expiry
reminders, and the sweep command."""

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ecitizen.applications.models import IssuedPermit
from ecitizen.applications.notify import KINDS, application_status_changed
from ecitizen.applications.tests.factories import complete_draft, make_service
from ecitizen.notifications.models import Channel, Message


@pytest.fixture
def application(make_resident: Any, riverside: Any) -> Any:
    return complete_draft(make_resident(riverside), make_service())


def test_every_kind_writes_messages_once(application: Any) -> None:
    for kind in KINDS:
        if kind == "payment_receipt":
            continue  # needs a payment: see test_channels
        application_status_changed(application.pk, kind)
        application_status_changed(application.pk, kind)
    inbox = Message.objects.filter(recipient=application.applicant, channel=Channel.INBOX)
    assert inbox.count() == len(KINDS) - 1
    assert all(application.reference in m.subject for m in inbox)
    with pytest.raises(ValueError):
        application_status_changed(application.pk, "exploded")


def test_messages_roll_back_with_the_status_change(application: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        application_status_changed(application.pk, "approved")
        raise RuntimeError("the decision failed to save")
    assert not Message.objects.exists()  # the outbox is part of the same transaction


def test_permit_expiry_reminders_once_per_threshold(application: Any) -> None:
    today = timezone.localdate()
    permit = IssuedPermit.objects.create(
        application=application,
        number="BP-TEST-1",
        facts={},
        jws="x",
        key_id="k",
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=20),
    )
    out = StringIO()
    call_command("send_permit_expiry_reminders", stdout=out)
    call_command("send_permit_expiry_reminders", stdout=out)
    reminders = Message.objects.filter(event="permit.expiry_reminder", channel=Channel.INBOX)
    assert reminders.count() == 1 and "BP-TEST-1" in reminders.get().subject
    IssuedPermit.objects.filter(pk=permit.pk).update(valid_until=today + datetime.timedelta(days=5))
    call_command("send_permit_expiry_reminders", stdout=out)
    assert reminders.count() == 2  # the 7-day reminder
    assert "1 reminder messages written" not in out.getvalue().split("\n")[1]


def test_sweep_requeues_lost_messages(application: Any, settings: Any) -> None:
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 0
    application_status_changed(application.pk, "approved")  # no commit: its task never ran
    email = Message.objects.get(channel=Channel.EMAIL)
    assert email.status == Message.Status.CREATED
    out = StringIO()
    call_command("notifications_sweep", stdout=out)  # immediate backend: delivered now
    email.refresh_from_db()
    assert email.status == Message.Status.SENT and "1 messages re-queued" in out.getvalue()
