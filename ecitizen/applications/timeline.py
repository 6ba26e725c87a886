"""An application's timeline as the resident reads it: one plain-language line per event."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ecitizen.applications.models import Application, ApplicationEvent

# Event kinds (``ApplicationEvent.kind``) as shown to residents. Case work adds its kinds here.
EVENT_LABELS = {
    "started": _("Application started"),
    "submitted": _("Application submitted"),
    "payment_requested": _("Application sent: waiting for payment"),
    "paid": _("Payment received"),
    "info_requested": _("We asked you for more information"),
    "info_provided": _("You sent more information"),
    "assigned": _("A case officer is working on your application"),
    "second_approval_requested": _("A second officer is checking the decision"),
    "approved": _("Application approved"),
    "rejected": _("Application rejected"),
    "issued": _("Permit issued"),
    "revoked": _("Permit revoked"),
    "withdrawn": _("Application withdrawn"),
    "expired": _("Draft deleted because it was not sent in time"),
    "draft_reminder_sent": _("We reminded you to finish your draft"),
    "refunded": _("Fee refunded"),
}
ON_BEHALF_LABELS = {
    "started": _("Started on your behalf by an assisted-service agent"),
    "submitted": _("Submitted on your behalf by an assisted-service agent"),
    "payment_requested": _(
        "Submitted on your behalf by an assisted-service agent: waiting for payment"
    ),
    "withdrawn": _("Withdrawn on your behalf by an assisted-service agent"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    label: str
    message: str
    on_behalf: bool


def entry_for(event: ApplicationEvent, application: Application) -> TimelineEntry:
    on_behalf = bool(event.on_behalf_of_id) and event.actor_id != application.applicant_id
    label = (ON_BEHALF_LABELS.get(event.kind) if on_behalf else None) or EVENT_LABELS.get(
        event.kind, _("Update on your application")
    )
    return TimelineEntry(
        at=event.created_at, label=str(label), message=event.message, on_behalf=on_behalf
    )


def resident_timeline(application: Application, events: Any = None) -> list[TimelineEntry]:
    """Events the resident may see (never internal ones), oldest first."""
    if events is None:
        events = application.events.filter(internal=False)
    return [entry_for(event, application) for event in events if not event.internal]
