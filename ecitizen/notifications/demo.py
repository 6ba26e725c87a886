"""Demo data for notifications (run by ``manage.py seed_demo``; idempotent).

* the alert roles for demo staff: the platform admin and the planning agency admin publish,
  the second planning officer approves (so an emergency needs two people);
* alerts: an active emergency for Riverside, a service disruption for every district, and
  an expired advisory for Harbour;
* a few messages in each demo resident's inbox.
"""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import staff_role_grant
from ecitizen.core.models import Area
from ecitizen.notifications.models import Alert
from ecitizen.notifications.rendering import public_url
from ecitizen.notifications.services import (
    AlertData,
    alert_approve,
    alert_create,
    notification_send,
)

PUBLISHERS = ["admin@demo.ecitizen.example", "agency-admin@demo.ecitizen.example"]
APPROVERS = ["officer2@demo.ecitizen.example", "admin@demo.ecitizen.example"]

ALERTS: list[dict[str, Any]] = [
    {
        "key": "demo-emergency-riverside",
        "severity": Alert.Severity.EMERGENCY,
        "areas": ["riverside"],
        "hours": (-1, 23),
        "title": {
            "en": "Flood emergency on the riverbanks",
            "fr": "Urgence inondation sur les berges",
            "es": "Emergencia por inundación en las riberas",
        },
        "body": {
            "en": "The river has burst its banks near the old bridge. Water is rising quickly.",
            "fr": "La rivière est sortie de son lit près du vieux pont. L'eau monte vite.",
            "es": "El río se ha desbordado cerca del puente viejo. El agua sube rápido.",
        },
        "instructions": {
            "en": "Leave ground floors near the river now. Do not drive through water.",
            "fr": (
                "Quittez maintenant les rez-de-chaussée près de la rivière. "
                "Ne roulez pas dans l'eau."
            ),
            "es": "Abandone ahora las plantas bajas cerca del río. No conduzca por el agua.",
        },
    },
    {
        "key": "demo-disruption-all",
        "severity": Alert.Severity.DISRUPTION,
        "areas": [],
        "hours": (-2, 46),
        "title": {
            "en": "Online payments unavailable on Sunday night",
            "fr": "Paiements en ligne indisponibles dimanche soir",
            "es": "Pagos en línea no disponibles el domingo por la noche",
        },
        "body": {
            "en": "Card payments will be unavailable from 23:00 to 02:00 for maintenance.",
            "fr": "Le paiement par carte sera indisponible de 23 h à 2 h pour maintenance.",
            "es": "El pago con tarjeta no estará disponible de 23:00 a 02:00 por mantenimiento.",
        },
        "instructions": {},
    },
    {
        "key": "demo-advisory-expired",
        "severity": Alert.Severity.ADVISORY,
        "areas": ["harbour"],
        "hours": (-72, -24),
        "title": {
            "en": "Roadworks on the harbour front",
            "fr": "Travaux sur le front de mer",
            "es": "Obras en el paseo del puerto",
        },
        "body": {
            "en": "The harbour front road was closed for resurfacing.",
            "fr": "La route du front de mer était fermée pour réfection.",
            "es": "La carretera del puerto estuvo cerrada por asfaltado.",
        },
        "instructions": {},
    },
]

RESIDENT_EVENTS = [
    ("application.submitted", "DEMO-BP-0001"),
    ("application.info_requested", "DEMO-BP-0001"),
    ("application.approved", "DEMO-BL-0002"),
]


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def seed_roles() -> None:
    for email in PUBLISHERS:
        if user := _user(email):
            staff_role_grant(actor=None, user=user, role=StaffRole.Role.ALERT_PUBLISHER)
    for email in APPROVERS:
        if user := _user(email):
            staff_role_grant(actor=None, user=user, role=StaffRole.Role.ALERT_APPROVER)


def seed_alerts() -> None:
    publisher, approver = _user(PUBLISHERS[0]), _user(APPROVERS[0])
    if publisher is None or approver is None:
        return
    now = timezone.now()
    for spec in ALERTS:
        if Alert.objects.filter(identifier__endswith=spec["key"]).exists():
            continue
        starts, ends = (now + datetime.timedelta(hours=h) for h in spec["hours"])
        expired = ends <= now
        alert = alert_create(
            actor=publisher,
            data=AlertData(
                severity=spec["severity"],
                title=spec["title"],
                body=spec["body"],
                instructions=spec["instructions"],
                starts_at=starts,
                # an expired alert is published as it was, then its end is moved to the past
                expires_at=now + datetime.timedelta(hours=1) if expired else ends,
                all_areas=not spec["areas"],
                areas=list(Area.objects.filter(code__in=spec["areas"])),
            ),
        )
        if alert.status == Alert.Status.PENDING_APPROVAL:
            alert_approve(actor=approver, alert=alert)
        Alert.objects.filter(pk=alert.pk).update(
            identifier=f"{alert.identifier}-{spec['key']}",
            **({"expires_at": ends} if expired else {}),
        )


def seed_inbox() -> None:
    from ecitizen.core.demo import DEMO_ACCOUNTS

    for account in DEMO_ACCOUNTS:
        if account.role:
            continue
        user = User.objects.select_related("profile").filter(email=account.email).first()
        if user is None:
            continue
        for event, reference in RESIDENT_EVENTS:
            notification_send(
                actor=None,
                recipient=user,
                event=event,
                values={
                    "name": user.profile.legal_name,
                    "reference": reference,
                    "service": "Building permit" if "BP" in reference else "Business licence",
                    "url": public_url("/applications/"),
                },
                idempotency_key=f"demo:{user.pk}:{event}:{reference}",
                url=public_url("/applications/"),
            )


@transaction.atomic
def seed() -> None:
    seed_roles()
    seed_alerts()
    seed_inbox()
