"""Every write about people goes through here (audited, atomic)."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.accounts.selectors import national_id_hash, normalize_national_id, profile_for
from ecitizen.audit.services import audit_record
from ecitizen.core.models import Agency, Area


@dataclass(frozen=True, kw_only=True)
class ProfileData:
    legal_name: str = ""
    date_of_birth: datetime.date | None = None
    national_id: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    area: Area | None = None
    preferred_language: str = "en"
    accessibility_needs: list[str] = field(default_factory=list)
    accessibility_notes: str = ""


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str | None,
    email_verified: bool = False,
    profile: ProfileData | None = None,
) -> User:
    """Create an account with its (verified or not) primary email address and profile."""
    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    Profile.objects.create(user=user)
    if profile is not None:
        profile_update(actor=actor or user, profile=user.profile, data=profile)
    audit_record(actor=actor, action="accounts.user.created", obj=user)
    return user


@transaction.atomic
def profile_update(*, actor: User, profile: Profile, data: ProfileData) -> Profile:
    """Save a profile. The national ID is stored encrypted, with a keyed hash for look-ups;
    one already on another account is refused (``ValidationError`` on ``national_id``)."""
    national_id = normalize_national_id(data.national_id)
    if (
        national_id
        and Profile.objects.filter(national_id_hash=national_id_hash(national_id))
        .exclude(pk=profile.pk)
        .exists()
    ):
        raise ValidationError(
            {
                "national_id": _(
                    "We cannot save this national ID number. If it is yours, contact us."
                )
            },
            code="taken",
        )
    changed: list[str] = []
    for name, value in vars(data).items():
        if name == "national_id":
            value = normalize_national_id(value)
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.append(name)
    profile.national_id_hash = national_id_hash(profile.national_id) if profile.national_id else ""
    profile.save()
    audit_record(
        actor=actor,
        action="accounts.profile.updated",
        obj=profile,
        data={"fields": sorted(changed)},
        on_behalf_of=profile.user if actor.pk != profile.user_id else None,
    )
    return profile


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> None:
    profile = profile_for(actor)
    if profile.preferred_language != language:
        profile.preferred_language = language
        profile.save(update_fields=["preferred_language", "updated_at"])
        audit_record(
            actor=actor,
            action="accounts.profile.language_changed",
            obj=profile,
            data={"language": language},
        )


@transaction.atomic
def staff_role_grant(
    *, actor: User | None, user: User, role: str, agency: Agency | None = None
) -> StaffRole:
    staff_role, created = StaffRole.objects.get_or_create(user=user, role=role, agency=agency)
    if created:
        audit_record(
            actor=actor,
            action="accounts.staff_role.granted",
            obj=staff_role,
            data={"user": user.pk, "role": role, "agency": agency.pk if agency else None},
        )
    return staff_role


@transaction.atomic
def staff_role_revoke(*, actor: User, staff_role: StaffRole) -> None:
    data: dict[str, Any] = {
        "user": staff_role.user_id,
        "role": staff_role.role,
        "agency": staff_role.agency_id,
    }
    audit_record(actor=actor, action="accounts.staff_role.revoked", obj=staff_role, data=data)
    staff_role.delete()
