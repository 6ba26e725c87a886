"""Area alerts: two-person approval, fan-out in batches, emergency bypass, the inbox without a
row per resident, public pages, CAP 1.2 (validated with capvalidator) and the Atom feed."""

import datetime
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from capvalidator import check_schema
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.notifications import selectors
from ecitizen.notifications.models import Alert, AlertRead, Channel, Message
from ecitizen.notifications.services import (
    alert_approve,
    alert_cancel,
    alert_create,
    alert_reject,
    preferences_save,
)

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


def test_an_emergency_needs_a_second_person(
    publisher: Any, approver: Any, make_staff: Any, alert_data: Any, settings: Any
) -> None:
    alert = alert_create(actor=publisher, data=alert_data("emergency"))
    assert alert.status == Alert.Status.PENDING_APPROVAL and alert.published_at is None
    assert selectors.public_alerts() == []
    with pytest.raises(PermissionDenied):  # a publisher is not an approver
        alert_approve(actor=make_staff(StaffRole.Role.ALERT_PUBLISHER), alert=alert)
    both = make_staff(StaffRole.Role.ALERT_APPROVER)
    both_alert = alert_create(
        actor=make_staff(StaffRole.Role.PLATFORM_ADMIN), data=alert_data("emergency")
    )
    with pytest.raises(ValidationError):  # the author cannot approve their own
        alert_approve(actor=both_alert.created_by, alert=both_alert)
    alert_approve(actor=approver, alert=alert)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PUBLISHED and alert.approved_by == approver
    assert [a.pk for a in selectors.public_alerts()] == [alert.pk]
    alert_reject(actor=both, alert=both_alert)
    assert Alert.objects.get(pk=both_alert.pk).status == Alert.Status.REJECTED
    # Warnings go out at once; the rule is configurable.
    assert alert_create(actor=publisher, data=alert_data()).status == Alert.Status.PUBLISHED
    settings.NOTIFICATIONS_APPROVAL_SEVERITIES = []
    assert (
        alert_create(actor=publisher, data=alert_data("emergency")).status == Alert.Status.PUBLISHED
    )


def test_only_alert_publishers_publish_and_alerts_are_checked(
    make_resident: Any, publisher: Any, alert_data: Any
) -> None:
    with pytest.raises(PermissionDenied):
        alert_create(actor=make_resident(), data=alert_data())
    data = alert_data(areas=[])
    data.title = {"en": "Only English"}
    with pytest.raises(ValidationError) as error:
        alert_create(actor=publisher, data=data)
    assert set(error.value.message_dict) == {"title", "areas"}


