"""The words of a message: templates (newest staff version, else the built-in translated
wording) filled with ``((placeholders))``, and the text of area alerts in each language."""

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ecitizen.core.i18n import tr
from ecitizen.notifications import placeholders
from ecitizen.notifications.events import event_for
from ecitizen.notifications.models import Alert, Channel, Message, MessageTemplate

UNSUBSCRIBE_SALT = "ecitizen.notifications.unsubscribe"


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def current_template(event: str, channel: str, language: str) -> MessageTemplate | None:
    return (
        MessageTemplate.objects.filter(event=event, channel=channel, language=language)
        .order_by("-version")
        .first()
    )


def builtin_wording(event: str, channel: str, language: str) -> tuple[str, str]:
    wording = event_for(event).wording[channel]
    with translation.override(language):
        return str(wording.subject), str(wording.body)


def wording(event: str, channel: str, language: str) -> tuple[str, str]:
    template = current_template(event, channel, language)
    if template is not None:
        return template.subject, template.body
    return builtin_wording(event, channel, language)


def render_event(
    event: str, channel: str, language: str, values: dict[str, Any]
) -> tuple[str, str]:
    subject, body = wording(event, channel, language)
    return placeholders.render(subject, values), placeholders.render(body, values)


# --- Alerts -------------------------------------------------------------------------------


def alert_severity_label(alert: Alert, language: str) -> str:
    with translation.override(language):
        return str(Alert.Severity(alert.severity).label)


def alert_text(alert: Alert, language: str, *, short: bool = False) -> tuple[str, str]:
    """(subject, body) of an alert in ``language`` (falling back to English)."""
    with translation.override(language):
        severity = str(Alert.Severity(alert.severity).label)
        title = tr(alert.title, language)
        if alert.msg_type == Alert.MsgType.CANCEL:
            subject = _("Cancelled: %(title)s") % {"title": title}
        elif alert.msg_type == Alert.MsgType.UPDATE:
            subject = _("Update: %(severity)s: %(title)s") % {"severity": severity, "title": title}
        else:
            subject = f"{severity}: {title}"
        url = public_url(reverse("notifications:alert_detail", args=[alert.pk]))
        if short:
            instructions = tr(alert.instructions, language)
            text = " ".join(p for p in [subject + ".", instructions] if p)
            return subject, f"{text} {url}"
        lines = [tr(alert.body, language)]
        instructions = tr(alert.instructions, language)
        if instructions:
            lines += ["", _("What to do:"), instructions]
        until = formats.date_format(timezone.localtime(alert.expires_at), "DATETIME_FORMAT")
        lines += ["", _("Until %(time)s.") % {"time": until}, "", _("More: %(url)s") % {"url": url}]
        return subject, "\n".join(lines)


@lru_cache(maxsize=64)
def _alert_text_cached(alert_id: int, language: str, short: bool, version: str) -> tuple[str, str]:
    alert = Alert.objects.get(pk=alert_id)
    return alert_text(alert, language, short=short)


# --- Messages -----------------------------------------------------------------------------


def message_text(message: Message) -> tuple[str, str]:
    """(subject, body) of a message as the resident reads it."""
    if message.alert_id is not None:
        alert = message.alert
        assert alert is not None
        return _alert_text_cached(
            alert.pk, message.language, message.channel == Channel.SMS, alert.created_at.isoformat()
        )
    return message.subject, message.body


UNSUBSCRIBE_SLOT = "\x00unsubscribe\x00"


@lru_cache(maxsize=64)
def _alert_email_cached(
    alert_id: int, language: str, topic: str, with_unsubscribe: bool, version: str
) -> tuple[str, str, str]:
    """An alert's email (subject, text, HTML) in one language, rendered once per worker for
    all its recipients; the unsubscribe URL is put in per recipient."""
    alert = Alert.objects.get(pk=alert_id)
    subject, body = alert_text(alert, language)
    probe = Message(language=language, topic=topic)
    unsubscribe = UNSUBSCRIBE_SLOT if with_unsubscribe else None
    text = body + "\n" + email_footer(probe, unsubscribe)
    return subject, text, email_html(probe, subject, body, unsubscribe)


def email_parts(message: Message, unsubscribe: str | None) -> tuple[str, str, str]:
    """(subject, text, HTML) of an email message."""
    if message.alert_id is not None:
        alert = message.alert
        assert alert is not None
        subject, text, html = _alert_email_cached(
            alert.pk,
            message.language,
            message.topic,
            unsubscribe is not None,
            alert.created_at.isoformat(),
        )
        if unsubscribe:
            text = text.replace(UNSUBSCRIBE_SLOT, unsubscribe)
            html = html.replace(UNSUBSCRIBE_SLOT, unsubscribe)
        return subject, text, html
    subject, body = message.subject, message.body
    return (
        subject,
        body + "\n" + email_footer(message, unsubscribe),
        email_html(message, subject, body, unsubscribe),
    )


def unsubscribe_token(user_id: int, topic: str) -> str:
    return signing.dumps({"u": user_id, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return int(data["u"]), str(data["t"])


def unsubscribe_url(message: Message) -> str:
    token = unsubscribe_token(message.recipient_id, message.topic)
    return public_url(reverse("notifications:unsubscribe", args=[token]))


def email_html(message: Message, subject: str, body: str, unsubscribe: str | None) -> str:
    with translation.override(message.language):
        return render_to_string(
            "notifications/email/message.html",
            {
                "subject": subject,
                "body": body,
                "unsubscribe_url": unsubscribe,
                "platform": settings.PLATFORM_NAME,
                "language": message.language,
                "emergency": message.topic == "alert_emergency",
            },
        )


def email_footer(message: Message, unsubscribe: str | None) -> str:
    with translation.override(message.language):
        lines = ["", "--", settings.PLATFORM_NAME]
        if unsubscribe:
            lines.append(
                _("Stop these emails: %(url)s") % {"url": unsubscribe}
                + "\n"
                + _("Choose how we contact you: %(url)s")
                % {"url": public_url(reverse("notifications:preferences"))}
            )
        return "\n".join(lines)
