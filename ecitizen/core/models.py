"""Reference data every part of the platform shares: areas (geography) and agencies."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LocalizedNameMixin:
    """``name`` in English, with ``name_fr`` / ``name_es`` for the other languages."""

    name: str

    def localized_name(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name


class Area(LocalizedNameMixin, models.Model):
    """A district, or a region grouping districts (``parent``)."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        DISTRICT = "district", _("District")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DISTRICT)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.localized_name()


class Agency(LocalizedNameMixin, models.Model):
    """A government body that offers services and employs staff."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("areas served"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.localized_name()


class Holiday(models.Model):
    """A public holiday: not a working day for service-level clocks."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"
