"""Pages: the inbox (header count, read, archive, constant queries), preferences, staff
alert publishing and approval, templates with preview, the development sink, the PWA, and
the demo seed."""

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.tests.fixtures import staff_login
from ecitizen.notifications.models import Alert, Channel, Message, Preferences
from ecitizen.notifications.services import alert_create, notification_send

VALUES = {"name": "A", "reference": "BP-7", "service": "Permit", "url": "http://testserver/x"}


def tell(user: Any, n: int) -> None:
    for i in range(n):
        notification_send(
            actor=None,
            recipient=user,
            event="application.submitted",
            values={**VALUES, "reference": f"BP-{i}"},
            idempotency_key=f"v{user.pk}-{i}",
        )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_inbox_header_count_read_and_archive(
    make_resident: Any, riverside: Any, publisher: Any, alert_data: Any
) -> None:
    user = make_resident(riverside)
    tell(user, 2)
    alert = alert_create(actor=publisher, data=alert_data())
    client = signed_in(user)
    home = client.get("/").content.decode()
    assert re.search(r'Inbox <span class="usa-tag">3<span class="usa-sr-only"> unread', home)
    page = client.get("/inbox/").content.decode()
    assert "Flooding" in page and "BP-0" in page and "BP-1" in page
    message = Message.objects.filter(recipient=user, channel=Channel.INBOX).first()
    opened = client.get(f"/inbox/{message.pk}/")  # read now: this page's header counts 2
    assert re.search(r'Inbox <span class="usa-tag">2<', opened.content.decode())
    assert client.get(f"/inbox/alerts/{alert.pk}/").status_code == 200
    assert 'class="usa-tag">1<' in client.get("/").content.decode()
    assert client.post(f"/inbox/{message.pk}/archive/").status_code == 302
    archived = client.get("/inbox/?view=archived").content.decode()
    assert message.subject in archived
    # Someone else's message is not found.
    other = signed_in(make_resident(riverside))
    assert other.get(f"/inbox/{message.pk}/").status_code == 404
    assert other.post(f"/inbox/{message.pk}/archive/").status_code == 404
    assert client.post(f"/inbox/alerts/{alert.pk}/dismiss/").status_code == 302
    assert "Flooding" not in client.get("/inbox/").content.decode()


def test_inbox_queries_do_not_grow_with_messages(
    make_resident: Any, riverside: Any, django_assert_num_queries: Any
) -> None:
    user = make_resident(riverside)
    client = signed_in(user)
    tell(user, 3)
    client.get("/inbox/")  # warm the session
    # the session with its person, profile and header count (a resident: no staff-role
    # query), the page of messages; the district's alerts (none) come from the process's
    # cache; no count of all messages.
    with django_assert_num_queries(2):
        client.get("/inbox/")
    tell(user, 30)
    cache.clear()
    client.get("/inbox/")
    with django_assert_num_queries(2):
        response = client.get("/inbox/")
    page = response.content.decode()
    assert page.count('class="ec-card margin-bottom-1"') == 20 and ">Next<" in page
    older = client.get("/inbox/?page=2").content.decode()
    assert older.count('class="ec-card margin-bottom-1"') == 10 and ">Previous<" in older


def test_the_header_count_is_exact_at_once_and_costs_no_query_of_its_own(
    make_resident: Any, riverside: Any, django_assert_num_queries: Any
) -> None:
    user = make_resident(riverside)
    tell(user, 1)
    client = signed_in(user)
    badge = re.compile(r'Inbox <span class="usa-tag">(\d+)<')
    assert badge.findall(client.get("/me/notifications/").content.decode()) == ["1"]
    with django_assert_num_queries(2):  # the session with its person and count; preferences
        client.get("/me/notifications/")
    tell(user, 3)  # another process telling the resident needs no cache to be forgotten
    assert badge.findall(client.get("/me/notifications/").content.decode()) == ["3"]


