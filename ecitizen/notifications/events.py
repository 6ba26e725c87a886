"""What the platform tells residents about: each event has a topic, the placeholders its
templates may use (and must use), sample values for previews, and built-in wording for each
channel, translated like every other string (staff may replace it with their own versions).
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ecitizen.notifications.models import Channel, Topic


@dataclass(frozen=True)
class Wording:
    subject: Promise | str
    body: Promise | str


@dataclass(frozen=True)
class Event:
    key: str
    label: Promise
    topic: str
    placeholders: tuple[str, ...]
    required: tuple[str, ...]
    sample: dict[str, str]
    wording: dict[str, Wording] = field(default_factory=dict)


_APPLICATION = ("name", "reference", "service", "url")
_SAMPLE = {
    "name": "Amara Okafor",
    "reference": "BP-2026-000123",
    "service": "Building permit",
    "url": "https://ecitizen.example/applications/BP-2026-000123/",
    "amount": "€120.00",
    "receipt": "PAY-7F3K2Q",
    "expires_on": "30 June 2026",
    "permit_number": "BP-2026-000123-P",
}


def _app_event(key: str, label: Promise, subject: Promise, body: Promise, sms: Promise) -> Event:
    return Event(
        key=key,
        label=label,
        topic=Topic.APPLICATIONS,
        placeholders=_APPLICATION,
        required=("reference",),
        sample=_SAMPLE,
        wording={
            Channel.INBOX: Wording(subject, body),
            Channel.EMAIL: Wording(subject, body),
            Channel.SMS: Wording("", sms),
        },
    )


EVENTS: dict[str, Event] = {
    event.key: event
    for event in [
        _app_event(
            "application.submitted",
            _("Application submitted"),
            _("We have received your application ((reference))"),
            _(
                "Hello ((name)),\n\nWe have received your application ((reference)) for "
                "((service)). We will tell you when something changes.\n\n"
                "Follow your application: ((url))"
            ),
            _("We have received your application ((reference)). Follow it at ((url))"),
        ),
        _app_event(
            "application.info_requested",
            _("Information requested"),
            _("We need more information about your application ((reference))"),
            _(
                "Hello ((name)),\n\nTo carry on with your application ((reference)) for "
                "((service)), we need more information from you.\n\n"
                "Sign in to read our question and answer it: ((url))"
            ),
            _("We need more information about your application ((reference)): ((url))"),
        ),
        _app_event(
            "application.approved",
            _("Application approved"),
            _("Your application ((reference)) has been approved"),
            _(
                "Hello ((name)),\n\nYour application ((reference)) for ((service)) has been "
                "approved.\n\nRead the decision: ((url))"
            ),
            _("Your application ((reference)) has been approved: ((url))"),
        ),
        _app_event(
            "application.rejected",
            _("Application rejected"),
            _("Decision on your application ((reference))"),
            _(
                "Hello ((name)),\n\nWe have made a decision on your application ((reference)) "
                "for ((service)). We could not approve it.\n\n"
                "Sign in to read the reasons and what you can do next: ((url))"
            ),
            _("We have made a decision on your application ((reference)): ((url))"),
        ),
        _app_event(
            "application.issued",
            _("Permit issued"),
            _("Your permit for application ((reference)) is ready"),
            _(
                "Hello ((name)),\n\nYour permit for application ((reference)) (((service))) "
                "has been issued. You can download it and anyone can check it is genuine.\n\n"
                "Get your permit: ((url))"
            ),
            _("Your permit for application ((reference)) is ready: ((url))"),
        ),
        _app_event(
            "application.revoked",
            _("Permit revoked"),
            _("Your permit for application ((reference)) has been revoked"),
            _(
                "Hello ((name)),\n\nThe permit issued for your application ((reference)) "
                "(((service))) has been revoked and is no longer valid.\n\n"
                "Sign in to read why: ((url))"
            ),
            _("Your permit for application ((reference)) has been revoked: ((url))"),
        ),
        Event(
            key="application.draft_reminder",
            label=_("Draft about to be deleted"),
            topic=Topic.APPLICATIONS,
            placeholders=(*_APPLICATION, "expires_on"),
            required=("reference", "expires_on"),
            sample=_SAMPLE,
            wording={
                channel: Wording(
                    _("Your draft application ((reference)) will be deleted soon")
                    if channel != Channel.SMS
                    else "",
                    _(
                        "Hello ((name)),\n\nYou started an application for ((service)) "
                        "(((reference))) but have not sent it. We will delete the draft on "
                        "((expires_on)).\n\nCarry on with it: ((url))"
                    )
                    if channel != Channel.SMS
                    else _(
                        "Your draft application ((reference)) will be deleted on "
                        "((expires_on)): ((url))"
                    ),
                )
                for channel in Channel.values
            },
        ),
        Event(
            key="permit.expiry_reminder",
            label=_("Permit about to expire"),
            topic=Topic.APPLICATIONS,
            placeholders=(*_APPLICATION, "permit_number", "expires_on"),
            required=("permit_number", "expires_on"),
            sample=_SAMPLE,
            wording={
                channel: Wording(
                    _("Your permit ((permit_number)) expires on ((expires_on))")
                    if channel != Channel.SMS
                    else "",
                    _(
                        "Hello ((name)),\n\nYour permit ((permit_number)) for ((service)) "
                        "expires on ((expires_on)). If you still need it, apply to renew it "
                        "before then.\n\nSee your permit: ((url))"
                    )
                    if channel != Channel.SMS
                    else _("Your permit ((permit_number)) expires on ((expires_on)): ((url))"),
                )
                for channel in Channel.values
            },
        ),
        Event(
            key="payment.receipt",
            label=_("Payment receipt"),
            topic=Topic.PAYMENTS,
            placeholders=("name", "receipt", "amount", "reference", "service", "url"),
            required=("receipt", "amount"),
            sample=_SAMPLE,
            wording={
                channel: Wording(
                    _("Receipt ((receipt)) for your payment of ((amount))")
                    if channel != Channel.SMS
                    else "",
                    _(
                        "Hello ((name)),\n\nThank you for your payment of ((amount)) for "
                        "application ((reference)) (((service))). Your receipt number is "
                        "((receipt)); the receipt is attached to the email we sent you.\n\n"
                        "See your application: ((url))"
                    )
                    if channel != Channel.SMS
                    else _("We received your payment of ((amount)). Receipt ((receipt))."),
                )
                for channel in Channel.values
            },
        ),
    ]
}


def event_for(key: str) -> Event:
    try:
        return EVENTS[key]
    except KeyError:
        raise ValueError(f"Unknown notification event {key!r}") from None
