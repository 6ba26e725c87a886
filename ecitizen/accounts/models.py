"""People: accounts, their profile, and the roles staff hold."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _

from ecitizen.core.fields import EncryptedTextField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """An account. People sign in with their email address."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    # Kept in step with StaffRole rows (see signals.py) so that a resident's requests, most of
    # them, need no staff-role query; the roles themselves stay the only source of access.
    has_staff_roles = models.BooleanField(default=False, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class Profile(models.Model):
    """What a resident tells us once, so no service asks again."""

    class Accessibility(models.TextChoices):
        SCREEN_READER = "screen_reader", _("I use a screen reader")
        LARGE_TEXT = "large_text", _("I need large text")
        EASY_READ = "easy_read", _("I prefer easy-read documents")
        SIGN_LANGUAGE = "sign_language", _("I need a sign language interpreter")
        PHONE_CONTACT = "phone_contact", _("Contact me by phone rather than in writing")
        IN_PERSON = "in_person", _("I need help in person")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    legal_name = models.CharField(_("full legal name"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    national_id = EncryptedTextField(_("national ID number"), blank=True, default="")
    national_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    town = models.CharField(_("town or city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    area = models.ForeignKey(
        "core.Area",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    accessibility_needs = models.JSONField(_("accessibility needs"), default=list, blank=True)
    accessibility_notes = models.TextField(_("anything else we should know"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_hash"],
                condition=~models.Q(national_id_hash=""),
                name="unique_national_id",
            )
        ]

    def __str__(self) -> str:
        return self.legal_name or self.user.email


class StaffRole(models.Model):
    """A role a member of staff holds; case officers and agency admins belong to an agency."""

    class Role(models.TextChoices):
        CASE_OFFICER = "case_officer", _("Case officer")
        AGENCY_ADMIN = "agency_admin", _("Agency administrator")
        PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
        ASSISTED_SERVICE_AGENT = "assisted_service_agent", _("Assisted-service agent")
        ALERT_PUBLISHER = "alert_publisher", _("Alert publisher")
        ALERT_APPROVER = "alert_approver", _("Alert approver")

    AGENCY_ROLES: ClassVar[set[str]] = {Role.CASE_OFFICER, Role.AGENCY_ADMIN}

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "agency"], name="unique_staff_role"),
            models.CheckConstraint(
                condition=~models.Q(role__in=["case_officer", "agency_admin"])
                | models.Q(agency__isnull=False),
                name="agency_role_has_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.agency or '-'})"


class Session(AbstractBaseSession):
    """Django's database session, with the signed-in person's id in a column of its own: the
    session and its person are read in one statement on every request
    (``accounts.sessions``), and a person's sessions go with their account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls) -> type:
        from ecitizen.accounts.sessions import SessionStore

        return SessionStore
