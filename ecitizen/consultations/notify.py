"""The seam between consultations and notifications: "the response to a consultation you took
part in is published".

The event is registered in the notifications registry when the app loads (so its wording
can be edited by staff like any other, under the "Consultations and budgets" topic), and the
messages go through ``ecitizen.notifications.services.notification_send``: inbox always,
email and SMS as each person's preferences say. Each (consultation, person) is told once,
however often this runs (idempotency key).
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ecitizen.core.i18n import tr

EVENT = "consultation.outcome_published"


def register_events() -> None:
    from ecitizen.notifications.events import EVENTS, Event, Wording
    from ecitizen.notifications.models import Channel, Topic

    if EVENT in EVENTS:
        return
    subject = _("We have published what we did with your views on “((consultation))”")
    body = _(
        "Hello ((name)),\n\nThank you for taking part in the consultation “((consultation))”. "
        "It has now closed, and we have published what you told us and what we are doing "
        "about it.\n\nRead it: ((url))"
    )
    sms = _("We have published what we did with your views on “((consultation))”: ((url))")
    EVENTS[EVENT] = Event(
        key=EVENT,
        label=_("Consultation response published"),
        topic=Topic.PARTICIPATION,
        placeholders=("name", "consultation", "url"),
        required=("url",),
        sample={
            "name": "Amara Okafor",
            "consultation": "Riverside park renewal",
            "url": "https://ecitizen.example/consultations/1/",
        },
        wording={
            Channel.INBOX: Wording(subject, body),
            Channel.EMAIL: Wording(subject, body),
            Channel.SMS: Wording("", sms),
        },
    )


def outcome_values(consultation: Any, user: Any) -> dict[str, str]:
    from ecitizen.accounts.selectors import profile_for
    from ecitizen.notifications.rendering import public_url

    profile = profile_for(user)
    language = profile.preferred_language or "en"
    return {
        "name": profile.legal_name or user.email,
        "consultation": tr(consultation.title, language),
        "url": public_url(reverse("consultations:detail", args=[consultation.pk])) + "#outcome",
    }
