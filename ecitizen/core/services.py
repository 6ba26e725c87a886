"""Writes to reference data (areas, agencies, public holidays): platform admins only,
audited. And the re-encryption of sensitive fields under the current key."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ecitizen.audit.services import audit_record
from ecitizen.core import crypto
from ecitizen.core.fields import EncryptedTextField
from ecitizen.core.models import Agency, Area, Holiday


@transaction.atomic
def area_save(*, actor: Any, area: Area | None = None, **fields: Any) -> Area:
    """Create an area (``area=None``) or update one with ``fields``."""
    created = area is None
    area = area or Area()
    for name, value in fields.items():
        setattr(area, name, value)
    area.full_clean()
    if area.parent is not None and (
        area.kind == Area.Kind.REGION or area.parent.kind != Area.Kind.REGION
    ):
        raise ValidationError(
            {"parent": _("Only a district can belong to a region, and only to a region.")}
        )
    if area.pk and area.kind != Area.Kind.REGION and area.children.exists():
        raise ValidationError({"kind": _("This area has districts in it: it must stay a region.")})
    area.save()
    audit_record(
        actor=actor,
        action="core.area.created" if created else "core.area.updated",
        obj=area,
        data={"fields": sorted(fields)},
    )
    return area


@transaction.atomic
def agency_save(*, actor: Any, agency: Agency | None = None, **fields: Any) -> Agency:
    """Create an agency (``agency=None``) or update one with ``fields`` (``areas`` = list)."""
    created = agency is None
    agency = agency or Agency()
    areas = fields.pop("areas", None)
    for name, value in fields.items():
        setattr(agency, name, value)
    agency.full_clean()
    agency.save()
    if areas is not None:
        agency.areas.set(areas)
    audit_record(
        actor=actor,
        action="core.agency.created" if created else "core.agency.updated",
        obj=agency,
        data={"fields": sorted([*fields, *(["areas"] if areas is not None else [])])},
    )
    return agency


def _require_platform_admin(actor: Any) -> None:
    """``actor=None`` is the system itself (a seed or a command); people must be platform admins."""
    from ecitizen.accounts.models import StaffRole
    from ecitizen.accounts.selectors import user_has_role

    if actor is not None and not user_has_role(actor, StaffRole.Role.PLATFORM_ADMIN):
        raise PermissionDenied


@transaction.atomic
def holiday_save(
    *, actor: Any, date: datetime.date, name: str, holiday: Holiday | None = None
) -> Holiday:
    """Add a public holiday (``holiday=None``) or change one. Service-level clocks skip it
    from now on; due dates already worked out are not moved."""
    _require_platform_admin(actor)
    created = holiday is None
    holiday = holiday or Holiday()
    holiday.date = date
    holiday.name = (name or "").strip()
    holiday.full_clean()
    holiday.save()
    audit_record(
        actor=actor,
        action="core.holiday.created" if created else "core.holiday.updated",
        obj=holiday,
        data={"date": holiday.date.isoformat(), "name": holiday.name},
    )
    return holiday


@transaction.atomic
def holiday_delete(*, actor: Any, holiday: Holiday) -> None:
    _require_platform_admin(actor)
    audit_record(
        actor=actor,
        action="core.holiday.deleted",
        obj=holiday,
        data={"date": holiday.date.isoformat(), "name": holiday.name},
    )
    holiday.delete()


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every installed model."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


@dataclass(frozen=True, kw_only=True)
class RotationBatch:
    last_pk: Any  # None when there was nothing left to read
    rotated: int
    current: int
    empty: int


@transaction.atomic
def encrypted_field_rotate_batch(
    *, model: type[models.Model], field: EncryptedTextField, after_pk: Any, batch_size: int
) -> RotationBatch:
    """Re-encrypt, under the current key, the next ``batch_size`` rows (by primary key, after
    ``after_pk``) whose ``field`` is under an older key. Rows already under the current key
    are left alone, so running it again changes nothing."""
    kid = crypto.current_key_id()
    manager = model._default_manager
    queryset = manager.select_for_update().order_by("pk")
    if after_pk is not None:
        queryset = queryset.filter(pk__gt=after_pk)
    raw = models.ExpressionWrapper(models.F(field.attname), output_field=models.TextField())
    rows = list(queryset.annotate(ciphertext=raw).values_list("pk", "ciphertext")[:batch_size])
    stale = [(pk, token) for pk, token in rows if token and crypto.key_id_of(token) != kid]
    empty = sum(1 for _, token in rows if not token)
    context = field.encryption_context()
    if stale:
        objs = [
            model(pk=pk, **{field.attname: crypto.decrypt(token, context=context)})
            for pk, token in stale
        ]
        manager.bulk_update(objs, [field.name])  # the field encrypts under the current key
        audit_record(
            actor=None,
            action="core.encrypted_field.rotated",
            data={
                "field": f"{model._meta.label_lower}.{field.name}",
                "key": kid,
                "first_pk": stale[0][0],
                "last_pk": stale[-1][0],
                "rows": len(stale),
            },
        )
    return RotationBatch(
        last_pk=rows[-1][0] if rows else None,
        rotated=len(stale),
        current=len(rows) - len(stale) - empty,
        empty=empty,
    )