def test_preferences_page_saves_choices(make_resident: Any) -> None:
    user = make_resident(phone="+33600000009")
    client = signed_in(user)
    page = client.get("/me/notifications/").content.decode()
    assert "Emergency alerts" in page and "You cannot switch these off" in page
    response = client.post(
        "/me/notifications/",
        {
            "topic_applications": ["sms"],
            "topic_payments": ["email", "sms"],
            "quiet_start": "22:00",
            "quiet_end": "",
        },
    )
    assert response.status_code == 200  # both ends of quiet hours, or neither
    assert 'href="#id_quiet_end"' in response.content.decode()
    response = client.post(
        "/me/notifications/",
        {"topic_applications": ["sms"], "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=user)
    assert prefs.channels["applications"] == ["sms"] and prefs.channels["payments"] == []
    assert prefs.quiet_start.hour == 22 and "alert_emergency" not in prefs.channels


def test_staff_publish_and_a_second_person_approves(
    make_staff: Any, riverside: Any, make_resident: Any
) -> None:
    publisher = make_staff(StaffRole.Role.ALERT_PUBLISHER)
    approver = make_staff(StaffRole.Role.ALERT_APPROVER)
    resident = make_resident(riverside)
    assert signed_in(resident).get("/staff/alerts/").status_code == 404
    client = Client()
    staff_login(client, publisher)
    assert client.get("/staff/alerts/new/").status_code == 200
    form = {
        "severity": "emergency",
        "areas": [riverside.pk],
        "expires_at": "2099-01-01T10:00",
        "title_en": "Gas leak",
        "title_fr": "Fuite de gaz",
        "title_es": "Fuga de gas",
        "body_en": "A gas main has burst.",
        "body_fr": "Une conduite a cédé.",
        "body_es": "Una tubería ha reventado.",
    }
    missing = client.post("/staff/alerts/new/", {**form, "title_es": ""})
    assert missing.status_code == 200 and 'href="#id_title_es"' in missing.content.decode()
    response = client.post("/staff/alerts/new/", form)
    alert = Alert.objects.get()
    assert response.status_code == 302 and alert.status == Alert.Status.PENDING_APPROVAL
    page = client.get(f"/staff/alerts/{alert.pk}/").content.decode()
    assert "Approve and publish" not in page  # not by the author
    other = Client()
    staff_login(other, approver)
    assert "Approve and publish" in other.get(f"/staff/alerts/{alert.pk}/").content.decode()
    other.post(f"/staff/alerts/{alert.pk}/decide/", {"decision": "approve"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PUBLISHED and alert.approved_by == approver
    assert "Gas leak" in Client().get("/alerts/").content.decode()
    detail = client.get(f"/staff/alerts/{alert.pk}/").content.decode()
    assert f'data-live-url="/staff/alerts/{alert.pk}/figures/"' in detail
    figures = client.get(f"/staff/alerts/{alert.pk}/figures/").content.decode()
    assert "<table" in figures and "Messages for this alert by channel and status" in figures
    assert signed_in(resident).get(f"/staff/alerts/{alert.pk}/figures/").status_code == 404
    # Cancel it: the public page is empty again, the feed has the cancellation.
    assert client.post(f"/staff/alerts/{alert.pk}/cancel/", {"note": ""}).status_code == 302
    assert "Gas leak" not in Client().get("/alerts/").content.decode()
    assert Alert.objects.filter(msg_type="cancel", references=alert).exists()


def test_templates_page_previews_and_saves_versions(make_staff: Any) -> None:
    admin = make_staff(StaffRole.Role.PLATFORM_ADMIN)
    client = Client()
    staff_login(client, admin)
    assert "Application approved" in client.get("/staff/notifications/templates/").content.decode()
    url = "/staff/notifications/templates/application.approved/email/fr/"
    page = client.get(url).content.decode()
    assert "BP-2026-000123" in page  # preview with sample data
    bad = client.post(url, {"subject": "((nope))", "body": "Bonjour", "action": "save"})
    assert bad.status_code == 200 and "((nope))" in bad.content.decode()
    preview = client.post(
        url, {"subject": "Dossier ((reference))", "body": "((name)) ok", "action": "preview"}
    )
    assert "Dossier BP-2026-000123" in preview.content.decode()
    saved = client.post(
        url, {"subject": "Dossier ((reference))", "body": "((name)) ok", "action": "save"}
    )
    assert saved.status_code == 302
    assert "Version 1" in client.get(url).content.decode()


def test_dev_sink_page_is_staff_only_and_off_in_production(
    make_staff: Any, make_resident: Any, settings: Any, tmp_path: Any
) -> None:
    from ecitizen.notifications.sms import SinkSmsProvider

    settings.NOTIFICATIONS_MAIL_SINK_DIR = tmp_path / "mail"
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "abc.eml").write_bytes(
        b"From: a@x\r\nTo: b@x\r\nSubject: Hello sink\r\n\r\nBody text\r\n"
    )
    SinkSmsProvider().send(to="+33600000000", body="Text in the sink", reference="r1")
    settings.NOTIFICATIONS_DEV_SINK_PAGE = True
    officer = make_staff(StaffRole.Role.CASE_OFFICER)
    client = Client()
    staff_login(client, officer)
    page = client.get("/staff/notifications/sink/").content.decode()
    assert "Hello sink" in page and "Text in the sink" in page
    assert "Body text" in client.get("/staff/notifications/sink/mail/abc/").content.decode()
    assert signed_in(make_resident()).get("/staff/notifications/sink/").status_code == 404
    settings.NOTIFICATIONS_DEV_SINK_PAGE = False
    assert client.get("/staff/notifications/sink/").status_code == 404


def test_manifest_service_worker_and_offline_pages(client: Client) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["display"] == "standalone" and data["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/"
    assert "/offline/applications/" in worker.content.decode()
    assert client.get("/offline/").status_code == 200
    shell = client.get("/offline/applications/").content.decode()
    assert "My applications" in shell
    home = client.get("/").content.decode()
    assert 'rel="manifest"' in home and "js/pwa.js" in home


@pytest.mark.django_db
def test_demo_seed_is_idempotent(django_capture_on_commit_callbacks: Any) -> None:
    from ecitizen.core.demo import seed_accounts, seed_reference_data
    from ecitizen.notifications import demo, selectors

    seed_reference_data()
    seed_accounts()
    demo.seed()
    demo.seed()
    assert Alert.objects.count() == 3
    assert [a.severity for a in selectors.public_alerts()] == ["disruption", "emergency"]
    resident = type(publisher_user := Alert.objects.first().created_by).objects.get(
        email="resident@demo.ecitizen.example"
    )
    assert publisher_user is not None
    assert Message.objects.filter(recipient=resident, channel=Channel.INBOX).count() == 3
    assert len(selectors.inbox_alerts(resident)) == 2  # Riverside: emergency + disruption


def test_a_new_alert_shows_at_once_though_district_alerts_are_cached(
    make_resident: Any,
    riverside: Any,
    publisher: Any,
    alert_data: Any,
    django_assert_num_queries: Any,
) -> None:
    from ecitizen.notifications.services import alert_create

    user = make_resident(riverside)
    client = signed_in(user)
    assert "Flooding" not in client.get("/inbox/").content.decode()  # district cached: none
    alert = alert_create(actor=publisher, data=alert_data())  # a warning: no approval
    page = client.get("/inbox/").content.decode()
    assert "Flooding" in page and f"/inbox/alerts/{alert.pk}/" in page
    # With alerts in the district: one more query, the resident's read state.
    with django_assert_num_queries(3):
        client.get("/inbox/")
    assert client.post(f"/inbox/alerts/{alert.pk}/dismiss/").status_code == 302
    assert "Flooding" not in client.get("/inbox/").content.decode()
