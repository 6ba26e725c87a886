"""Writes to reference data (areas, agencies): platform admins only, audited."""

from typing import Any

from django.db import transaction

from ecitizen.audit.services import audit_record
from ecitizen.core.models import Agency, Area


@transaction.atomic
def area_save(*, actor: Any, area: Area | None = None, **fields: Any) -> Area:
    """Create an area (``area=None``) or update one with ``fields``."""
    created = area is None
    area = area or Area()
    for name, value in fields.items():
        setattr(area, name, value)
    area.full_clean()
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
