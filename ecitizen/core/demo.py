"""Demo data: reference data and one account per role. Idempotent: safe to run again."""

import os
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import ProfileData, staff_role_grant, user_create
from ecitizen.core.models import Agency, Area
from ecitizen.core.services import agency_save, area_save

DEFAULT_DEMO_PASSWORD = "eCitizen demo passphrase"  # noqa: S105 (documented demo)
# Base32, documented in the README: add it to any authenticator app to sign in as staff.
DEMO_TOTP_SECRET = "ECITIZENDEMOSTAFFTOTPSECRET23456"  # noqa: S105

AREAS = [
    # code, name, fr, es, parent code
    ("metropole", "Metropolitan Region", "Région métropolitaine", "Región metropolitana", None),
    ("riverside", "Riverside", "Bord-de-Rivière", "Ribera", "metropole"),
    ("old-town", "Old Town", "Vieille-Ville", "Casco Antiguo", "metropole"),
    ("hillcrest", "Hillcrest", "Haut-de-Colline", "Colina Alta", "metropole"),
    ("harbour", "Harbour", "Port", "Puerto", "metropole"),
]
AGENCIES = [
    (
        "planning",
        "Planning and Building Department",
        "Service de l'urbanisme",
        "Departamento de Urbanismo",
    ),
    (
        "licensing",
        "Business Licensing Office",
        "Bureau des licences commerciales",
        "Oficina de Licencias Comerciales",
    ),
    ("civil-registry", "Civil Registry", "État civil", "Registro Civil"),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    label: str
    role: str | None
    agency: str | None
    legal_name: str
    area: str


DEMO_ACCOUNTS = [
    DemoAccount(
        "resident@demo.ecitizen.example", "Resident", None, None, "Amara Okafor", "riverside"
    ),
    DemoAccount(
        "resident2@demo.ecitizen.example",
        "Resident (French)",
        None,
        None,
        "Lucie Martin",
        "old-town",
    ),
    DemoAccount(
        "officer@demo.ecitizen.example",
        "Case officer (Planning)",
        StaffRole.Role.CASE_OFFICER,
        "planning",
        "Tomás Rivera",
        "harbour",
    ),
    DemoAccount(
        "officer2@demo.ecitizen.example",
        "Case officer (Planning, second approver)",
        StaffRole.Role.CASE_OFFICER,
        "planning",
        "Grace Lee",
        "hillcrest",
    ),
    DemoAccount(
        "agency-admin@demo.ecitizen.example",
        "Agency admin (Planning)",
        StaffRole.Role.AGENCY_ADMIN,
        "planning",
        "Nadia Haddad",
        "old-town",
    ),
    DemoAccount(
        "agent@demo.ecitizen.example",
        "Assisted-service agent",
        StaffRole.Role.ASSISTED_SERVICE_AGENT,
        None,
        "Samuel Mensah",
        "riverside",
    ),
    DemoAccount(
        "admin@demo.ecitizen.example",
        "Platform admin",
        StaffRole.Role.PLATFORM_ADMIN,
        None,
        "Ines Duarte",
        "harbour",
    ),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


@transaction.atomic
def seed_reference_data() -> None:
    for code, name, name_fr, name_es, parent in AREAS:
        if not Area.objects.filter(code=code).exists():
            area_save(
                actor=None,
                code=code,
                name=name,
                name_fr=name_fr,
                name_es=name_es,
                kind=Area.Kind.DISTRICT if parent else Area.Kind.REGION,
                parent=Area.objects.get(code=parent) if parent else None,
            )
    districts = list(Area.objects.filter(kind=Area.Kind.DISTRICT))
    for code, name, name_fr, name_es in AGENCIES:
        if not Agency.objects.filter(code=code).exists():
            agency_save(
                actor=None,
                code=code,
                name=name,
                name_fr=name_fr,
                name_es=name_es,
                email=f"{code}@gov.ecitizen.example",
                areas=districts,
            )


@transaction.atomic
def seed_accounts() -> list[tuple[DemoAccount, bool]]:
    """Create missing demo accounts; returns each account and whether it was created now."""
    results = []
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        created = user is None
        if user is None:
            user = user_create(
                actor=None,
                email=account.email,
                password=demo_password(),
                email_verified=True,
                profile=ProfileData(
                    legal_name=account.legal_name,
                    area=Area.objects.get(code=account.area),
                    preferred_language="fr" if "French" in account.label else "en",
                    address_line1="1 Demo Street",
                    town="Metropolis",
                ),
            )
        if account.role:
            agency = Agency.objects.get(code=account.agency) if account.agency else None
            staff_role_grant(actor=None, user=user, role=account.role, agency=agency)
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)
                RecoveryCodes.activate(user)
        results.append((account, created))
    return results
