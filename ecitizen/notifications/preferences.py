"""Which channels a resident hears on, per topic; quiet hours.

The in-app inbox always keeps a copy (it is where a resident can read everything again);
email and SMS follow the resident's choices, or these defaults:

* my applications and payments: inbox and email (decisions and receipts matter);
* consultations and budgets: inbox only (they are invitations, not obligations);
* emergency alerts: every channel the resident has given, always (quiet hours and topic
  choices do not apply: the resident may not switch them off);
* warnings: inbox, email and SMS; advisories and service disruptions: inbox and email.

A channel is only ever used if the resident gave it: email needs an address, SMS a phone
number in their profile.
"""

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from ecitizen.notifications.models import Channel, Topic

OPTIONAL_CHANNELS = (Channel.EMAIL, Channel.SMS)

DEFAULTS: dict[str, tuple[str, ...]] = {
    Topic.APPLICATIONS: (Channel.EMAIL,),
    Topic.PAYMENTS: (Channel.EMAIL,),
    Topic.PARTICIPATION: (),
    Topic.ALERT_EMERGENCY: (Channel.EMAIL, Channel.SMS),
    Topic.ALERT_WARNING: (Channel.EMAIL, Channel.SMS),
    Topic.ALERT_ADVISORY: (Channel.EMAIL,),
    Topic.ALERT_DISRUPTION: (Channel.EMAIL,),
}
# Topics a resident may not switch off: every channel they have is used.
MANDATORY = {Topic.ALERT_EMERGENCY}


def chosen_channels(stored: Mapping[str, Any] | None, topic: str) -> set[str]:
    """Email/SMS channels the resident wants for ``topic`` (before checking they have them)."""
    if topic in MANDATORY:
        return set(OPTIONAL_CHANNELS)
    if stored and topic in stored:
        return {c for c in stored[topic] if c in OPTIONAL_CHANNELS}
    return set(DEFAULTS.get(topic, ()))


def deliverable_channels(
    *, stored: Mapping[str, Any] | None, topic: str, email: str, phone: str
) -> list[str]:
    """The inbox, plus each chosen channel the resident has given an address for."""
    wanted = chosen_channels(stored, topic)
    channels = [Channel.INBOX.value]
    if Channel.EMAIL in wanted and email:
        channels.append(Channel.EMAIL.value)
    if Channel.SMS in wanted and phone:
        channels.append(Channel.SMS.value)
    return channels


def quiet_until(
    start: datetime.time | None,
    end: datetime.time | None,
    now: datetime.datetime | None = None,
) -> datetime.datetime | None:
    """When quiet hours end, if ``now`` is inside them (local time), else None. Quiet hours
    may span midnight (22:00-07:00)."""
    if start is None or end is None or start == end:
        return None
    now = timezone.localtime(now or timezone.now())
    current = now.time()
    inside = start <= current < end if start < end else current >= start or current < end
    if not inside:
        return None
    end_at = now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= now:
        end_at += datetime.timedelta(days=1)
    return end_at