def test_fan_out_in_batches_bypasses_for_emergencies_only(
    make_resident: Any,
    publisher: Any,
    approver: Any,
    alert_data: Any,
    riverside: Any,
    harbour: Any,
    settings: Any,
    smtp_sink: Any,
    notification_settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NOTIFICATIONS_FANOUT_BATCH = 2  # several fan-out tasks for a handful of people
    now = timezone.localtime()
    quiet = {
        "quiet_start": (now - datetime.timedelta(hours=1)).time(),
        "quiet_end": (now + datetime.timedelta(hours=1)).time(),
    }
    plain = make_resident(riverside, phone="+33600000001")
    opted_out = make_resident(riverside, "fr", phone="+33600000002")
    preferences_save(actor=opted_out, user=opted_out, channels={"alert_warning": []}, **quiet)
    no_phone = make_resident(riverside)
    elsewhere = make_resident(harbour, phone="+33600000003")
    with django_capture_on_commit_callbacks(execute=True):
        warning = alert_create(actor=publisher, data=alert_data("warning"))
    sent = Message.objects.filter(alert=warning)
    assert sorted((m.recipient_id, m.channel) for m in sent) == sorted(
        [(plain.pk, "email"), (plain.pk, "sms"), (no_phone.pk, "email")]
    )
    assert {m.status for m in sent} == {Message.Status.SENT, Message.Status.DELIVERED}
    # Rendered once per language, but each resident's own unsubscribe link is put in.
    warning_mails = [m for m in smtp_sink.messages() if m["X-Alert-Identifier"]]
    links = {m["List-Unsubscribe"].strip("<>") for m in warning_mails}
    assert len(warning_mails) == 2 and len(links) == 2
    for mail in warning_mails:
        link = mail["List-Unsubscribe"].strip("<>")
        assert link in mail.get_body(preferencelist=("plain",)).get_content()
        assert link in mail.get_body(preferencelist=("html",)).get_content()

    with django_capture_on_commit_callbacks(execute=True):
        emergency = alert_create(actor=publisher, data=alert_data("emergency"))
        alert_approve(actor=approver, alert=emergency)
    sent = Message.objects.filter(alert=emergency)
    # Every channel each resident has given, despite the opt-out and the quiet hours.
    assert sorted((m.recipient_id, m.channel) for m in sent) == sorted(
        [
            (plain.pk, "email"),
            (plain.pk, "sms"),
            (opted_out.pk, "email"),
            (opted_out.pk, "sms"),
            (no_phone.pk, "email"),
        ]
    )
    assert elsewhere.pk not in {m.recipient_id for m in sent}
    assert not sent.exclude(status__in=["sent", "delivered"]).exists()
    mails = [m for m in smtp_sink.messages() if m["X-Alert-Identifier"] == emergency.identifier]
    assert len(mails) == 3
    by_recipient = {m.recipient.email: m for m in sent.filter(channel=Channel.EMAIL)}
    for mail in mails:  # filled in from one template per language: each is its own message
        assert mail["Message-ID"] == f"<{by_recipient[mail['To']].uuid}@ecitizen.example>"
        assert mail.get_body(preferencelist=("html",)) is not None
    french = next(m for m in mails if m["To"] == opted_out.email)
    assert "Inondation" in french["Subject"] and french["Content-Language"] == "fr"
    assert french["List-Unsubscribe"] is None  # emergencies cannot be unsubscribed from
    sms_ids = {str(m.uuid) for m in sent.filter(channel=Channel.SMS)}
    assert sms_ids <= {path.stem for path in notification_settings.glob("*.json")}
    # The inbox has no message rows for alerts: it reads them at display time.
    assert not Message.objects.filter(alert__isnull=False, channel=Channel.INBOX).exists()


def test_inbox_shows_area_alerts_without_a_row_per_resident(
    make_resident: Any, publisher: Any, alert_data: Any, riverside: Any, harbour: Any
) -> None:
    here = make_resident(riverside)
    there = make_resident(harbour)
    nowhere = make_resident(None)
    alert = alert_create(actor=publisher, data=alert_data())
    everyone = alert_create(
        actor=publisher, data=alert_data("disruption", areas=[], all_areas=True)
    )
    assert AlertRead.objects.count() == 0
    assert [a.pk for a in selectors.inbox_alerts(here)] == [everyone.pk, alert.pk]
    assert [a.pk for a in selectors.inbox_alerts(there)] == [everyone.pk]
    assert [a.pk for a in selectors.inbox_alerts(nowhere)] == [everyone.pk]
    assert selectors.unread_count(here) == 2
    assert selectors.unread_count(there) == selectors.unread_count(nowhere) == 1
    from ecitizen.notifications.services import alert_mark_read

    alert_mark_read(actor=here, alert=alert)
    assert AlertRead.objects.count() == 1  # stored lazily, for this resident only
    assert selectors.unread_count(here) == 1
    assert [a.is_read for a in selectors.inbox_alerts(here)] == [False, True]
    alert_mark_read(actor=here, alert=alert, archived=True)
    assert [a.pk for a in selectors.inbox_alerts(here)] == [everyone.pk]


def test_inbox_alerts_cost_one_query_whatever_the_population(
    make_resident: Any,
    publisher: Any,
    alert_data: Any,
    riverside: Any,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(3):
        alert_create(actor=publisher, data=alert_data())
    resident, neighbour = make_resident(riverside), make_resident(riverside)
    resident = type(resident).objects.select_related("profile").get(pk=resident.pk)
    neighbour = type(neighbour).objects.select_related("profile").get(pk=neighbour.pk)
    with django_assert_num_queries(3):  # the district's alerts, their districts, read state
        assert len(selectors.inbox_alerts(resident)) == 3
    with django_assert_num_queries(1):  # the district's alerts are cached: read state only
        assert len(selectors.inbox_alerts(neighbour)) == 3


def test_the_unread_count_has_only_alerts_in_force(
    publisher: Any, alert_data: Any, make_resident: Any, riverside: Any
) -> None:
    resident = make_resident(riverside)
    soon = timezone.now() + datetime.timedelta(hours=1)
    alert_create(actor=publisher, data=alert_data(starts_at=soon))
    assert selectors.unread_count(resident) == 0  # not started yet
    Alert.objects.update(starts_at=timezone.now() - datetime.timedelta(hours=2))
    assert selectors.unread_count(resident) == 1
    Alert.objects.update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    assert selectors.unread_count(resident) == 0  # over


def test_update_and_cancel_follow_cap(
    publisher: Any, alert_data: Any, make_resident: Any, riverside: Any
) -> None:
    resident = make_resident(riverside)
    original = alert_create(actor=publisher, data=alert_data())
    data = alert_data()
    data.body = {"en": "Worse now.", "fr": "Pire.", "es": "Peor."}
    update = alert_create(
        actor=publisher, data=data, msg_type=Alert.MsgType.UPDATE, references=original
    )
    original.refresh_from_db()
    assert original.replaced_at is not None
    assert [a.pk for a in selectors.inbox_alerts(resident)] == [update.pk]
    assert selectors.unread_count(resident) == 1  # the update, not the alert it replaced
    with pytest.raises(ValidationError):  # already replaced
        alert_cancel(actor=publisher, alert=original)
    cancel = alert_cancel(actor=publisher, alert=update)
    assert cancel.msg_type == Alert.MsgType.CANCEL and cancel.references == update
    assert selectors.inbox_alerts(resident) == [] and selectors.public_alerts() == []
    assert selectors.unread_count(resident) == 0  # nor the cancellation itself
    assert [a.pk for a in selectors.feed_alerts()] == [cancel.pk, update.pk, original.pk]


def _valid_cap(body: bytes) -> ET.Element:
    result = check_schema(body)
    assert result.passed, result.message
    return ET.fromstring(body)  # noqa: S314 (our own document)


def test_cap_documents_are_valid_cap_1_2(
    client: Any, publisher: Any, alert_data: Any, harbour: Any
) -> None:
    original = alert_create(actor=publisher, data=alert_data(areas=[harbour]))
    update = alert_create(
        actor=publisher,
        data=alert_data(areas=[harbour]),
        msg_type=Alert.MsgType.UPDATE,
        references=original,
    )
    cancel = alert_cancel(actor=publisher, alert=update)
    everyone = alert_create(actor=publisher, data=alert_data("advisory", areas=[], all_areas=True))

    response = client.get(f"/alerts/{original.pk}/cap.xml")
    assert response["Content-Type"].startswith("application/cap+xml")
    root = _valid_cap(response.content)
    assert root.findtext(f"{CAP}msgType") == "Alert"
    assert root.findtext(f"{CAP}identifier") == original.identifier
    infos = root.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["en", "fr", "es"]
    assert infos[1].findtext(f"{CAP}headline") == "Inondation"
    assert infos[0].findtext(f"{CAP}severity") == "Severe"
    assert infos[1].find(f"{CAP}area/{CAP}areaDesc").text == "Port"  # type: ignore[union-attr]
    assert infos[0].findtext(f"{CAP}area/{CAP}geocode/{CAP}value") == "harbour"

    update_root = _valid_cap(client.get(f"/alerts/{update.pk}/cap.xml").content)
    assert update_root.findtext(f"{CAP}msgType") == "Update"
    sender, identifier, _sent = update_root.findtext(f"{CAP}references").split(",")  # type: ignore[union-attr]
    assert identifier == original.identifier and sender == "alerts@ecitizen.example"
    cancel_root = _valid_cap(client.get(f"/alerts/{cancel.pk}/cap.xml").content)
    assert cancel_root.findtext(f"{CAP}msgType") == "Cancel"
    assert update.identifier in cancel_root.findtext(f"{CAP}references")  # type: ignore[operator]
    _valid_cap(client.get(f"/alerts/{everyone.pk}/cap.xml").content)

    feed = client.get("/alerts/feed.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)  # noqa: S314
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    for entry in entries:
        cap_links = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel") == "alternate" and link.get("type") == "application/cap+xml"
        ]
        assert len(cap_links) == 1
        path = cap_links[0].get("href").removeprefix("http://testserver")  # type: ignore[union-attr]
        _valid_cap(client.get(path).content)


def test_public_alerts_page_filters_by_district(
    client: Any, publisher: Any, alert_data: Any, riverside: Any, harbour: Any
) -> None:
    alert_create(actor=publisher, data=alert_data())
    expired = alert_create(actor=publisher, data=alert_data("advisory", areas=[harbour]))
    Alert.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    alert_create(actor=publisher, data=alert_data("disruption", areas=[], all_areas=True))
    page = client.get("/alerts/").content.decode()
    assert page.count("usa-alert__heading") == 2
    harbour_page = client.get("/alerts/?area=harbour").content.decode()
    assert "Service disruption" in harbour_page and "Warning: " not in harbour_page
    riverside_page = client.get("/alerts/?area=riverside").content.decode()
    assert riverside_page.count("usa-alert__heading") == 2
    assert 'type="application/atom+xml"' in page
