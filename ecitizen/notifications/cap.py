"""Alerts as OASIS Common Alerting Protocol 1.2 documents, and the Atom feed that lists them
(each entry links to its CAP document with ``rel="alternate" type="application/cap+xml"``),
so existing alerting systems can relay ours."""

import datetime
import xml.etree.ElementTree as ET

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecitizen.core.i18n import LANGUAGE_CODES, tr
from ecitizen.notifications import conf
from ecitizen.notifications.models import Alert
from ecitizen.notifications.rendering import public_url

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_CONTENT_TYPE = "application/cap+xml"

# severity -> (CAP category, urgency, severity, certainty)
CAP_CODES = {
    Alert.Severity.EMERGENCY: ("Safety", "Immediate", "Extreme", "Observed"),
    Alert.Severity.WARNING: ("Safety", "Expected", "Severe", "Likely"),
    Alert.Severity.ADVISORY: ("Other", "Future", "Moderate", "Possible"),
    Alert.Severity.DISRUPTION: ("Infra", "Expected", "Minor", "Observed"),
}
MSG_TYPES = {
    Alert.MsgType.ALERT: "Alert",
    Alert.MsgType.UPDATE: "Update",
    Alert.MsgType.CANCEL: "Cancel",
}


def cap_time(value: datetime.datetime) -> str:
    """CAP dateTime: local time with a numeric offset, no fractions, never "Z"."""
    local = timezone.localtime(value).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "+00:00" if text.endswith("Z") else text


def cap_url(alert: Alert) -> str:
    return public_url(reverse("notifications:alert_cap", args=[alert.pk]))


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def cap_reference(alert: Alert) -> str:
    assert alert.published_at is not None
    return (
        f"{conf.get('NOTIFICATIONS_CAP_SENDER')},{alert.identifier},{cap_time(alert.published_at)}"
    )


def cap_document(alert: Alert) -> bytes:
    """The alert as a CAP 1.2 ``<alert>``, with one ``<info>`` per language."""
    ET.register_namespace("", CAP_NS)
    q = f"{{{CAP_NS}}}"
    root = ET.Element(f"{q}alert")
    _sub(root, f"{q}identifier", alert.identifier)
    _sub(root, f"{q}sender", conf.get("NOTIFICATIONS_CAP_SENDER"))
    _sub(root, f"{q}sent", cap_time(alert.published_at or alert.created_at))
    _sub(root, f"{q}status", "Actual")
    _sub(root, f"{q}msgType", MSG_TYPES[alert.msg_type])  # type: ignore[index]
    _sub(root, f"{q}scope", "Public")
    if alert.references_id:
        _sub(root, f"{q}references", cap_reference(alert.references))  # type: ignore[arg-type]
    category, urgency, severity, certainty = CAP_CODES[alert.severity]  # type: ignore[index]
    if alert.msg_type == Alert.MsgType.CANCEL:
        urgency, certainty = "Past", "Observed"
    areas = list(alert.areas.all())
    web = public_url(reverse("notifications:alert_detail", args=[alert.pk]))
    for language in LANGUAGE_CODES:
        if not (alert.title.get(language) and alert.body.get(language)):
            continue
        with translation.override(language):
            info = _sub(root, f"{q}info")
            _sub(info, f"{q}language", language)
            _sub(info, f"{q}category", category)
            _sub(info, f"{q}event", str(Alert.Severity(alert.severity).label))
            _sub(info, f"{q}urgency", urgency)
            _sub(info, f"{q}severity", severity)
            _sub(info, f"{q}certainty", certainty)
            _sub(info, f"{q}effective", cap_time(alert.starts_at))
            _sub(info, f"{q}expires", cap_time(alert.expires_at))
            _sub(info, f"{q}senderName", settings.PLATFORM_NAME)
            _sub(info, f"{q}headline", tr(alert.title, language)[:160])
            _sub(info, f"{q}description", tr(alert.body, language))
            instruction = alert.instructions.get(language) or ""
            if instruction:
                _sub(info, f"{q}instruction", instruction)
            _sub(info, f"{q}web", web)
            if alert.all_areas:
                area = _sub(info, f"{q}area")
                _sub(area, f"{q}areaDesc", _("Every district"))
            for district in areas:
                area = _sub(info, f"{q}area")
                _sub(area, f"{q}areaDesc", district.localized_name(language))
                geocode = _sub(area, f"{q}geocode")
                _sub(geocode, f"{q}valueName", "ecitizen:district")
                _sub(geocode, f"{q}value", district.code)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom_feed(alerts: list[Alert], language: str) -> bytes:
    ET.register_namespace("", ATOM_NS)
    q = f"{{{ATOM_NS}}}"
    self_url = public_url(reverse("notifications:alerts_feed"))
    with translation.override(language):
        feed = ET.Element(f"{q}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
        _sub(feed, f"{q}id", self_url)
        _sub(feed, f"{q}title", _("%(platform)s alerts") % {"platform": settings.PLATFORM_NAME})
        updated = max((a.published_at for a in alerts if a.published_at), default=None)
        _sub(feed, f"{q}updated", (updated or timezone.now()).isoformat())
        ET.SubElement(feed, f"{q}link", {"rel": "self", "href": self_url})
        ET.SubElement(
            feed,
            f"{q}link",
            {
                "rel": "alternate",
                "type": "text/html",
                "href": public_url(reverse("notifications:alerts")),
            },
        )
        author = _sub(feed, f"{q}author")
        _sub(author, f"{q}name", settings.PLATFORM_NAME)
        for alert in alerts:
            entry = _sub(feed, f"{q}entry")
            _sub(entry, f"{q}id", f"urn:ecitizen:alert:{alert.identifier}")
            prefix = {
                Alert.MsgType.UPDATE: _("Update: "),
                Alert.MsgType.CANCEL: _("Cancelled: "),
            }.get(alert.msg_type, "")  # type: ignore[call-overload]
            _sub(entry, f"{q}title", f"{prefix}{tr(alert.title, language)}")
            assert alert.published_at is not None
            _sub(entry, f"{q}published", alert.published_at.isoformat())
            _sub(entry, f"{q}updated", alert.published_at.isoformat())
            _sub(entry, f"{q}summary", tr(alert.body, language))
            _sub(entry, f"{q}category", None).set("term", alert.severity)
            ET.SubElement(
                entry,
                f"{q}link",
                {"rel": "alternate", "type": CAP_CONTENT_TYPE, "href": cap_url(alert)},
            )
            ET.SubElement(
                entry,
                f"{q}link",
                {
                    "rel": "alternate",
                    "type": "text/html",
                    "href": public_url(reverse("notifications:alert_detail", args=[alert.pk])),
                },
            )
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
