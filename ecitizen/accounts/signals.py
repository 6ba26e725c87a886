"""``User.has_staff_roles`` follows the user's StaffRole rows, however they are saved or deleted."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ecitizen.accounts.models import StaffRole, User


def _set_has_staff_roles(staff_role: StaffRole, has_roles: bool) -> None:
    User.objects.filter(pk=staff_role.user_id).update(has_staff_roles=has_roles)
    user = staff_role._state.fields_cache.get("user")
    if user is not None:  # the caller's own copy of the user, as used right after a grant
        user.has_staff_roles = has_roles
        user.__dict__.pop("_staff_roles_cache", None)


@receiver(post_save, sender=StaffRole)
def staff_role_saved(sender: type[StaffRole], instance: StaffRole, **kwargs: Any) -> None:
    _set_has_staff_roles(instance, True)


@receiver(post_delete, sender=StaffRole)
def staff_role_deleted(sender: type[StaffRole], instance: StaffRole, **kwargs: Any) -> None:
    remaining = StaffRole.objects.filter(user_id=instance.user_id).exists()
    _set_has_staff_roles(instance, remaining)
