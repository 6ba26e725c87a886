"""Government services defined as data: what they are, what they cost, their form and workflow.

Human-readable content is stored per language as ``{"en": ..., "fr": ..., "es": ...}``
(see ``ecitizen.core.i18n.tr``). The form, fee and workflow live in ``ServiceVersion.definition``
(validated by ``ecitizen.catalogue.schema``); a published version never changes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ecitizen.core.i18n import tr


class Topic(models.Model):
    """A topic or life event residents browse by (e.g. "Starting a business")."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.JSONField(_("name"), default=dict)
    is_life_event = models.BooleanField(_("life event"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return tr(self.name)


class Service(models.Model):
    """A service an agency offers. Its content and form are in versions."""

    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="services"
    )
    slug = models.SlugField(_("slug"), unique=True)
    code = models.CharField(
        _("reference prefix"),
        max_length=4,
        help_text=_("2 to 4 capital letters starting each application reference, e.g. BP."),
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    published_version = models.ForeignKey(
        "ServiceVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Denormalised from the published version so the catalogue is searchable in SQL.
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        version = self.published_version
        return tr(version.title) if version else self.slug


class ServiceVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    title = models.JSONField(_("title"), default=dict)
    summary = models.JSONField(_("summary"), default=dict)
    eligibility = models.JSONField(_("who can apply"), default=dict)
    what_you_need = models.JSONField(_("what you need"), default=dict)
    # fee, sla_working_days, workflow, issues, form: see ecitizen/catalogue/schema.py
    definition = models.JSONField(_("definition"), default=dict)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service", "-number"]
        verbose_name = _("service version")
        verbose_name_plural = _("service versions")
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="unique_service_version"),
            # At most one draft and one published version per service at any time.
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="draft"),
                name="one_draft_per_service",
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="published"),
                name="one_published_version_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT
