"""Writes to the audit trail and the personal-data access log.

Every service function that changes data calls ``audit_record`` inside its transaction.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from ecitizen.audit import context
from ecitizen.audit.models import AuditEntry, AuditHead, PersonalDataAccess

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_ID = 0x65C17153  # PostgreSQL advisory lock serialising the head's creation


def entry_digest(entry: AuditEntry) -> str:
    """The hash of an entry's content and its predecessor's hash."""
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "on_behalf_of": entry.on_behalf_of_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": entry.data,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain() -> None:
    # SQLite runs write transactions one at a time (IMMEDIATE mode); PostgreSQL needs a lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


# No savepoint: an append that fails fails the caller's whole transaction anyway, and the
# chain is locked from here to the commit, so every round trip saved shortens the wait of
# the next writer.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: Any = None,
) -> AuditEntry:
    """Append one entry: who (``actor``, possibly acting for ``on_behalf_of``) did ``action``
    (dotted, e.g. ``accounts.profile.updated``) to ``obj``, from which request and IP."""
    request = context.current()
    ip = context.normalize_ip(request.ip)  # worked out before the chain is locked
    # Locking the head row serialises appends (one round trip: lock and read together).
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        _lock_chain()  # no head row to lock yet: the advisory lock serialises creating it
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # only on an empty (e.g. flushed) table: the migration creates the head
        last = AuditEntry.objects.order_by("-seq").only("seq", "entry_hash").first()
        head = AuditHead(
            pk=1, seq=last.seq if last else 0, entry_hash=last.entry_hash if last else GENESIS_HASH
        )
    actor_id = getattr(actor, "pk", None)
    entry = AuditEntry(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor_id=actor_id,
        actor_label=(getattr(actor, "email", "") or "") if actor_id else "system",
        on_behalf_of_id=getattr(on_behalf_of, "pk", None),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=json.loads(json.dumps(data or {}, default=str)),
        request_id=request.request_id,
        ip=ip,
        prev_hash=head.entry_hash,
    )
    entry.entry_hash = entry_digest(entry)
    entry.save(force_insert=True)
    head.seq, head.entry_hash = entry.seq, entry.entry_hash
    head.save()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def audit_chain_verify() -> ChainBreak | None:
    """Walk the chain in order; return the first entry that was altered, inserted or follows a
    deleted one, or ``None`` if the chain is intact. The chain head catches deleted newest
    entries."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry #{expected_seq} is missing (deleted)")
        if entry.prev_hash != prev_hash:
            return ChainBreak(entry.seq, "the link to the previous entry is broken")
        if entry_digest(entry) != entry.entry_hash:
            return ChainBreak(entry.seq, "the entry's content was altered")
        expected_seq, prev_hash = entry.seq + 1, entry.entry_hash
    last_seq = expected_seq - 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        if last_seq:
            return ChainBreak(last_seq, "the chain head is missing")
        return None
    if head.seq > last_seq:
        return ChainBreak(
            last_seq + 1, f"entries #{last_seq + 1} to #{head.seq} are missing (deleted)"
        )
    if head.seq < last_seq:
        return ChainBreak(head.seq + 1, "the entry was added outside the audit service")
    if head.entry_hash != prev_hash:
        return ChainBreak(last_seq, "the entry does not match the chain head")
    return None


@transaction.atomic
def personal_data_access_record(
    *, accessor: Any, subject: Any, what: str | Promise, purpose: str
) -> PersonalDataAccess:
    """Log that ``accessor`` (staff) read ``what`` of ``subject``'s personal data, and why.

    The role and ``what`` (pass a lazy translation) are stored in the subject's language:
    the log is written for them to read."""
    from ecitizen.accounts.selectors import profile_for, staff_primary_role

    role = staff_primary_role(accessor)
    with translation.override(profile_for(subject).preferred_language):
        access = PersonalDataAccess.objects.create(
            accessor=accessor,
            accessor_role=str(role.get_role_display()) if role else "",
            agency=role.agency if role else None,
            subject=subject,
            what=str(what),
            purpose=purpose,
            request_id=context.current().request_id,
        )
    audit_record(
        actor=accessor,
        action="audit.personal_data.accessed",
        obj=access,
        data={"subject": subject.pk, "purpose": purpose},
    )
    return access
