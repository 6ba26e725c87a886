"""Participatory budgeting: processes with phases, budgets, ideas/projects, secret ballots,
paper ballots entered twice, results and implementation tracking.

Ballot secrecy (see ``docs/budgeting.md``): *who* voted and *what* was voted are two tables
with no column in common.

* ``BallotParticipation`` says that a person voted in a budget (one row per person per
  budget, enforced by unique constraints) and when; it holds no choice.
* ``BallotContent`` holds one ballot's choices, with a random UUID key, no timestamp and no
  person. While voting is open its ``token`` is a keyed HMAC of the voter's id under the
  budget's own secret (``Budget.ballot_key``, encrypted at rest), so the voter - and only
  through the app - can find and replace their ballot. Closing the vote destroys the secret
  and blanks every token: from then on nothing anywhere links a person to a ballot.

Money is in integer minor units with a currency code. Staff-written text is stored per
language as ``{"en": ..., "fr": ..., "es": ...}`` (``ecitizen.core.i18n.tr``).
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecitizen.core.fields import EncryptedTextField
from ecitizen.core.i18n import tr


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Not started yet")
    IDEAS = "ideas", _("Idea submission")
    REVIEW = "review", _("Feasibility review")
    VOTING = "voting", _("Voting")
    RESULTS = "results", _("Results")
    IMPLEMENTATION = "implementation", _("Implementation")


PHASE_FIELDS = [
    (Phase.IDEAS, "ideas_from"),
    (Phase.REVIEW, "review_from"),
    (Phase.VOTING, "voting_from"),
    (Phase.RESULTS, "results_from"),
    (Phase.IMPLEMENTATION, "implementation_from"),
]


class Process(models.Model):
    """A participatory-budgeting process (e.g. "City budget 2026"), run by an agency.

    A phase starts at its date and lasts until the next one starts: voting is open from
    ``voting_from`` until ``results_from``.
    """

    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    ideas_from = models.DateTimeField(_("idea submission opens"))
    review_from = models.DateTimeField(_("feasibility review starts"))
    voting_from = models.DateTimeField(_("voting opens"))
    results_from = models.DateTimeField(_("voting closes"))
    implementation_from = models.DateTimeField(_("implementation starts"))
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-voting_from", "slug"]
        verbose_name = _("participatory budgeting process")
        verbose_name_plural = _("participatory budgeting processes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ideas_from__lte=models.F("review_from"))
                & models.Q(review_from__lte=models.F("voting_from"))
                & models.Q(voting_from__lt=models.F("results_from"))
                & models.Q(results_from__lte=models.F("implementation_from")),
                name="budgeting_process_phases_in_order",
            )
        ]

    def __str__(self) -> str:
        return tr(self.title) or self.slug

    def phase_at(self, when: datetime.datetime | None = None) -> Phase:
        when = when or timezone.now()
        current = Phase.UPCOMING
        for phase, field in PHASE_FIELDS:
            if getattr(self, field) <= when:
                current = phase
        return current

    @property
    def phase(self) -> Phase:
        return self.phase_at()

    def phases(self) -> list[tuple[Phase, datetime.datetime, datetime.datetime | None]]:
        """(phase, start, end) in order; implementation has no end."""
        starts = [(phase, getattr(self, field)) for phase, field in PHASE_FIELDS]
        return [
            (phase, start, starts[i + 1][1] if i + 1 < len(starts) else None)
            for i, (phase, start) in enumerate(starts)
        ]

    def voting_open(self, when: datetime.datetime | None = None) -> bool:
        when = when or timezone.now()
        return self.voting_from <= when < self.results_from


class Budget(models.Model):
    """Money residents decide about, for the whole city (no area) or one area."""

    class BallotKind(models.TextChoices):
        APPROVAL = "approval", _("Approval: tick the projects you support")
        CUMULATIVE = "cumulative", _("Cumulative: share out points between projects")

    class Rule(models.TextChoices):
        GREEDY = "greedy", _("Most votes first (greedy)")
        EQUAL_SHARES = "equal-shares", _("Method of Equal Shares")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("status of a budget vote", "Open")
        CLOSED = "closed", _("Voting closed")
        TALLIED = "tallied", _("Results published")

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="budgets")
    area = models.ForeignKey(
        "core.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for a city-wide budget."),
    )
    title = models.JSONField(_("title"), default=dict, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    ballot_kind = models.CharField(
        _("ballot"), max_length=20, choices=BallotKind.choices, default=BallotKind.APPROVAL
    )
    budget_limit = models.BooleanField(
        _("choices must fit in the budget"),
        default=True,
        help_text=_("The projects a resident chooses may not cost more than the budget."),
    )
    min_projects = models.PositiveSmallIntegerField(_("minimum number of projects"), default=1)
    max_projects = models.PositiveSmallIntegerField(
        _("maximum number of projects"), null=True, blank=True
    )
    min_spend_percent = models.PositiveSmallIntegerField(
        _("minimum share of the budget to spend (%)"), default=0
    )
    points_total = models.PositiveSmallIntegerField(
        _("points each voter shares out"), null=True, blank=True
    )
    max_points_per_project = models.PositiveSmallIntegerField(
        _("most points on one project"), null=True, blank=True
    )
    rule = models.CharField(
        _("winner rule"), max_length=20, choices=Rule.choices, default=Rule.GREEDY
    )
    min_votes = models.PositiveIntegerField(
        _("minimum votes to be funded"),
        default=0,
        help_text=_("Greedy rule only: projects with fewer votes (points) are not funded."),
    )
    minimum_age = models.PositiveSmallIntegerField(_("minimum age to vote"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Per-budget secret keying the ballot tokens; destroyed (emptied) when voting closes.
    ballot_key = EncryptedTextField(blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process_id", "id"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "area"], name="budgeting_one_budget_per_area"
            ),
            models.UniqueConstraint(
                fields=["process"],
                condition=models.Q(area__isnull=True),
                name="budgeting_one_citywide_budget",
            ),
            models.CheckConstraint(
                condition=models.Q(min_spend_percent__lte=100),
                name="budgeting_min_spend_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(max_projects__isnull=True)
                | models.Q(max_projects__gte=models.F("min_projects")),
                name="budgeting_min_projects_not_above_max",
            ),
            models.CheckConstraint(
                condition=~models.Q(ballot_kind="cumulative") | models.Q(points_total__gte=1),
                name="budgeting_cumulative_has_points",
            ),
            models.CheckConstraint(
                condition=~models.Q(rule="equal-shares") | models.Q(ballot_kind="approval"),
                name="budgeting_equal_shares_needs_approval",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if tr(self.title):
            return tr(self.title)
        if self.area_id is None:
            return str(_("City-wide"))
        return str(self.area)

    @property
    def is_cumulative(self) -> bool:
        return self.ballot_kind == self.BallotKind.CUMULATIVE

    @property
    def min_spend(self) -> int:
        """The least a ballot must spend, in minor units (rounded up)."""
        return -(-self.amount * self.min_spend_percent // 100)


class Project(models.Model):
    """An idea a resident (or staff) submits; once accepted it is a project on the ballot."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        FEASIBLE = "feasible", _("Feasible")
        ACCEPTED = "accepted", _("On the ballot")
        REJECTED = "rejected", _("Not feasible")
        MERGED = "merged", _("Merged with another idea")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="projects")
    code = models.CharField(_("project number"), max_length=40)
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    area = models.ForeignKey(
        "core.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.CharField(_("location"), max_length=300, blank=True)
    estimated_cost = models.PositiveBigIntegerField(_("estimated cost (minor units)"))
    final_cost = models.PositiveBigIntegerField(
        _("final cost (minor units)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    status_reason = models.JSONField(_("reason"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_ideas",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget_id", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.UniqueConstraint(fields=["budget", "code"], name="budgeting_project_code"),
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | models.Q(final_cost__isnull=False),
                name="budgeting_accepted_project_has_final_cost",
            ),
        ]

    def __str__(self) -> str:
        return tr(self.title) or self.code

    @property
    def cost(self) -> int:
        """The cost residents vote on: the final cost once reviewed, else the estimate."""
        return self.final_cost if self.final_cost is not None else self.estimated_cost


class ProjectImage(models.Model):
    """A picture of an idea, or a photo posted with an implementation update. Stored under a
    random name; the type was read from the bytes (``ecitizen.applications.uploads``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    update = models.ForeignKey(
        "ImplementationUpdate",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    file = models.FileField(upload_to="budgeting/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    alt_text = models.CharField(_("image description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.alt_text or f"image {self.pk}"


class BallotParticipation(models.Model):
    """That a person voted in a budget, and when - never what they chose.

    One row per person per budget, guaranteed by the database: by account (``voter``) and,
    when known, by national ID (``national_id_hash``, so a paper voter cannot also vote
    online with an account holding the same ID).
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper, at a polling station")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="participations")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budget_participations",
    )
    national_id_hash = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    confirmed_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)
    times_changed = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "voter"],
                condition=models.Q(voter__isnull=False),
                name="budgeting_one_ballot_per_voter",
            ),
            models.UniqueConstraint(
                fields=["budget", "national_id_hash"],
                condition=~models.Q(national_id_hash=""),
                name="budgeting_one_ballot_per_national_id",
            ),
            models.CheckConstraint(
                condition=models.Q(voter__isnull=False) | ~models.Q(national_id_hash=""),
                name="budgeting_participation_names_a_person",
            ),
        ]

    def __str__(self) -> str:
        return f"participation {self.pk} in budget {self.budget_id}"


