"""Reads: a resident's inbox (their messages, and the alerts of their area read at display
time), unread counts, public alerts, and delivery figures for staff."""

import copy
import functools
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from ecitizen.accounts.models import User
from ecitizen.core.models import Area
from ecitizen.notifications.models import Alert, AlertRead, Channel, Message, MessageTemplate

INBOX_PAGE_SIZE = 20
ALERTS_VERSION_KEY = "notifications:alerts-version"


def alerts_changed() -> None:
    """Publishing, updating or cancelling an alert changes everyone's unread count."""
    try:
        cache.incr(ALERTS_VERSION_KEY)
    except ValueError:
        cache.set(ALERTS_VERSION_KEY, 1, timeout=None)


def _unexpired_alerts(now: Any) -> QuerySet[Alert]:
    """Published, not expired, not replaced by an update or cancellation, and not themselves
    cancellations (started or not)."""
    return Alert.objects.filter(
        status=Alert.Status.PUBLISHED, expires_at__gt=now, replaced_at__isnull=True
    ).exclude(msg_type=Alert.MsgType.CANCEL)


def _in_area(alerts: QuerySet[Alert], area_id: int | None) -> QuerySet[Alert]:
    """For one district (``None``: residents without one): its alerts and everyone's."""
    if area_id is None:
        return alerts.filter(all_areas=True)
    return alerts.filter(Q(all_areas=True) | Q(areas__id=area_id)).distinct()


def active_alerts(now: Any = None) -> QuerySet[Alert]:
    """Alerts in force: unexpired (see above) and started."""
    now = now or timezone.now()
    return _unexpired_alerts(now).filter(starts_at__lte=now)


def alerts_for_area(area_id: int | None, now: Any = None) -> QuerySet[Alert]:
    return _in_area(active_alerts(now), area_id)


def _area_id(user: User) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.area_id if profile else None


# A district's alerts, kept in each process for DISTRICT_ALERTS_SECONDS under the alerts
# version (bumped by every publish, update and cancellation, so a new alert shows at once):
# every inbox in a district reads the same few rows, so they are not read for each visit.
DISTRICT_ALERTS_SECONDS = 30
_district_alerts: dict[tuple[int | None, int], tuple[float, list[Alert]]] = {}


def district_alerts(area_id: int | None, version: int) -> list[Alert]:
    """The alerts in force for a district (``None``: residents without one), newest first.
    Start and end times are checked at each call; the list itself is cached (see above)."""
    key = (area_id, version)
    cached = _district_alerts.get(key)
    if cached is None or cached[0] < time.monotonic():
        unexpired = (
            _in_area(_unexpired_alerts(timezone.now()), area_id)
            .prefetch_related("areas")
            .order_by("-published_at")
        )
        if len(_district_alerts) > 1000:
            _district_alerts.clear()
        cached = (time.monotonic() + DISTRICT_ALERTS_SECONDS, list(unexpired))
        _district_alerts[key] = cached
    now = timezone.now()
    return [a for a in cached[1] if a.starts_at <= now < a.expires_at]


def inbox_alerts(user: User) -> list[Alert]:
    """The area's alerts in force with this resident's read state (``is_read``), newest
    first; dismissed ones left out. The district's alerts come from the cache (see
    ``district_alerts``); the resident's read state is one query on their ``AlertRead``
    rows, and none when the district has no alert."""
    version = cache.get(ALERTS_VERSION_KEY, 0)
    alerts = district_alerts(_area_id(user), version)
    if not alerts:
        return []
    reads = {
        alert_id: (read_at, archived_at)
        for alert_id, read_at, archived_at in AlertRead.objects.filter(
            user=user, alert_id__in=[a.pk for a in alerts]
        ).values_list("alert_id", "read_at", "archived_at")
    }
    shown = []
    for alert in alerts:
        read_at, archived_at = reads.get(alert.pk, (None, None))
        if archived_at is None:
            mine = copy.copy(alert)  # the cached instance is shared by every request
            mine.is_read = read_at is not None  # type: ignore[attr-defined]
            shown.append(mine)
    return shown


def inbox_messages(user: User, *, archived: bool = False) -> QuerySet[Message]:
    return Message.objects.filter(
        recipient=user, channel=Channel.INBOX, archived_at__isnull=not archived
    ).order_by("-created_at", "-id")


@dataclass
class InboxPage:
    """A page of the inbox, newest first. No total count: counting 10,000 messages on every
    visit would cost more than the page itself; "older" is known by reading one row more."""

    object_list: list[Message]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def inbox_page(user: User, number: Any = 1, *, archived: bool = False) -> InboxPage:
    try:
        page = max(1, min(int(number or 1), 10_000))
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * INBOX_PAGE_SIZE
    # Only what the list shows (not the body or data of each message); served by the
    # notif_inbox_page index, newest first.
    rows = list(
        inbox_messages(user, archived=archived).only(
            "id", "recipient_id", "channel", "subject", "topic", "read_at", "created_at"
        )[start : start + INBOX_PAGE_SIZE + 1]
    )
    return InboxPage(
        object_list=rows[:INBOX_PAGE_SIZE], number=page, has_next=len(rows) > INBOX_PAGE_SIZE
    )


def inbox_message(user: User, pk: int) -> Message | None:
    """One of the resident's own inbox messages (anyone else's answers None)."""
    return Message.objects.filter(recipient=user, channel=Channel.INBOX, pk=pk).first()


#: Set on the session's user by their statement (``accounts.backends``): the count when the
#: request began. Services that change the person's inbox forget it (``unread_count_forget``).
UNREAD_AT_REQUEST_START = "inbox_unread_at_request_start"


@functools.cache
def unread_count_sql(user_id: str = "%s", area_id: str = "%s") -> str:
    """The count as one SQL expression, for the person and district given as SQL (columns of
    an enclosing statement, or parameters), with the time as two parameters in between.

    The fixed values are written into the SQL, not bound: SQLite plans a statement again for
    every new binding of a value that a partial index depends on (5x the cost here)."""
    quote = connection.ops.quote_name
    message, alert, areas, read = (
        quote(model._meta.db_table) for model in (Message, Alert, Alert.areas.through, AlertRead)
    )
    inbox, published, cancel = (
        f"'{value}'" for value in (Channel.INBOX, Alert.Status.PUBLISHED, Alert.MsgType.CANCEL)
    )
    return (
        f"((SELECT COUNT(*) FROM {message} m WHERE m.recipient_id = {user_id}"  # noqa: S608
        f"   AND m.channel = {inbox} AND m.read_at IS NULL AND m.archived_at IS NULL)"
        f" + (SELECT COUNT(*) FROM {alert} a WHERE a.status = {published}"
        f"   AND a.msg_type <> {cancel} AND a.replaced_at IS NULL"
        "   AND a.starts_at <= %s AND a.expires_at > %s"
        f"   AND (a.all_areas OR EXISTS (SELECT 1 FROM {areas} aa"
        f"     WHERE aa.alert_id = a.id AND aa.area_id = {area_id}))"
        f"   AND NOT EXISTS (SELECT 1 FROM {read} r"
        f"     WHERE r.alert_id = a.id AND r.user_id = {user_id} AND r.read_at IS NOT NULL)))"
    )


def unread_count_forget(user: User) -> None:
    """The person's inbox changed during this request: count again if asked."""
    user.__dict__.pop(UNREAD_AT_REQUEST_START, None)


def unread_count(user: User) -> int:
    """Unread inbox messages plus unread area alerts in force: exact, from the session's user
    statement or one statement of its own (on the partial index ``notif_unread`` and the few
    alerts in force)."""
    known = user.__dict__.get(UNREAD_AT_REQUEST_START)
    if known is not None:
        return int(known)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [user.pk, now, now, _area_id(user), user.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {unread_count_sql()}", params)
        return int(cursor.fetchone()[0])


# --- Public alerts ------------------------------------------------------------------------


def public_alerts(area: Area | None = None) -> list[Alert]:
    alerts = active_alerts() if area is None else alerts_for_area(area.pk)
    return list(alerts.prefetch_related("areas").order_by("-published_at"))


def feed_alerts(limit: int = 50) -> list[Alert]:
    """Everything published (new alerts, updates and cancellations), newest first: relaying
    systems need the cancellations too."""
    return list(
        Alert.objects.filter(status=Alert.Status.PUBLISHED)
        .select_related("references")
        .prefetch_related("areas")
        .order_by("-published_at")[:limit]
    )


def published_alert(pk: int) -> Alert | None:
    return (
        Alert.objects.filter(pk=pk, status=Alert.Status.PUBLISHED)
        .select_related("references")
        .prefetch_related("areas")
        .first()
    )


def districts() -> list[Area]:
    return list(Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("name"))


# --- Staff ------------------------------------------------------------------------------


def staff_alerts(limit: int = 100) -> list[Alert]:
    return list(
        Alert.objects.select_related("created_by", "approved_by", "references")
        .prefetch_related("areas")
        .order_by("-created_at")[:limit]
    )


@dataclass
class DeliveryFigures:
    by_channel: dict[str, dict[str, int]]
    total: int


def delivery_figures(alert: Alert | None = None) -> DeliveryFigures:
    """Messages by channel and status (live), for one alert or for everything."""
    messages = Message.objects.all() if alert is None else Message.objects.filter(alert=alert)
    table: dict[str, dict[str, int]] = {
        channel: dict.fromkeys(Message.Status.values, 0) for channel in Channel.values
    }
    total = 0
    for row in messages.values("channel", "status").annotate(n=Count("id")).order_by():
        table[row["channel"]][row["status"]] = row["n"]
        total += row["n"]
    return DeliveryFigures(by_channel=table, total=total)


def recent_messages(limit: int = 50, status: str = "") -> list[Message]:
    messages = Message.objects.select_related("recipient").exclude(channel=Channel.INBOX)
    if status:
        messages = messages.filter(status=status)
    return list(messages.order_by("-id")[:limit])


def template_versions(event: str, channel: str, language: str) -> list[MessageTemplate]:
    return list(
        MessageTemplate.objects.filter(event=event, channel=channel, language=language)
        .select_related("created_by")
        .order_by("-version")
    )


def current_template_versions() -> dict[tuple[str, str, str], int]:
    rows = (
        MessageTemplate.objects.values("event", "channel", "language")
        .annotate(latest=Max("version"))
        .order_by()
    )
    return {(r["event"], r["channel"], r["language"]): r["latest"] for r in rows}
