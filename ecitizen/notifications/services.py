"""Every write of the notifications app: messages (the outbox), preferences, templates, inbox
state, SMS receipts and area alerts. Keyword-only, atomic, audited; side effects on commit."""

import contextlib
import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.accounts.selectors import user_has_role
from ecitizen.audit.services import audit_record
from ecitizen.core.i18n import LANGUAGE_CODES, missing_languages
from ecitizen.core.models import Area
from ecitizen.notifications import conf, placeholders, rendering, sms
from ecitizen.notifications.events import event_for
from ecitizen.notifications.models import (
    Alert,
    AlertRead,
    Channel,
    Message,
    MessageTemplate,
    Preferences,
    Topic,
)
from ecitizen.notifications.preferences import (
    MANDATORY,
    OPTIONAL_CHANNELS,
    deliverable_channels,
    quiet_until,
)
from ecitizen.notifications.selectors import unread_count_forget

Status = Message.Status


def _on_commit_deliver(due: list[int], deferred: dict[datetime.datetime, list[int]]) -> None:
    from ecitizen.notifications.tasks import enqueue_delivery

    def go() -> None:
        if due:
            enqueue_delivery(due)
        for at, ids in deferred.items():
            enqueue_delivery(ids, run_after=at)

    transaction.on_commit(go)


# --- Personal messages -------------------------------------------------------------------


@transaction.atomic
def notification_send(
    *,
    actor: Any,
    recipient: User,
    event: str,
    values: dict[str, Any],
    idempotency_key: str,
    url: str = "",
    attachments: list[dict[str, Any]] | None = None,
) -> list[Message]:
    """Write the messages telling ``recipient`` about ``event`` (inbox, plus email and SMS as
    their preferences say) in the caller's transaction; delivery is queued once it commits.
    The same ``idempotency_key`` never creates a message twice."""
    spec = event_for(event)
    profile = Profile.objects.filter(user=recipient).first()
    prefs = Preferences.objects.filter(user=recipient).first()
    language = profile.preferred_language if profile else "en"
    channels = deliverable_channels(
        stored=prefs.channels if prefs else None,
        topic=spec.topic,
        email=recipient.email,
        phone=profile.phone if profile else "",
    )
    existing = set(
        Message.objects.filter(
            idempotency_key__in=[f"{idempotency_key}:{c}" for c in channels]
        ).values_list("idempotency_key", flat=True)
    )
    now = timezone.now()
    quiet = quiet_until(prefs.quiet_start, prefs.quiet_end, now) if prefs else None
    created: list[Message] = []
    for channel in channels:
        key = f"{idempotency_key}:{channel}"
        if key in existing:
            continue
        subject, body = rendering.render_event(event, channel, language, values)
        inbox = channel == Channel.INBOX
        message = Message(
            recipient=recipient,
            channel=channel,
            topic=spec.topic,
            event=event,
            language=language,
            subject=subject[:300],
            body=body,
            data={"url": url, "attachments": attachments or []} if not inbox else {"url": url},
            to=recipient.email
            if channel == Channel.EMAIL
            else (profile.phone if channel == Channel.SMS and profile else ""),
            idempotency_key=key,
            status=Status.DELIVERED if inbox else Status.CREATED,
            delivered_at=now if inbox else None,
            sent_at=now if inbox else None,
            provider="inbox" if inbox else "",
            next_attempt_at=None if inbox else (quiet or now),
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # the same event, told at the same moment by another process
            continue
        created.append(message)
    if not created:
        return []
    audit_record(
        actor=actor,
        action="notifications.message.created",
        obj=created[0],
        data={
            "event": event,
            "recipient": recipient.pk,
            "channels": [m.channel for m in created],
            "messages": [str(m.uuid) for m in created],
        },
    )
    outgoing = [m for m in created if m.channel != Channel.INBOX]
    due = [m.pk for m in outgoing if m.next_attempt_at and m.next_attempt_at <= now]
    deferred = {quiet: [m.pk for m in outgoing if m.pk not in due]} if quiet else {}
    _on_commit_deliver(due, {k: v for k, v in deferred.items() if v})
    return created


# --- Inbox state -------------------------------------------------------------------------


def inbox_message_mark(*, actor: User, message: Message, read: bool = True) -> Message:
    """Read state is the resident's own view of their inbox: not audited."""
    if message.recipient_id != actor.pk or message.channel != Channel.INBOX:
        raise PermissionDenied
    message.read_at = timezone.now() if read else None
    Message.objects.filter(pk=message.pk).update(read_at=message.read_at)
    unread_count_forget(actor)
    return message


@transaction.atomic
def inbox_message_archive(*, actor: User, message: Message, archived: bool = True) -> Message:
    if message.recipient_id != actor.pk or message.channel != Channel.INBOX:
        raise PermissionDenied
    now = timezone.now()
    message.archived_at = now if archived else None
    message.read_at = message.read_at or now
    Message.objects.filter(pk=message.pk).update(
        archived_at=message.archived_at, read_at=message.read_at
    )
    audit_record(
        actor=actor,
        action="notifications.message.archived" if archived else "notifications.message.restored",
        obj=message,
    )
    unread_count_forget(actor)
    return message


def alert_mark_read(*, actor: User, alert: Alert, archived: bool | None = None) -> AlertRead:
    """The resident's read (and dismissed) state of an area alert: the first row for this
    resident and alert is written only now (never at publishing)."""
    now = timezone.now()
    state, _created = AlertRead.objects.get_or_create(
        user=actor, alert=alert, defaults={"read_at": now}
    )
    changed = []
    if state.read_at is None:
        state.read_at = now
        changed.append("read_at")
    if archived is not None:
        state.archived_at = now if archived else None
        changed.append("archived_at")
    if changed:
        state.save(update_fields=changed)
    unread_count_forget(actor)
    return state


# --- Preferences -------------------------------------------------------------------------


@transaction.atomic
def preferences_save(
    *,
    actor: User,
    user: User,
    channels: dict[str, list[str]],
    quiet_start: datetime.time | None,
    quiet_end: datetime.time | None,
) -> Preferences:
    if actor.pk != user.pk:
        raise PermissionDenied
    clean = {
        topic: sorted(c for c in set(chosen) if c in OPTIONAL_CHANNELS)
        for topic, chosen in channels.items()
        if topic in Topic.values and topic not in MANDATORY
    }
    prefs, _created = Preferences.objects.select_for_update().get_or_create(user=user)
    prefs.channels = clean
    prefs.quiet_start, prefs.quiet_end = quiet_start, quiet_end
    prefs.save()
    audit_record(
        actor=actor,
        action="notifications.preferences.updated",
        obj=prefs,
        data={
            "channels": clean,
            "quiet_start": quiet_start.isoformat() if quiet_start else None,
            "quiet_end": quiet_end.isoformat() if quiet_end else None,
        },
    )
    return prefs


@transaction.atomic
def unsubscribe_apply(*, user_id: int, topic: str) -> bool:
    """One-click unsubscribe (RFC 8058): no more email on ``topic``. Emergency alerts cannot
    be switched off. Returns whether anything changed."""
    if topic not in Topic.values or topic in MANDATORY:
        return False
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    prefs, _created = Preferences.objects.select_for_update().get_or_create(user=user)
    from ecitizen.notifications.preferences import chosen_channels

    current = chosen_channels(prefs.channels, topic)
    if Channel.EMAIL not in current:
        return False
    prefs.channels = {**prefs.channels, topic: sorted(current - {Channel.EMAIL.value})}
    prefs.save(update_fields=["channels", "updated_at"])
    audit_record(
        actor=user,
        action="notifications.preferences.unsubscribed",
        obj=prefs,
        data={"topic": topic, "channel": "email"},
    )
    return True


# --- Templates ---------------------------------------------------------------------------


class TemplateProblem(ValidationError):
    pass


@transaction.atomic
def template_save(
    *, actor: User, event: str, channel: str, language: str, subject: str, body: str
) -> MessageTemplate:
    """A new version of the wording of ``event`` on ``channel`` in ``language``. Placeholders
    are checked now: unknown or missing ones are errors."""
    if not user_has_role(actor, StaffRole.Role.PLATFORM_ADMIN):
        raise PermissionDenied
    spec = event_for(event)
    if channel not in Channel.values or language not in LANGUAGE_CODES:
        raise ValueError("unknown channel or language")
    texts = [body] if channel == Channel.SMS else [subject, body]
    found = placeholders.problems(texts, allowed=spec.placeholders, required=spec.required)
    if channel != Channel.SMS and not subject.strip():
        found.insert(0, _("Enter a subject."))
    if not body.strip():
        found.insert(0, _("Enter the message."))
    if found:
        raise TemplateProblem(found)
    last = MessageTemplate.objects.filter(event=event, channel=channel, language=language)
    version = (last.aggregate(v=Max("version"))["v"] or 0) + 1
    template = MessageTemplate.objects.create(
        event=event,
        channel=channel,
        language=language,
        version=version,
        subject="" if channel == Channel.SMS else subject.strip(),
        body=body.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="notifications.template.saved",
        obj=template,
        data={"event": event, "channel": channel, "language": language, "version": version},
    )
    return template


# --- SMS delivery receipts -----------------------------------------------------------------


def sms_receipts_apply(*, provider: str, receipts: Iterable[sms.Receipt]) -> int:
    """Record the provider's delivery receipts (a receipt seen twice changes nothing).
    Returns how many messages changed."""
    changed = 0
    now = timezone.now()
    for receipt in receipts:
        query = (
            Q(provider=provider, provider_ref=receipt.provider_ref) & ~Q(provider_ref="")
            if receipt.provider_ref
            else Q()
        )
        if receipt.reference:
            with contextlib.suppress(ValueError):
                query |= Q(uuid=uuid.UUID(receipt.reference), channel=Channel.SMS)
        if not query:
            continue
        pending = Message.objects.filter(query, status__in=[Status.SENDING, Status.SENT])
        if receipt.status == "delivered":
            changed += pending.update(status=Status.DELIVERED, delivered_at=now, lease_until=None)
        elif receipt.status == "failed":
            changed += pending.update(
                status=Status.FAILED,
                lease_until=None,
                failed_reason=(receipt.error or _("The phone network could not deliver it."))[:300],
            )
    return changed


# --- Alerts --------------------------------------------------------------------------------


@dataclass
class AlertData:
    severity: str
    title: dict[str, str]
    body: dict[str, str]
    instructions: dict[str, str] = field(default_factory=dict)
    starts_at: datetime.datetime | None = None
    expires_at: datetime.datetime | None = None
    all_areas: bool = False
    areas: list[Area] = field(default_factory=list)


def needs_approval(severity: str, msg_type: str = Alert.MsgType.ALERT) -> bool:
    if msg_type == Alert.MsgType.CANCEL:
        return False  # ending an alert must never wait
    return severity in conf.get("NOTIFICATIONS_APPROVAL_SEVERITIES")


def _check_alert(data: AlertData) -> None:
    errors: dict[str, list[str]] = {}
    if data.severity not in Alert.Severity.values:
        errors["severity"] = [_("Choose how serious the alert is.")]
    for name in ("title", "body"):
        missing = missing_languages(getattr(data, name))
        if missing:
            errors[name] = [
                _("Write it in every language (missing: %(languages)s).")
                % {"languages": ", ".join(missing)}
            ]
    if not data.all_areas and not data.areas:
        errors["areas"] = [_("Choose at least one district, or every district.")]
    if data.areas and any(area.kind != Area.Kind.DISTRICT for area in data.areas):
        errors["areas"] = [_("Choose districts, not regions.")]
    if data.starts_at and data.expires_at and data.expires_at <= data.starts_at:
        errors["expires_at"] = [_("The alert must end after it starts.")]
    if data.expires_at and data.expires_at <= timezone.now():
        errors["expires_at"] = [_("The end must be in the future.")]
    if errors:
        raise ValidationError(errors)


def _publish(alert: Alert, actor: User) -> None:
    now = timezone.now()
    alert.status = Alert.Status.PUBLISHED
    alert.published_at = now
    alert.save(update_fields=["status", "published_at", "approved_by"])
    if alert.references_id:
        Alert.objects.filter(pk=alert.references_id, replaced_at__isnull=True).update(
            replaced_at=now
        )
    audit_record(
        actor=actor,
        action="notifications.alert.published",
        obj=alert,
        data={"identifier": alert.identifier, "msg_type": alert.msg_type},
    )
    from ecitizen.notifications.selectors import alerts_changed
    from ecitizen.notifications.tasks import alert_fanout

    # Now (so this process's cached district alerts are not reused) and again once
    # committed (so no process keeps what it read before the commit under the new version).
    alerts_changed()
    transaction.on_commit(alerts_changed)
    transaction.on_commit(lambda: alert_fanout.enqueue(alert.pk))


@transaction.atomic
def alert_create(
    *,
    actor: User,
    data: AlertData,
    msg_type: str = Alert.MsgType.ALERT,
    references: Alert | None = None,
) -> Alert:
    """Create an alert (or an update or cancellation of ``references``). It is published at
    once, unless its severity needs a second person's approval."""
    if not user_has_role(actor, StaffRole.Role.ALERT_PUBLISHER):
        raise PermissionDenied
    if msg_type != Alert.MsgType.ALERT:
        if references is None or references.status != Alert.Status.PUBLISHED:
            raise ValidationError(_("Only a published alert can be updated or cancelled."))
        if references.replaced_at is not None:
            raise ValidationError(_("This alert has already been updated or cancelled."))
    now = timezone.now()
    data.starts_at = data.starts_at or now
    data.expires_at = data.expires_at or (data.starts_at + datetime.timedelta(hours=24))
    _check_alert(data)
    approval = needs_approval(data.severity, msg_type)
    alert = Alert.objects.create(
        identifier=f"ecitizen-{uuid.uuid4()}",
        severity=data.severity,
        all_areas=data.all_areas,
        title={k: v.strip() for k, v in data.title.items()},
        body={k: v.strip() for k, v in data.body.items()},
        instructions={k: v.strip() for k, v in data.instructions.items() if v.strip()},
        starts_at=data.starts_at,
        expires_at=data.expires_at,
        msg_type=msg_type,
        references=references,
        status=Alert.Status.PENDING_APPROVAL if approval else Alert.Status.PUBLISHED,
        created_by=actor,
    )
    if not data.all_areas:
        alert.areas.set(data.areas)
    audit_record(
        actor=actor,
        action=f"notifications.alert.{'submitted' if approval else 'created'}",
        obj=alert,
        data={
            "severity": alert.severity,
            "msg_type": msg_type,
            "references": references.identifier if references else None,
            "areas": "all" if data.all_areas else [a.code for a in data.areas],
        },
    )
    if not approval:
        _publish(alert, actor)
    return alert


@transaction.atomic
def alert_cancel(*, actor: User, alert: Alert, note: dict[str, str] | None = None) -> Alert:
    """End an alert now (CAP msgType Cancel referencing it)."""
    note = {k: v for k, v in (note or {}).items() if v.strip()}
    body = {code: note.get(code) or rendering_cancel_body(code) for code in LANGUAGE_CODES}
    data = AlertData(
        severity=alert.severity,
        title=dict(alert.title),
        body=body,
        starts_at=timezone.now(),
        expires_at=max(alert.expires_at, timezone.now() + datetime.timedelta(hours=1)),
        all_areas=alert.all_areas,
        areas=list(alert.areas.all()),
    )
    return alert_create(actor=actor, data=data, msg_type=Alert.MsgType.CANCEL, references=alert)


def rendering_cancel_body(language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return _("This alert has been cancelled. The danger has passed.")


@transaction.atomic
def alert_approve(*, actor: User, alert: Alert) -> Alert:
    """The second person approves: the alert goes out."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not user_has_role(actor, StaffRole.Role.ALERT_APPROVER):
        raise PermissionDenied
    if alert.created_by_id == actor.pk:
        raise ValidationError(_("Someone other than the author must approve this alert."))
    if alert.status != Alert.Status.PENDING_APPROVAL:
        raise ValidationError(_("This alert is not waiting for approval."))
    if alert.references is not None and alert.references.replaced_at is not None:
        raise ValidationError(_("This alert has already been updated or cancelled."))
    if alert.expires_at <= timezone.now():
        raise ValidationError(_("This alert has expired: write a new one."))
    alert.approved_by = actor
    audit_record(actor=actor, action="notifications.alert.approved", obj=alert)
    _publish(alert, actor)
    return alert


@transaction.atomic
def alert_reject(*, actor: User, alert: Alert) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not user_has_role(actor, StaffRole.Role.ALERT_APPROVER):
        raise PermissionDenied
    if alert.status != Alert.Status.PENDING_APPROVAL:
        raise ValidationError(_("This alert is not waiting for approval."))
    alert.status = Alert.Status.REJECTED
    alert.approved_by = actor
    alert.save(update_fields=["status", "approved_by"])
    audit_record(actor=actor, action="notifications.alert.rejected", obj=alert)
    return alert


def _residents(alert: Alert):  # -> QuerySet[Profile]
    profiles = Profile.objects.filter(user__is_active=True)
    if not alert.all_areas:
        profiles = profiles.filter(area_id__in=alert.areas.values("pk"))
    return profiles


def alert_fanout_ranges(*, alert_id: int) -> list[tuple[int, int]]:
    """User-id ranges, each about ``NOTIFICATIONS_FANOUT_BATCH`` wide, covering the alert's
    residents. An alert replaced before it went out is not sent."""
    alert = Alert.objects.filter(pk=alert_id, status=Alert.Status.PUBLISHED).first()
    if alert is None:
        return []
    bounds = _residents(alert).aggregate(low=Min("user_id"), high=Max("user_id"))
    if bounds["low"] is None:
        return []
    width = int(conf.get("NOTIFICATIONS_FANOUT_BATCH"))
    return [
        (start, min(start + width, bounds["high"] + 1))
        for start in range(bounds["low"], bounds["high"] + 1, width)
    ]


def alert_fanout_batch(
    *, alert_id: int, start: int, end: int
) -> tuple[list[int], dict[datetime.datetime, list[int]]]:
    """Write the email/SMS messages of an alert for its residents with ids in [start, end).
    Emergencies go on every channel the resident has given, whatever their choices and
    quiet hours; other alerts follow them. Idempotent (one message per alert, resident and
    channel). Returns the ids due now, and the ids deferred by quiet hours by due time."""
    alert = Alert.objects.filter(pk=alert_id, status=Alert.Status.PUBLISHED).first()
    if alert is None or (alert.replaced_at and alert.msg_type != Alert.MsgType.CANCEL):
        return [], {}
    now = timezone.now()
    topic = alert.topic
    emergency = topic in MANDATORY
    rows = (
        _residents(alert)
        .filter(user_id__gte=start, user_id__lt=end)
        .values_list(
            "user_id",
            "user__email",
            "phone",
            "preferred_language",
            "user__notification_preferences__channels",
            "user__notification_preferences__quiet_start",
            "user__notification_preferences__quiet_end",
        )
    )
    messages = []
    for user_id, email, phone, language, stored, quiet_start, quiet_end in rows.iterator(
        chunk_size=2000
    ):
        channels = deliverable_channels(stored=stored, topic=topic, email=email, phone=phone)
        at = now if emergency else (quiet_until(quiet_start, quiet_end, now) or now)
        for channel in channels:
            if channel == Channel.INBOX:
                continue  # the inbox reads area alerts at display time
            messages.append(
                Message(
                    recipient_id=user_id,
                    channel=channel,
                    topic=topic,
                    event="alert",
                    language=language or "en",
                    alert_id=alert.pk,
                    to=email if channel == Channel.EMAIL else phone,
                    next_attempt_at=at,
                )
            )
    with transaction.atomic():
        Message.objects.bulk_create(messages, batch_size=1000, ignore_conflicts=True)
    pending = Message.objects.filter(
        alert_id=alert.pk,
        recipient_id__gte=start,
        recipient_id__lt=end,
        status=Status.CREATED,
    ).values_list("pk", "next_attempt_at")
    due: list[int] = []
    deferred: dict[datetime.datetime, list[int]] = defaultdict(list)
    for pk, next_at in pending:
        if next_at is None or next_at <= now:
            due.append(pk)
        else:
            deferred[next_at].append(pk)
    return due, dict(deferred)


# --- Reminders -----------------------------------------------------------------------------


def permit_expiry_reminders_send(*, today: datetime.date | None = None) -> int:
    """Tell holders of valid permits that expire in exactly one of
    ``NOTIFICATIONS_PERMIT_REMINDER_DAYS`` days (or fewer, if a run was missed: each
    reminder is sent once, by its idempotency key). Run daily. Returns messages written."""
    from ecitizen.applications.models import IssuedPermit
    from ecitizen.applications.notify import permit_values

    today = today or timezone.localdate()
    written = 0
    for days in sorted(conf.get("NOTIFICATIONS_PERMIT_REMINDER_DAYS"), reverse=True):
        horizon = today + datetime.timedelta(days=days)
        permits = IssuedPermit.objects.filter(
            status=IssuedPermit.Status.VALID, valid_until__gte=today, valid_until__lte=horizon
        ).select_related("application__applicant__profile", "application__service_version")
        for permit in permits:
            assert permit.valid_until is not None
            remaining = (permit.valid_until - today).days
            # the smallest threshold this permit has reached
            threshold = min(
                d for d in conf.get("NOTIFICATIONS_PERMIT_REMINDER_DAYS") if d >= remaining
            )
            if threshold != days:
                continue
            with transaction.atomic():
                written += len(
                    notification_send(
                        actor=None,
                        recipient=permit.application.applicant,
                        event="permit.expiry_reminder",
                        values=permit_values(permit),
                        idempotency_key=f"permit:{permit.pk}:expiry:{threshold}",
                        url=permit_values(permit)["url"],
                    )
                )
    return written