class BallotContent(models.Model):
    """One anonymous ballot: the projects chosen (and points, for cumulative ballots).

    ``projects`` holds project ids in increasing order and ``points`` the points aligned
    with them (``None`` for approval ballots). No timestamp, a random key, and after the close
    no token: the row cannot be traced to a person or to the moment it was cast.
    """

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper")
        IMPORTED = "imported", _("Imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="ballots")
    projects = models.JSONField(default=list)
    points = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    token = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["budget", "token"], name="budgeting_ballot_token"),
        ]

    def __str__(self) -> str:
        return f"ballot {self.pk}"


class PaperBallot(models.Model):
    """A paper ballot slip, identified by its serial number, typed in by two different
    members of staff without seeing each other's entry. When both agree the slip becomes an
    anonymous ``BallotContent``; when they differ it is flagged until a supervisor reads the
    slip again. Slips carry no voter: the paper voter is marked separately
    (``BallotParticipation`` with the paper channel), as at a polling station."""

    class Status(models.TextChoices):
        AWAITING_SECOND = "awaiting", _("Waiting for the second entry")
        MATCHED = "matched", _("Both entries agree: counted")
        MISMATCH = "mismatch", _("The two entries differ: check the slip")
        RESOLVED = "resolved", _("Checked by a supervisor: counted")
        INVALID = "invalid", _("Invalid ballot: not counted")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="paper_ballots")
    serial = models.CharField(_("ballot number"), max_length=40)
    first_entry = models.JSONField(default=dict)
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_at = models.DateTimeField(auto_now_add=True)
    second_entry = models.JSONField(null=True, blank=True)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING_SECOND)
    resolved_entry = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    content = models.OneToOneField(
        BallotContent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["budget_id", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "serial"], name="budgeting_paper_serial"),
        ]

    def __str__(self) -> str:
        return self.serial


class BudgetResult(models.Model):
    """The outcome of the tally: the rule's decision for every project, as computed by
    ``ecitizen.budgeting.rules`` from the anonymous ballots.

    ``decisions`` maps project id to ``{"score", "supporters", "selected", "reason",
    "position", "explanation"}`` (``explanation`` is the rule's own English text, kept for
    auditors; pages show a translated reason built from the other fields)."""

    budget = models.OneToOneField(Budget, on_delete=models.CASCADE, related_name="result")
    rule = models.CharField(max_length=20)
    threshold = models.PositiveIntegerField(null=True, blank=True)
    ballots_counted = models.PositiveIntegerField()
    selected = models.JSONField(default=list)
    cost = models.PositiveBigIntegerField()
    decisions = models.JSONField(default=dict)
    voter_share = models.CharField(max_length=60, blank=True)
    add1_steps = models.PositiveIntegerField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"result of budget {self.budget_id}"


class ImplementationUpdate(models.Model):
    """News about a funded project: where it stands, how far along it is, and photos."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DELAYED = "delayed", _("Delayed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.JSONField(_("what happened"), default=dict, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project_id", "-posted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="budgeting_progress_is_a_percentage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.progress}%"


class Milestone(models.Model):
    """A step in delivering a funded project, with the date it is planned for and the date it
    was reached."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.JSONField(_("milestone"), default=dict)
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    reached_on = models.DateField(_("reached on"), null=True, blank=True)

    class Meta:
        ordering = ["project_id", "planned_for", "id"]

    def __str__(self) -> str:
        return tr(self.title)
