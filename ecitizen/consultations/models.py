"""Consultations: surveys with questions, documents with sections, comments, the published
response ("you said, we did") and opinion mapping (Polis-style).

Staff-written text is stored per language as ``{"en": ..., "fr": ..., "es": ...}``
(``ecitizen.core.i18n.tr``). Times are aware (UTC in the database).

Anonymous responses (see ``docs/consultations.md``): a ``Response`` never holds the person
when it is anonymous. One response per person is still enforced by the database, through
``respondent_hash``: a keyed HMAC of the person's id under the consultation's own secret
(``Consultation.response_key``, encrypted at rest). Closing the consultation destroys the
secret and blanks the hashes of anonymous responses, so from then on nothing links a person
to an anonymous response. Responses have random UUID keys (no insertion order to match
against the audit trail) and anonymous ones keep only the day they were saved.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecitizen.core.fields import EncryptedTextField
from ecitizen.core.i18n import tr


class Consultation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Participation(models.TextChoices):
        EVERYONE = "everyone", _("Everyone with an account")
        VERIFIED = "verified", _("Verified residents")
        AREA_RESIDENTS = "area_residents", _("Residents of the areas concerned")

    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    title = models.JSONField(_("title"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    body = models.JSONField(_("what we are asking and why"), default=dict, blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    areas = models.ManyToManyField(
        "core.Area", verbose_name=_("areas concerned"), blank=True, related_name="+"
    )
    participation = models.CharField(
        _("who may take part"),
        max_length=20,
        choices=Participation.choices,
        default=Participation.VERIFIED,
    )
    allow_anonymous = models.BooleanField(_("allow anonymous responses"), default=False)
    opinion_map_enabled = models.BooleanField(_("opinion map"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Keys the respondent hashes; emptied when the consultation is closed (``closed_at``).
    response_key = EncryptedTextField(blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(_("what we did with your views"), default=dict, blank=True)
    outcome_published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="consultations_closes_after_it_opens",
            )
        ]

    def __str__(self) -> str:
        return tr(self.title) or f"#{self.pk}"

    def is_open(self, when: datetime.datetime | None = None) -> bool:
        when = when or timezone.now()
        return self.status == self.Status.PUBLISHED and self.opens_at <= when < self.closes_at

    def has_closed(self, when: datetime.datetime | None = None) -> bool:
        return self.status == self.Status.PUBLISHED and (when or timezone.now()) >= self.closes_at

    def has_opened(self, when: datetime.datetime | None = None) -> bool:
        return self.status == self.Status.PUBLISHED and (when or timezone.now()) >= self.opens_at


class Document(models.Model):
    """A document residents read (PDF etc.). Stored privately; served only as a download."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.JSONField(_("title"), default=dict)
    file = models.FileField(upload_to="consultations/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return tr(self.title) or self.original_name


class Section(models.Model):
    """A heading of a document that residents comment on (``anchor`` is its id in URLs)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sections")
    anchor = models.SlugField(_("anchor"), max_length=60)
    title = models.JSONField(_("heading"), default=dict)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "anchor"], name="consultations_unique_section_anchor"
            )
        ]

    def __str__(self) -> str:
        return tr(self.title) or self.anchor


class Question(models.Model):
    """One question of the survey. Answers are stored under ``key`` (see ``answers.py``)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Free text")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        RANKING = "ranking", _("Ranking")
        SCALE = "scale", _("Rating scale")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="questions"
    )
    key = models.SlugField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    label = models.JSONField(_("question"), default=dict)
    help_text = models.JSONField(_("hint"), default=dict, blank=True)
    required = models.BooleanField(_("answer required"), default=True)
    # [{"value": "yes", "label": {"en": ..., "fr": ..., "es": ...}}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    scale_points = models.PositiveSmallIntegerField(_("points on the scale"), default=5)
    scale_low = models.JSONField(_("label of the lowest point"), default=dict, blank=True)
    scale_high = models.JSONField(_("label of the highest point"), default=dict, blank=True)
    # {"question": "<key of an earlier choice question>", "in": ["<option value>", ...]}
    condition = models.JSONField(_("show only if"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "key"], name="consultations_unique_question_key"
            )
        ]

    def __str__(self) -> str:
        return tr(self.label) or self.key


class Response(models.Model):
    """One person's answers. ``user`` is empty when the response is anonymous."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="responses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultation_responses",
    )
    respondent_hash = models.CharField(max_length=64, null=True, blank=True)
    anonymous = models.BooleanField(default=False)
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "respondent_hash"],
                name="consultations_one_response_per_person",
            ),
            models.UniqueConstraint(
                fields=["consultation", "user"],
                condition=models.Q(user__isnull=False),
                name="consultations_one_named_response_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(anonymous=False) | models.Q(user__isnull=True),
                name="consultations_anonymous_response_has_no_user",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class AnswerTag(models.Model):
    """A tag staff put on one free-text answer (themes, for the analysis)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="tags")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tags")
    label = models.CharField(_("tag"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "label"], name="consultations_unique_tag"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Follower(models.Model):
    """Someone who took part (responded, commented or voted) and is told about the published
    response. Says nothing of what they said, and has no time that could be matched."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user"], name="consultations_unique_follower"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.user_id}"


class Comment(models.Model):
    """A public comment on a consultation, or on one section of a document; replies have a
    ``parent``. Moderators hide a comment with a reason shown in its place: never deleted."""

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden by a moderator")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="comments"
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["consultation", "section", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_hidden(self) -> bool:
        return self.status == self.Status.HIDDEN


class CommentReport(models.Model):
    """A resident telling moderators a comment breaks the rules; one per person per comment."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", _("It is abusive or hateful")
        SPAM = "spam", _("It is spam or advertising")
        PERSONAL = "personal", _("It shares someone's personal information")
        OFF_TOPIC = "off_topic", _("It is not about this consultation")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"], name="consultations_one_report_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.reason}"


# --------------------------------------------------------------------------- opinion map


class Statement(models.Model):
    """A short statement people vote on. Participants' own ones wait for moderation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Shown")
        REJECTED = "rejected", _("Not shown")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="statements"
    )
    text = models.JSONField(_("statement"), default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_staff = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.CharField(max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return tr(self.text)


class OpinionParticipant(models.Model):
    """A voter in one consultation's opinion map; its id is the pseudonym the map uses.
    Generated (demo) participants have no user."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="opinion_participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user"],
                condition=models.Q(user__isnull=False),
                name="consultations_one_opinion_participant_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Vote(models.Model):
    AGREE = 1
    DISAGREE = -1
    PASS = 0
    CHOICES = ((AGREE, _("Agree")), (DISAGREE, _("Disagree")), (PASS, _("Pass / unsure")))

    participant = models.ForeignKey(
        OpinionParticipant, on_delete=models.CASCADE, related_name="votes"
    )
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    vote = models.SmallIntegerField(choices=CHOICES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "statement"], name="consultations_one_vote_per_statement"
            ),
            models.CheckConstraint(
                condition=models.Q(vote__in=[-1, 0, 1]), name="consultations_vote_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}/{self.statement_id}: {self.vote}"


class OpinionMapResult(models.Model):
    """The latest computed map of a consultation (written by the background task)."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="opinion_result"
    )
    status = models.CharField(max_length=30)
    computed_at = models.DateTimeField()
    n_votes = models.PositiveIntegerField(default=0)
    n_participants = models.PositiveIntegerField(default=0)
    # Groups, positions (pseudonymous ids), representative and consensus statements.
    data = models.JSONField(default=dict)
    # The map drawn in each language: {"en": "<svg ...>", "fr": ..., "es": ...}
    svg = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.status}"
